package pwhash

import (
	"errors"
	"strings"
	"testing"
)

// malformedHashes are stored values a store may hold by mistake or by
// attack; each must give ErrUnknownFormat, whatever the password.
var malformedHashes = []string{
	"",
	"plaintext",
	"abcdefghijkl!",  // 13 characters, not all from crypt's alphabet
	"abcdefghijklmn", // 14 characters
	"$2y$05$short",   // bcrypt, truncated
	"$2y$05$" + strings.Repeat("!", 53),
	"$2y$99$" + strings.Repeat("a", 53), // cost beyond bcrypt's range
	"$2y$18$" + strings.Repeat("a", 53), // cost beyond the work limit
	"$2y$03$" + strings.Repeat("a", 53), // cost below bcrypt's minimum
	"$2y$ab$" + strings.Repeat("a", 53), // cost not a number
	"$2y$05$" + strings.Repeat("a", 54), // one character too many
	"$2x$05$" + strings.Repeat("a", 53), // crypt_blowfish's buggy 8-bit variant: unsupported
	"$apr1$nosalt",
	"$apr1$cpNxnR28$VY6dNQ//q5eZ6xuUA64",         // digest cut short
	"$apr1$cpNxnR28$VY6dNQ//q5eZ6xuUA64Mj/extra", // digest too long
	"$apr1$cpNxnR28x$VY6dNQ//q5eZ6xuUA64Mj/",     // salt over 8
	"$apr1$cpNxnR28$VY6dNQ//q5eZ6xuUA64M!/",      // not crypt base64
	"$1$Nz4vz7e3$FTnhnoZToR69K1cwhXPLJ",          // digest cut short
	"$5$65lVbEMv/zosu7VY$RUCpt7helrB3GAzLtxJDbM.QcRgR8uCmTx0e.b3ET/",
	"$6$fP8RRXsNyLDdAM8J$aVB6B2xvXcWG4pzj0ME5w99n7UEbal.MoLMACdmtjDKDK0dN.aL0fktpWgatChmHE3GuxDaq1zP/pysd8DYKT",
	"$6$rounds=5000$fP8RRXsNyLDdAM8J$short",
	"{SHA}notbase64!!",
	"{SHA}AAECAwQFBgcICQ==", // 10 bytes, not 20
	"$1$",
	"$5$rounds=abc$salt$x", // go-htpasswd panics on this one
	"$5$rounds=$salt$x",
	"$6$rounds=99999999$salt$IsXhR6PIVMmPvcVXRzcWnfC0j4ADAYGjCGe2xAZNmb8ojFURzpFmWqY4SGf5",
	"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=999,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1,p=9999$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=-1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1,p=1$$",
	"$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$scrypt$ln=20,r=32,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB
	"$scrypt$ln=10,r=8,p=99$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$pbkdf2-sha256$99999999$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$pbkdf2-sha256$100000$c2FsdHNhbHQ$" + strings.Repeat("a", 10000), // 375 blocks
	"$pbkdf2-sha256$notanumber$c2FsdHNhbHQ$aGFzaA",
	"$y$jzz$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // yescrypt, N = 2^62
	"$y$xyz$salt$key",
	"$unknown$x",
	"$sha1$40000$salt$hash", // a scheme go-crypt knows and we don't accept
	"{SSHA}abcdef",
	"{CRYPT}",
	"{CRYPT}notahash",
	"{CRYPT}{CRYPT}abzlUXK5ed5rs", // one storage prefix, not a chain
	"{ARGON2}$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
}

func TestMalformed(t *testing.T) {
	for _, h := range malformedHashes {
		for _, v := range []Verifier{{}, {AllowPlain: true}} {
			if v.AllowPlain && (h == "plaintext" || h == "abcdefghijkl!" || h == "abcdefghijklmn") {
				continue // text that is fine as a plain password
			}
			if err := v.Check(h); !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("%+v.Check(%.60q) = %v, want ErrUnknownFormat", v, h, err)
			}
			ok, err := v.Verify(h, "pw")
			if ok || !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("%+v.Verify(%.60q) = %v, %v; want false, ErrUnknownFormat", v, h, ok, err)
				continue
			}
			if len(h) > 6 && strings.Contains(err.Error(), h[len(h)/2:]) {
				t.Errorf("error %q quotes the hash", err)
			}
		}
	}
}

// TestStoragePrefixes checks the RFC 2307 wrappers LDAP exports carry.
func TestStoragePrefixes(t *testing.T) {
	for _, v := range loadVectors(t) {
		var wrapped string
		switch v.scheme {
		case "des", "md5crypt", "sha512crypt", "bcrypt":
			wrapped = "{CRYPT}" + v.hash
		case "argon2id":
			wrapped = "{ARGON2}" + v.hash
		default:
			continue
		}
		if ok, err := (Verifier{}).Verify(wrapped, v.password); !ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want true", wrapped, ok, err)
		}
		if ok, _ := (Verifier{}).Verify(wrapped, "\x01"+v.password); ok {
			t.Errorf("Verify(%q, wrong) = true", wrapped)
		}
	}
}
