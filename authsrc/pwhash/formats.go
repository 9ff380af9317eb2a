package pwhash

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-crypt/crypt"
	"github.com/go-crypt/crypt/algorithm"
	"github.com/go-crypt/crypt/algorithm/argon2"
	"github.com/go-crypt/crypt/algorithm/md5crypt"
	"github.com/go-crypt/crypt/algorithm/pbkdf2"
	"github.com/go-crypt/crypt/algorithm/scrypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
	htpasswd "github.com/tg123/go-htpasswd"
	"golang.org/x/crypto/bcrypt"
)

// matcher compares a password with one parsed stored hash. Parsing is
// cheap and hashing is not, so Check stops after the first and Verify does
// both.
type matcher func(password string) (bool, error)

// errUnsupported marks a "$id$" hash whose scheme we don't implement.
var errUnsupported = fmt.Errorf("%w: unsupported crypt scheme", ErrUnknownFormat)

// malformed wraps ErrUnknownFormat naming the scheme, never the hash.
func malformed(scheme, why string) error {
	return fmt.Errorf("%w: %s hash: %s", ErrUnknownFormat, scheme, why)
}

func (v Verifier) parse(hash string) (matcher, error) {
	if strings.HasPrefix(hash, "{") && !strings.HasPrefix(hash, "{SHA}") {
		// RFC 2307 storage prefixes ({CRYPT}, {ARGON2}, {PBKDF2-SHA256}...)
		// as LDAP exports carry them: what follows must be a hash, never
		// plain text, and is unwrapped once only.
		if n := crypt.Normalize(hash); n != hash {
			m, known, err := parseHash(n)
			if !known {
				return nil, fmt.Errorf("%w: storage prefix without a hash", ErrUnknownFormat)
			}
			return m, err
		}
	}
	m, known, err := parseHash(hash)
	if known {
		return m, err
	}
	if v.AllowPlain && hash != "" && !looksHashed(hash) {
		return func(password string) (bool, error) {
			return subtle.ConstantTimeCompare([]byte(hash), []byte(password)) == 1, nil
		}, nil
	}
	return nil, fmt.Errorf("%w: not a recognised hash", ErrUnknownFormat)
}

// parseHash parses hash in any format but plain text; known is false when
// hash is in none of them.
func parseHash(hash string) (m matcher, known bool, err error) {
	switch {
	case hash == "":
		return nil, false, nil
	case hash[0] == '!' || hash[0] == '*':
		return parseLocked(hash), true, nil
	case strings.HasPrefix(hash, "{SHA}"):
		m, err = parseHtpasswd("{SHA}", hash, htpasswd.AcceptSha)
		return m, true, err
	case isDES(hash):
		// Checked before plain text: the default go-htpasswd parser list
		// would take these 13 characters for a plain-text password.
		return func(password string) (bool, error) { return verifyDES(hash, password), nil }, true, nil
	}
	if id, isCrypt := cryptID(hash); isCrypt {
		m, err = parseCrypt(id, hash)
		return m, !errors.Is(err, errUnsupported), err
	}
	return nil, false, nil
}

// parseLocked handles the shadow(5) convention for a locked account, "!" or
// "*" before the hash, which admins also use in htpasswd files: it matches
// nothing, but still spends the time of the hash behind the mark so that a
// locked account can't be told from a wrong password.
func parseLocked(hash string) matcher {
	inner, _, err := parseHash(hash[1:])
	return func(password string) (bool, error) {
		if inner != nil && err == nil {
			_, _ = inner(password)
		}
		return false, nil
	}
}

// cryptID returns the identifier of a modular crypt hash, "$id$...".
func cryptID(hash string) (string, bool) {
	if len(hash) < 3 || hash[0] != '$' {
		return "", false
	}
	end := strings.IndexByte(hash[1:], '$')
	if end <= 0 {
		return "", false
	}
	return hash[1 : 1+end], true
}

