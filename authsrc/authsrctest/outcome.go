package authsrctest

import (
	"errors"

	"github.com/tkt-sso/tkt/authsrc"
)

// Outcome is what a caller of a Source can tell apart.
type Outcome string

const (
	Accepted    Outcome = "accepted"
	Invalid     Outcome = "invalid"
	Unavailable Outcome = "unavailable"
	// NoSuchUser is Lookup's answer for a user the store does not hold.
	NoSuchUser Outcome = "no such user"
)

// Classify maps an Authenticate or Lookup error to its Outcome; an error
// matching no sentinel is named as unclassified, which every test treats
// as a failure of the store's contract.
func Classify(err error) Outcome {
	switch {
	case err == nil:
		return Accepted
	case errors.Is(err, authsrc.ErrUnavailable):
		return Unavailable
	case errors.Is(err, authsrc.ErrInvalidCredentials):
		return Invalid
	case errors.Is(err, authsrc.ErrNoSuchUser):
		return NoSuchUser
	}
	return Outcome("unclassified: " + err.Error())
}
