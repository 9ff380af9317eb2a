package pwhash

import (
	"errors"
	"strings"
	"testing"
)

// FuzzVerify feeds Verify arbitrary stored values and passwords: it must
// never panic, report a match together with an error, return an error
// other than ErrUnknownFormat, or quote the hash; and AllowPlain may only
// change the answer for values that are in no known format.
func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.hash, v.password)
	}
	for _, h := range malformedHashes {
		f.Add(h, "pw")
	}
	f.Fuzz(func(t *testing.T, hash, password string) {
		ok, err := Verifier{}.Verify(hash, password)
		if err != nil {
			if ok {
				t.Fatalf("Verify(%q) = true with error %v", hash, err)
			}
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("Verify(%q): error %v is not ErrUnknownFormat", hash, err)
			}
			if len(hash) >= 24 && strings.Contains(err.Error(), hash) {
				t.Fatalf("error %q quotes the hash", err)
			}
		}
		if checkErr := (Verifier{}).Check(hash); checkErr != nil && err == nil {
			t.Fatalf("Check(%q) = %v but Verify succeeds", hash, checkErr)
		}
		okPlain, errPlain := Verifier{AllowPlain: true}.Verify(hash, password)
		if err == nil && (okPlain != ok || errPlain != nil) {
			t.Fatalf("AllowPlain changed the answer for a known format %q: %v, %v -> %v, %v",
				hash, ok, err, okPlain, errPlain)
		}
		if err != nil && errPlain == nil && okPlain != (hash == password) {
			t.Fatalf("plain comparison of %q and %q = %v", hash, password, okPlain)
		}
	})
}