// looksHashed reports whether s has the shape of a hash in some scheme we
// don't know ("$id$..." or "{SCHEME}..."). With AllowPlain such a value is
// still refused rather than compared as text: it is far likelier to be a
// hash from another system than somebody's plain password, and comparing it
// as text would let anyone who read the hash log in with it.
func looksHashed(s string) bool {
	if _, ok := cryptID(s); ok {
		return true
	}
	if end := strings.IndexByte(s, '}'); strings.HasPrefix(s, "{") && end > 1 {
		for _, c := range s[1:end] {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
		return true
	}
	return false
}

func parseCrypt(id, hash string) (matcher, error) {
	switch id {
	case "2a", "2b", "2y":
		return parseBcrypt(hash)
	case "apr1":
		if err := checkShape("$apr1$", hash, 8, 22); err != nil {
			return nil, err
		}
		return parseHtpasswd("$apr1$", hash, htpasswd.AcceptMd5)
	case "1":
		if err := checkShape("$1$", hash, 8, 22); err != nil {
			return nil, err
		}
		return parseGoCrypt("$1$", hash, md5crypt.DecodeVariant(md5crypt.VariantStandard))
	case "5", "6":
		if err := checkShape("$"+id+"$", hash, 16, map[string]int{"5": 43, "6": 86}[id]); err != nil {
			return nil, err
		}
		// go-crypt rather than go-htpasswd: the latter panics on a
		// malformed "rounds=" (see TestMalformed).
		return parseGoCrypt("$"+id+"$", hash, shacrypt.Decode)
	case "y":
		// yescrypt, the Debian 12 /etc/shadow default (libxcrypt).
		return parseGoCrypt("$y$", hash, scrypt.Decode)
	case "argon2id", "argon2i", "argon2d":
		return parseGoCrypt(id, hash, argon2.Decode)
	case "scrypt":
		return parseGoCrypt(id, hash, scrypt.Decode)
	case "pbkdf2", "pbkdf2-sha1", "pbkdf2-sha224", "pbkdf2-sha256", "pbkdf2-sha384", "pbkdf2-sha512":
		return parseGoCrypt(id, hash, pbkdf2.Decode)
	}
	return nil, errUnsupported
}

// checkShape checks a crypt-family hash, "$id$[rounds=N$]salt$digest",
// for the fixed digest length and the salt limit of its scheme. Neither
// library checks them, and a truncated hash would otherwise load fine and
// then match nothing, with nobody told why.
func checkShape(scheme, hash string, maxSalt, digestLen int) error {
	rest := hash[len(scheme):]
	if scheme == "$5$" || scheme == "$6$" {
		if r, ok := strings.CutPrefix(rest, "rounds="); ok {
			_, rest, _ = strings.Cut(r, "$")
		}
	}
	salt, digest, ok := strings.Cut(rest, "$")
	if !ok || len(salt) > maxSalt || len(digest) != digestLen {
		return malformed(scheme, "wrong salt or digest length")
	}
	for i := 0; i < len(digest); i++ {
		if _, ok := cryptValue(digest[i]); !ok {
			return malformed(scheme, "digest not in crypt's base64")
		}
	}
	return nil
}

// bcryptMaxPassword is where bcrypt stops reading: crypt_blowfish (Apache,
// PHP, libxcrypt) ignores later bytes, golang.org/x/crypto refuses them.
const bcryptMaxPassword = 72

// MaxBcryptCost is the highest cost accepted, the highest `htpasswd -B -C`
// writes; each step doubles the time, and cost 17 is already seconds.
const MaxBcryptCost = 17

// bcryptHashLen is the length of every bcrypt hash: "$2y$NN$" + 53.
const bcryptHashLen = 60

// bcryptInput cuts password where crypt_blowfish does, so that a password
// set through Apache's htpasswd verifies here the same way as there.
func bcryptInput(password string) []byte {
	if len(password) > bcryptMaxPassword {
		password = password[:bcryptMaxPassword]
	}
	return []byte(password)
}

func clampCost(cost int) int {
	switch {
	case cost <= 0:
		return bcrypt.DefaultCost
	case cost < bcrypt.MinCost:
		return bcrypt.MinCost
	case cost > MaxBcryptCost:
		return MaxBcryptCost
	}
	return cost
}

func parseBcrypt(hash string) (matcher, error) {
	if len(hash) != bcryptHashLen || hash[6] != '$' {
		return nil, malformed("bcrypt", "wrong length")
	}
	cost, err := strconv.Atoi(hash[4:6])
	if err != nil || cost < bcrypt.MinCost || cost > MaxBcryptCost {
		return nil, malformed("bcrypt", "cost out of range")
	}
	for i := 7; i < len(hash); i++ {
		if _, ok := cryptValue(hash[i]); !ok { // bcrypt's alphabet is crypt's, reordered
			return nil, malformed("bcrypt", "not base64")
		}
	}
	return func(password string) (bool, error) {
		switch err := bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(password)); err {
		case nil:
			return true, nil
		case bcrypt.ErrMismatchedHashAndPassword:
			return false, nil
		default:
			return false, malformed("bcrypt", "undecodable")
		}
	}, nil
}

// parseHtpasswd uses go-htpasswd for the two Apache-only formats. Its
// parse errors quote the hash, so only their existence is passed on.
func parseHtpasswd(scheme, hash string, parse htpasswd.PasswdParser) (matcher, error) {
	m, err := parse(hash)
	if err != nil || m == nil {
		return nil, malformed(scheme, "undecodable")
	}
	return func(password string) (bool, error) { return m.MatchesPassword(password), nil }, nil
}

// parseGoCrypt decodes with go-crypt after checking the work factors, so
// that a hostile or corrupt stored hash can't make one login take minutes
// or gigabytes. go-crypt compares in constant time.
func parseGoCrypt(scheme, hash string, decode algorithm.DecodeFunc) (matcher, error) {
	if err := checkWork(scheme, hash); err != nil {
		return nil, err
	}
	d, err := decode(hash)
	if err != nil {
		return nil, malformed(scheme, "undecodable")
	}
	return func(password string) (bool, error) {
		ok, err := d.MatchAdvanced(password)
		if err != nil {
			return false, malformed(scheme, "unusable parameters")
		}
		return ok, nil
	}, nil
}
