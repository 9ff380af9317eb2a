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
)

// Classify maps an Authenticate error to its Outcome; an error matching
// neither sentinel is named as unclassified, which every test treats as a
// failure of the store's contract.
func Classify(err error) Outcome {
	switch {
	case err == nil:
		return Accepted
	case errors.Is(err, authsrc.ErrUnavailable):
		return Unavailable
	case errors.Is(err, authsrc.ErrInvalidCredentials):
		return Invalid
	}
	return Outcome("unclassified: " + err.Error())
}
