// Package pwhash verifies a stored password hash in any format tkt accepts:
// bcrypt, Apache's $apr1$ MD5 and {SHA}, traditional DES crypt(3), the
// $1$/$5$/$6$ crypt family, argon2, scrypt and pbkdf2, and plain text only
// when a store explicitly allows it. Every store (htpasswd, SQL) goes through
// it so that a format is recognised, rejected or compared in one place.
package pwhash

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// ErrUnknownFormat means a stored hash is in no format we verify, or is in a
// known format but malformed or out of bounds. It is a store misconfiguration,
// not a wrong password: callers report it as such. Errors wrapping it never
// contain the hash.
var ErrUnknownFormat = errors.New("stored password hash is in an unknown or malformed format")

// Verifier checks passwords against stored hashes. The zero value refuses
// plain text.
type Verifier struct {
	// AllowPlain lets a stored value that looks like no hash at all be
	// compared as a plain-text password. Off by default: a typo in a hash
	// would otherwise become a password.
	AllowPlain bool
}

// Verify reports whether password matches hash. A hash in no known format
// gives ErrUnknownFormat (the caller treats it as a store misconfiguration,
// not a wrong password).
//
// Formats: bcrypt ($2a$ $2b$ $2y$, cost 4 to 17, the password cut at 72
// bytes as crypt_blowfish does), Apache MD5 ($apr1$), {SHA}, traditional
// DES crypt (any 13 characters of crypt's alphabet, the password cut at 8
// bytes as crypt(3) does), $1$, $5$, $6$, yescrypt ($y$), argon2 ($argon2id$
// $argon2i$ $argon2d$), scrypt ($scrypt$) and pbkdf2 ($pbkdf2[-shaN]$), each
// optionally behind an RFC 2307 prefix ({CRYPT}, {ARGON2}, {PBKDF2-SHA256}).
// Work factors are bounded (see bounds.go) so that one stored hash can't
// cost minutes or gigabytes. A "!" or "*" before a hash marks a locked
// account: it matches nothing, after the time of the hash behind it. Plain
// text only with AllowPlain, and never for a value shaped like a hash. A
// password holding NUL matches nothing.
func (v Verifier) Verify(hash, password string) (bool, error) {
	m, err := v.parse(hash)
	if err != nil {
		return false, err
	}
	if strings.IndexByte(password, 0) >= 0 {
		// The C implementations stop at NUL, so "pw\x00junk" would match
		// "pw" there; refuse rather than guess.
		return false, nil
	}
	return m(password)
}

// Check reports, without hashing anything, whether Verify can use hash: nil,
// or an error wrapping ErrUnknownFormat. Stores call it when they load
// hashes, to name a bad entry at once rather than at its first login.
func (v Verifier) Check(hash string) error {
	_, err := v.parse(hash)
	return err
}

// Dummy spends about the time of verifying a bcrypt hash of the given cost,
// so that an unknown user costs as much as a wrong password. cost <= 0 means
// bcrypt.DefaultCost.
func Dummy(password string, cost int) {
	// Hashing costs exactly what comparing costs (both run the same key
	// schedule), and needs no stored dummy hash, so no package state.
	_, _ = bcrypt.GenerateFromPassword(bcryptInput(password), clampCost(cost))
}

// Bcrypt returns a new bcrypt hash of password with the given cost (<= 0
// means bcrypt.DefaultCost).
//
// The prefix is $2y$, what Apache's `htpasswd -B` and PHP's password_hash
// write: Apache's APR validates $2y$ (older releases not $2b$), and
// golang.org/x/crypto, go-crypt and libxcrypt read it too, so a hash made
// here can be copied into an htpasswd file. $2a$, $2b$ and $2y$ are the same
// algorithm for the hashes any correct implementation produces.
func Bcrypt(password string, cost int) (string, error) {
	if cost <= 0 {
		cost = bcrypt.DefaultCost
	}
	if cost < bcrypt.MinCost || cost > MaxBcryptCost {
		return "", errors.New("pwhash: bcrypt cost out of range")
	}
	if len(password) > bcryptMaxPassword {
		// Verify truncates like crypt_blowfish does, but a new hash must not
		// silently ignore part of what the user chose.
		return "", bcrypt.ErrPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return "$2y$" + string(h[4:]), nil
}
