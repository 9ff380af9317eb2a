package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// RecoveryCodes is how many one-time recovery codes a user gets.
const RecoveryCodes = 10

// recoveryAlphabet is Crockford's base32: digits and capitals without I,
// L, O and U, the letters people mix up when they copy a code from paper;
// a typed O is read as 0 and I or L as 1. 32 symbols, 5 bits each.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// A code is 16 symbols (80 bits), written in four groups of four. 80 bits
// make the stored SHA-256 hashes as hard to reverse offline as the code
// is to guess online, so no slow hash is needed: one lookup by hash finds
// (and deletes) a code in the database.
const recoveryLen = 16

var recoveryEncoding = base32.NewEncoding(recoveryAlphabet).WithPadding(base32.NoPadding)

// newRecoveryCode is one fresh code as shown to the user.
func newRecoveryCode() string {
	b := make([]byte, recoveryLen*5/8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	s := recoveryEncoding.EncodeToString(b)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// normalizeRecovery is a typed code as it was issued, blanks and dashes
// and case aside; "" if it cannot be one.
func normalizeRecovery(typed string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != recoveryLen {
		return ""
	}
	return b.String()
}

// recoveryHash is what the database keeps of a code: bound to the user, so
// that one user's hash says nothing of another's codes.
func recoveryHash(user, code string) string {
	h := sha256.New()
	h.Write([]byte("tkt recovery code\x00"))
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(code))
	return hex.EncodeToString(h.Sum(nil))
}
