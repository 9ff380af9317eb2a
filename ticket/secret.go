package ticket

import (
	"errors"
	"fmt"
)

// The length of a secret bounds what a stolen ticket is worth: with the
// ticket in hand, guessing the secret offline takes one hash per try, and a
// short one falls in seconds (a one-byte secret did in 0.14 s), after which
// its finder mints tickets for any user with any token. tkt's own secrets
// are 32 random bytes (tktctl secret new).
const (
	// MinSecretLen is the shortest secret accepted without
	// AllowWeakSecret.
	MinSecretLen = 16
	// RecommendedSecretLen is what tkt's tools generate; shorter secrets
	// are warned about.
	RecommendedSecretLen = 32
)

// ErrWeakSecret: a secret shorter than MinSecretLen, refused unless the
// configuration explicitly allows it (a legacy mod_auth_tkt secret that
// cannot be changed yet).
var ErrWeakSecret = errors.New("secret too short")

// CheckSecret reports why secret is too short to sign tickets, or nil.
// The error says how long it is, never what it is.
func CheckSecret(secret string) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("%w: %d bytes, at least %d are needed (%d recommended)", ErrWeakSecret, len(secret), MinSecretLen, RecommendedSecretLen)
	}
	return nil
}
