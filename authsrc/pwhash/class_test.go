package pwhash

import (
	"strings"
	"testing"
)

func TestClass(t *testing.T) {
	tests := []struct{ hash, want string }{
		{"$2y$05$HKukLOrskOOk1idQ3IcBUO8uRWUvyUuNGwnyMpxMx25AYv8izr7xC", "bcrypt cost 5"},
		{"$2a$12$H6nYSBtDySJ2Q1sej87lwemir5hlmsld99LCRG43rsuRfZsgPJCMi", "bcrypt cost 12"},
		{"!$2b$10$sZ3A2JAp9emFnVu3DW2HkeR0RaEfQpnDPQlH5oos4DXPtmHR2D50u", "bcrypt cost 10"},
		{"{CRYPT}$2y$04$FQyISAyJvZqYaT6xkP.O4eEmvGJ1HYzL5zn0CWjrxk7Y7AHCT3M/y", "bcrypt cost 4"},
		{"$apr1$qRJZNOMQ$.CIxFWuvgoFaiWuvIHLzx0", "apr1-md5"},
		{"{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", "{SHA}"},
		{"TgHYm9QgoVAI2", "des-crypt"},
		{"$1$8aWKs.y9$UdSniRWX1F3Sb5Y7QrmUu.", "md5-crypt"},
		{"$5$BOpewpk4JimlHocW$XWbMkd5ahVjHPlygsNovVgffnX97pCUkHL6IsEcWhjB", "sha256-crypt rounds=5000"},
		{"$6$rounds=12000$I6bx.m7mTXOu5H3b$mXuFfRC3X14EM", "sha512-crypt rounds=12000"},
		{"$y$j9T$TMuSopfaILJWJbwd$kdRlM8geHUMC.wVOJmlVlfF8tDHpdbStLkWYVhLUwS9", "yescrypt j9T"},
		{"$argon2id$v=19$m=256,t=2,p=2$c2FsdDMyNjA3MjI3OQ$m4N6WPjySahNJDvL5uJBB8g8yOMobEjA7Re0S7JCsF8", "argon2id m=256,t=2,p=2"},
		{"{ARGON2}$argon2i$v=19$m=512,t=3,p=1$c2FsdA$abc", "argon2i m=512,t=3,p=1"},
		{"$scrypt$ln=10,r=8,p=1$5p8AX+xQFH/bb1CnwY9wmw$O3V3mziVmHMDhgHVrV96mPFc9dFx0LfaX5PM2q/1GFk", "scrypt ln=10,r=8,p=1"},
		{"$pbkdf2-sha256$2000$5p8AX.xQFH/bb1CnwY9wmw$q4jNBxmUhz/Gs8QtIL7YXzdlHgUz8CEB4OgQSI3O8dw", "pbkdf2-sha256 rounds=2000 bytes=32"},
		{"{PBKDF2-SHA256}2000$5p8AX.xQFH/bb1CnwY9wmw$q4jNBxmUhz/Gs8QtIL7YXzdlHgUz8CEB4OgQSI3O8dw", "pbkdf2-sha256 rounds=2000 bytes=32"},
		{"$zz$whatever$x", "unknown"},
		{"plain-password", "plain"},
		{"*", "locked"},
	}
	for _, tt := range tests {
		if got := Class(tt.hash); got != tt.want {
			t.Errorf("Class(%q) = %q, want %q", tt.hash, got, tt.want)
		}
	}
}

// TestClassHidesHash: a class is logged, so no salt or digest of any
// vector may show in it.
func TestClassHidesHash(t *testing.T) {
	for _, v := range loadVectors(t) {
		c := Class(v.hash)
		if c == "plain" {
			continue
		}
		parts := strings.FieldsFunc(v.hash, func(r rune) bool { return r == '$' || r == '}' })
		for _, p := range parts[max(len(parts)-2, 0):] { // salt and digest come last
			if len(p) >= 8 && strings.Contains(c, p) {
				t.Errorf("Class(%s hash) = %q shows %q", v.scheme, c, p)
			}
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	b10, err := Bcrypt("pw", 10)
	if err != nil {
		t.Fatal(err)
	}
	b5, _ := Bcrypt("pw", 5)
	tests := []struct {
		hash string
		cost int
		want bool
	}{
		{b10, 10, false},
		{b10, 0, false}, // the default cost
		{"$2a" + b10[3:], 10, false},
		{b5, 10, true},
		{b10, 5, true}, // the configured cost is the policy, both ways
		{"{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", 10, true},
		{"$apr1$qRJZNOMQ$.CIxFWuvgoFaiWuvIHLzx0", 5, true},
		{"pw", 10, true},
	}
	for _, tt := range tests {
		if got := NeedsRehash(tt.hash, tt.cost); got != tt.want {
			t.Errorf("NeedsRehash(%.12s…, %d) = %v, want %v", tt.hash, tt.cost, got, tt.want)
		}
	}
}

func TestRehash(t *testing.T) {
	b4, _ := Bcrypt("pw", 4)
	if h, err := Rehash(b4, "pw", 4); h != "" || err != nil {
		t.Errorf("Rehash(current hash) = %q, %v; want nothing to do", h, err)
	}
	h, err := Rehash("{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", "pw", 4)
	if err != nil || Class(h) != "bcrypt cost 4" {
		t.Fatalf("Rehash({SHA}) = %q, %v", h, err)
	}
	if ok, err := (Verifier{}).Verify(h, "pw"); !ok || err != nil {
		t.Errorf("the new hash does not verify: %v, %v", ok, err)
	}
	if h, err := Rehash("{SHA}x", strings.Repeat("p", 73), 4); h != "" || err == nil {
		t.Errorf("Rehash of a password over 72 bytes = %q, %v; want an error, the old hash kept", h, err)
	}
}

func TestUnmatchableBcrypt(t *testing.T) {
	h := UnmatchableBcrypt(4)
	if err := (Verifier{}).Check(h); err != nil {
		t.Fatalf("Check(%q): %v", h, err)
	}
	if Class(h) != BcryptClass(4) {
		t.Errorf("Class = %q", Class(h))
	}
	for _, pw := range []string{"", "pw", calibrationPassword} {
		if ok, err := (Verifier{}).Verify(h, pw); ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want no match and no error", pw, ok, err)
		}
	}
	if UnmatchableBcrypt(4) == h {
		t.Error("two unmatchable hashes are the same")
	}
	if Class(UnmatchableBcrypt(0)) != BcryptClass(10) {
		t.Error("cost 0 is not the default cost")
	}
}
