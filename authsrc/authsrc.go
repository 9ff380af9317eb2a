// Package authsrc defines how tkt checks a password: one small interface,
// Source, that every user store (htpasswd, SQL, LDAP) implements, and the
// errors the portal needs to tell "the user got it wrong" from "we are down";
// and Lookuper, by which a store says who a user is now without their
// password, asked before a ticket is refreshed.
//
// authsrc knows nothing of HTTP or tickets; the stores live in subpackages
// and all pass the shared conformance suite in authsrc/authsrctest.
package authsrc

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Identity is what a store knows about a user once the password checks out.
type Identity struct {
	// User is the name as the store holds it (it may differ in case or
	// normalisation from what was typed).
	User string
	// Groups become the ticket's tokens.
	Groups []string
	// Data becomes the ticket's user data; empty when the store has none.
	Data string
}

// Source checks a user's password.
//
// Authenticate returns ErrInvalidCredentials for an unknown user or a wrong
// password alike, so a caller can't learn which names exist, and an error
// matching ErrUnavailable (wrapping the cause) when the store could not give
// an answer. It must honour ctx's deadline.
type Source interface {
	Authenticate(ctx context.Context, user, password string) (Identity, error)
}

// ErrInvalidCredentials means the user name and password do not match: the
// user's fault. The portal answers it with "wrong user name or password".
var ErrInvalidCredentials = errors.New("invalid user name or password")

// ErrUnavailable means the store could not say yes or no: our fault. The
// portal fails closed and answers 503 with the reason logged.
var ErrUnavailable = errors.New("user store unavailable")

// Limits on what a store is ever asked about. Longer input is refused before
// any backend sees it: no real user name or password comes near them, and
// they bound the cost of hashing attacker-chosen input.
const (
	MaxUserLen     = 256
	MaxPasswordLen = 1024
)

// UnavailableError reports which store failed and why. It matches
// ErrUnavailable with errors.Is and unwraps to the cause.
type UnavailableError struct {
	Store string // e.g. "ldap ldap://10.0.0.5:389"; never holds a password
	Err   error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s: %v: %v", e.Store, ErrUnavailable, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Unavailable wraps cause as an UnavailableError for store.
func Unavailable(store string, cause error) error {
	return &UnavailableError{Store: store, Err: cause}
}

// CheckInput refuses, before any backend call, what no store should see: an
// empty password (to LDAP an empty password is an anonymous bind that
// "succeeds"), an empty or oversized user name or password, NUL bytes and
// invalid UTF-8. It also returns ctx's error if ctx is already done, wrapped
// as unavailable. Every Source calls it first.
func CheckInput(ctx context.Context, user, password string) error {
	if err := ctx.Err(); err != nil {
		return Unavailable("request", err)
	}
	if badName(user) || password == "" || len(password) > MaxPasswordLen || hasNUL(password) {
		return ErrInvalidCredentials
	}
	return nil
}

// badName reports whether no store could hold user: Authenticate and
// Lookup refuse such a name alike.
func badName(user string) bool {
	return user == "" || len(user) > MaxUserLen || !utf8.ValidString(user) || hasNUL(user)
}

func hasNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
