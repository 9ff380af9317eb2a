package ticket

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzDecodeLowerHex checks the eight-at-a-time hex decoder against the
// standard library, which also reads upper case: the decoder must refuse
// exactly what is not lowercase hex.
func FuzzDecodeLowerHex(f *testing.F) {
	for _, s := range []string{"", "0123456789abcdef", "0123456789ABCDEF", "0123456789abcdeg", "/:`g@G0f", "\x800123456", "0123456\xb0",
		strings.Repeat("9f", 64), strings.Repeat("9F", 64), "0123456789abcde"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var dst [64]byte
		got := decodeLowerHex(dst[:], s)
		want, err := hex.DecodeString(s)
		ok := err == nil && len(s)%8 == 0 && len(s) <= 128 && s == strings.ToLower(s)
		if got != ok {
			t.Fatalf("decodeLowerHex(%q) = %v, want %v", s, got, ok)
		}
		if ok && !bytes.Equal(dst[:len(want)], want) {
			t.Fatalf("decodeLowerHex(%q) wrote %x, want %x", s, dst[:len(want)], want)
		}
	})
}
