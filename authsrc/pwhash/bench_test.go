package pwhash

import "testing"

// BenchmarkVerify times one verification per format with the parameters
// the tools write by default (bcrypt at htpasswd's cost 5, sha-crypt at
// 5000 rounds...), to show the spread from {SHA} to yescrypt.
func BenchmarkVerify(b *testing.B) {
	seen := map[string]bool{}
	for _, v := range loadVectors(b) {
		if seen[v.scheme] {
			continue
		}
		seen[v.scheme] = true
		verifier := Verifier{AllowPlain: v.scheme == "plain"}
		b.Run(v.scheme, func(b *testing.B) {
			for b.Loop() {
				if ok, err := verifier.Verify(v.hash, v.password); !ok || err != nil {
					b.Fatalf("Verify(%q) = %v, %v", v.hash, ok, err)
				}
			}
		})
	}
}

func BenchmarkDummy(b *testing.B) {
	for b.Loop() {
		Dummy("password", 5)
	}
}

func BenchmarkBcrypt(b *testing.B) {
	for b.Loop() {
		if _, err := Bcrypt("password", 5); err != nil {
			b.Fatal(err)
		}
	}
}
