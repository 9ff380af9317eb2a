package ticket

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzDecodeBase64 checks the hand-written decoder against the standard
// library on the same prefix: the longest run of the standard alphabet,
// less a lone trailing character, as unpadded base64.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "QQ", "QUI", "QUJD", "QUJDRA==", "QUJDRA==junk", "QUJD-RA", "Zm9vYmFy\x00", strings.Repeat("QUJD", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		for n < len(s) && strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", s[n]) >= 0 {
			n++
		}
		if n%4 == 1 {
			n--
		}
		want, err := base64.RawStdEncoding.DecodeString(s[:n])
		if err != nil {
			t.Fatalf("reference decoder: %v", err)
		}
		var buf [decodeBuf]byte
		if got := decodeBase64(buf[:], s); !bytes.Equal(got, want) {
			t.Fatalf("decodeBase64(%q) = %q, want %q", s, got, want)
		}
		if got := decodeBase64(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("decodeBase64 without a buffer (%q) = %q, want %q", s, got, want)
		}
	})
}
