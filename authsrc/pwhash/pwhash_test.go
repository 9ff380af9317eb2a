package pwhash

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

// vector is one line of testdata/vectors.tsv, made by a real tool (gen.sh).
type vector struct {
	scheme, password, hash, how string
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open("testdata/vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 4 || p[2] == "" {
			t.Fatalf("vectors.tsv:%d: want 4 non-empty tab-separated fields", n)
		}
		vs = append(vs, vector{p[0], p[1], p[2], p[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// wrongPasswords returns near misses for v that the scheme must refuse.
// Appending is a near miss only where the scheme reads the whole password:
// DES stops at 8 bytes and bcrypt at 72, as in every C implementation.
func wrongPasswords(v vector) []string {
	flip := []byte(v.password)
	flip[0] ^= 0x01
	w := []string{string(flip), "x" + v.password}
	if up := strings.ToUpper(v.password); up != v.password {
		w = append(w, up)
	}
	limit := map[string]int{"des": 8, "bcrypt": bcryptMaxPassword}[v.scheme]
	if limit == 0 || len(v.password) < limit {
		w = append(w, v.password+"x", v.password[:len(v.password)-1])
	}
	return w
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.scheme] = true
		t.Run(v.scheme+"/"+v.how, func(t *testing.T) {
			verifier := Verifier{AllowPlain: v.scheme == "plain"}
			if err := verifier.Check(v.hash); err != nil {
				t.Errorf("Check(%q) = %v", v.hash, err)
			}
			ok, err := verifier.Verify(v.hash, v.password)
			if err != nil || !ok {
				t.Fatalf("Verify(%q, %q) = %v, %v; want true", v.hash, v.password, ok, err)
			}
			for _, w := range wrongPasswords(v) {
				if ok, err := verifier.Verify(v.hash, w); ok || err != nil {
					t.Errorf("Verify(%q, wrong %q) = %v, %v; want false, nil", v.hash, w, ok, err)
				}
			}
		})
	}
	// gen.sh must have produced every format we claim to read.
	for _, s := range []string{"bcrypt", "apr1", "sha1", "des", "plain", "md5crypt", "sha256crypt",
		"sha512crypt", "yescrypt", "argon2id", "argon2i", "argon2d", "scrypt",
		"pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512"} {
		if !seen[s] {
			t.Errorf("no %s vector in testdata/vectors.tsv", s)
		}
	}
}

// TestDESCrypt checks the hand-written cipher character for character
// against Perl's and htpasswd's crypt(3), not only the yes/no of Verify.
func TestDESCrypt(t *testing.T) {
	n := 0
	for _, v := range loadVectors(t) {
		if v.scheme != "des" {
			continue
		}
		n++
		if got := desCrypt(v.password, v.hash[:2]); got != v.hash {
			t.Errorf("desCrypt(%q, %q) = %q, want %q (%s)", v.password, v.hash[:2], got, v.hash, v.how)
		}
	}
	if n < 10 {
		t.Fatalf("only %d DES vectors", n)
	}
}

// TestTruncation pins down the C implementations' limits, which Apache
// applies to the files it shares with us.
func TestTruncation(t *testing.T) {
	for _, v := range loadVectors(t) {
		var extended string
		switch {
		case v.scheme == "des" && len(v.password) >= 8:
			extended = v.password[:8] + "anything"
		case v.scheme == "bcrypt" && len(v.password) > bcryptMaxPassword:
			extended = v.password[:bcryptMaxPassword] + "anything"
		default:
			continue
		}
		if ok, err := (Verifier{}).Verify(v.hash, extended); !ok || err != nil {
			t.Errorf("%s: Verify(%q, %q) = %v, %v; want true", v.how, v.hash, extended, ok, err)
		}
	}
}

func TestPlain(t *testing.T) {
	const des = "abzlUXK5ed5rs" // perl -e 'print crypt("pw","ab")'
	tests := []struct {
		name, hash, password string
		allow, want          bool
		wantErr              error
	}{
		{"allowed", "secret", "secret", true, true, nil},
		{"allowed wrong", "secret", "Secret", true, false, nil},
		{"allowed prefix", "secret", "secre", true, false, nil},
		{"refused by default", "secret", "secret", false, false, ErrUnknownFormat},
		{"DES is never plain", des, des, true, false, nil},
		{"DES still verifies", des, "pw", true, true, nil},
		{"unknown crypt id is not plain", "$foo$bar", "$foo$bar", true, false, ErrUnknownFormat},
		{"unknown scheme is not plain", "{SSHA}abcd", "{SSHA}abcd", true, false, ErrUnknownFormat},
		{"malformed bcrypt is not plain", "$2y$05$abc", "$2y$05$abc", true, false, ErrUnknownFormat},
		{"empty never matches", "", "", true, false, ErrUnknownFormat},
		{"dollar text is plain", "$ecret", "$ecret", true, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verifier{AllowPlain: tt.allow}.Verify(tt.hash, tt.password)
			if ok != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Verify(%q, %q) = %v, %v; want %v, %v", tt.hash, tt.password, ok, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestLockedAndNUL(t *testing.T) {
	const apr1 = "$apr1$cpNxnR28$VY6dNQ//q5eZ6xuUA64Mj/" // htpasswd -nbm u pw
	tests := []struct{ hash, password string }{
		{"!" + apr1, "pw"},
		{"*", "*"},
		{"*" + apr1, "pw"},
		{"abzlUXK5ed5rs", "pw\x00"},   // crypt would stop at the NUL
		{"abzlUXK5ed5rs", "pw\x00ab"}, // and match
	}
	for _, tt := range tests {
		ok, err := Verifier{AllowPlain: true}.Verify(tt.hash, tt.password)
		if ok || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v; want false, nil", tt.hash, tt.password, ok, err)
		}
	}
	if ok, _ := (Verifier{}).Verify(apr1, "pw"); !ok {
		t.Fatal("the unlocked hash must verify, or the test proves nothing")
	}
}
