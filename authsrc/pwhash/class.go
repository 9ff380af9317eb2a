package pwhash

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-crypt/crypt"
)

// Class names what verifying hash costs: its scheme and work factors,
// never its salt or digest ("bcrypt cost 10", "sha512-crypt rounds=5000",
// "{SHA}"), so logs may show it. Hashes of one class take one time to
// verify. A locked hash ("!" or "*" before it) is in the class of the hash
// behind the mark, whose time it spends; a value in no hash format is
// "plain", and a "$id$" scheme Verify refuses is "unknown".
func Class(hash string) string {
	for hash != "" && (hash[0] == '!' || hash[0] == '*') {
		hash = hash[1:]
	}
	if strings.HasPrefix(hash, "{") && !strings.HasPrefix(hash, "{SHA}") {
		hash = crypt.Normalize(hash) // {CRYPT}, {ARGON2}, {PBKDF2-SHA256}...
	}
	switch {
	case hash == "":
		return "locked"
	case strings.HasPrefix(hash, "{SHA}"):
		return "{SHA}"
	case isDES(hash):
		return "des-crypt"
	}
	id, ok := cryptID(hash)
	if !ok {
		return "plain"
	}
	parts := strings.Split(hash, "$") // "", id, parameters..., salt, digest
	part := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	switch id {
	case "2a", "2b", "2y":
		if cost, err := strconv.Atoi(part(2)); err == nil {
			return BcryptClass(cost)
		}
		return "bcrypt"
	case "apr1":
		return "apr1-md5"
	case "1":
		return "md5-crypt"
	case "5", "6":
		rounds := "5000" // crypt(3)'s default when the hash names none
		if r, ok := strings.CutPrefix(part(2), "rounds="); ok && digits(r) {
			rounds = r
		}
		return map[string]string{"5": "sha256-crypt", "6": "sha512-crypt"}[id] + " rounds=" + rounds
	case "y":
		// "$y$j9T$salt$digest": the second field encodes flags, N and r.
		if p := part(2); len(p) <= 16 {
			return "yescrypt " + p
		}
		return "yescrypt"
	case "argon2id", "argon2i", "argon2d", "scrypt":
		// "$argon2id$v=19$m=65536,t=3,p=4$..." and "$scrypt$ln=16,r=8,p=1$...";
		// a salt never holds '=' (unpadded base64), so the first field
		// with one holds the work factors.
		for _, p := range parts[2:] {
			if strings.Contains(p, "=") && !strings.HasPrefix(p, "v=") {
				return id + " " + p
			}
		}
		return id
	}
	if strings.HasPrefix(id, "pbkdf2") && digits(part(2)) {
		// "$pbkdf2-sha256$rounds$salt$key": the key's length sets how many
		// blocks of the rounds are computed.
		return fmt.Sprintf("%s rounds=%s bytes=%d", id, part(2), len(part(4))*6/8)
	}
	return "unknown"
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// BcryptClass is the Class of a bcrypt hash of the given cost (<= 0 means
// bcrypt.DefaultCost), what Bcrypt makes.
func BcryptClass(cost int) string { return "bcrypt cost " + strconv.Itoa(clampCost(cost)) }

// NeedsRehash reports whether a hash that has just matched should be
// replaced by Bcrypt(password, cost): it is in another scheme, or bcrypt at
// another cost. A higher cost is brought down as a lower one is brought up:
// the configured cost is the store's policy (raise it to keep stronger
// hashes), and a store whose hashes are all of one class has every failed
// login cost the same without waiting for the slowest.
func NeedsRehash(hash string, cost int) bool { return Class(hash) != BcryptClass(cost) }

// Rehash returns the hash a store should put in place of old, which
// password has just matched: Bcrypt(password, cost), or "" when old is
// that class already (NeedsRehash). An error (a password longer than
// bcrypt takes) means old stays, rather than a hash of part of the
// password.
func Rehash(old, password string, cost int) (string, error) {
	if !NeedsRehash(old, cost) {
		return "", nil
	}
	return Bcrypt(password, cost)
}

// bcryptB64 is bcrypt's base64: crypt's alphabet in another order.
var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// UnmatchableBcrypt returns a well-formed bcrypt hash of the given cost
// whose digest is random: no password matches it (but with probability
// 2^-184), verifying it costs what verifying any hash of that cost costs,
// and making it costs nothing, unlike Bcrypt. Stores verify it for users
// they don't have.
func UnmatchableBcrypt(cost int) string {
	var salt [16]byte
	var digest [23]byte // bcrypt keeps 23 of its 24 bytes
	rand.Read(salt[:])
	rand.Read(digest[:])
	return fmt.Sprintf("$2y$%02d$%s%s", clampCost(cost), bcryptB64.EncodeToString(salt[:]), bcryptB64.EncodeToString(digest[:]))
}
