package authsrc

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Named is a Source with the name a Chain reports it by in errors and logs
// (e.g. "ldap corp" or "htpasswd /etc/tkt/users"). The name must not hold a
// secret.
type Named struct {
	Name   string
	Source Source
}

// chain is the Source Chain returns.
type chain []Named

// Chain returns a Source that asks each store in turn, the way Apache's
// AuthBasicProvider list does: the first store that accepts the password
// decides; a store that rejects it or cannot answer passes the question on.
//
// When no store accepts, the answer is ErrInvalidCredentials only if every
// store said so. If any store was unavailable the chain is unavailable too:
// the user may live in the store that was down, so calling the password wrong
// would be a guess, and the portal must fail closed (503) rather than tell a
// user with the right password that it is wrong. An error matching neither
// sentinel counts as unavailable for the same reason.
//
// The Source returned is also a Lookuper, and looks users up the same way:
// the first store that knows the user answers. A name held by two stores
// is one user to the chain, the first store's, whichever store checked the
// password at login (a ticket does not say which). When no store knows the
// user, the answer is ErrNoSuchUser only if every store said so; if any
// could not say, including a store that cannot look users up at all
// (ErrLookupUnsupported), the chain is unavailable, for the same reason:
// the user may live in that store.
//
// A chain of no stores rejects everyone. Chain panics on a nil Source: that
// is a wiring bug, like http.Handle with a nil handler.
func Chain(sources ...Named) Source {
	for i, s := range sources {
		if s.Source == nil {
			panic(fmt.Sprintf("authsrc.Chain: source %d (%q) is nil", i, s.Name))
		}
	}
	return chain(append([]Named(nil), sources...))
}

func (c chain) Authenticate(ctx context.Context, user, password string) (Identity, error) {
	if err := CheckInput(ctx, user, password); err != nil {
		return Identity{}, err
	}
	return c.ask(ctx, ErrInvalidCredentials, func(s Source) (Identity, error) {
		return s.Authenticate(ctx, user, password)
	})
}

func (c chain) Lookup(ctx context.Context, user string) (Identity, error) {
	if err := CheckName(ctx, user); err != nil {
		return Identity{}, err
	}
	return c.ask(ctx, ErrNoSuchUser, func(s Source) (Identity, error) {
		l, ok := s.(Lookuper)
		if !ok {
			return Identity{}, ErrLookupUnsupported
		}
		return l.Lookup(ctx, user)
	})
}

// ask puts one question to each store in turn until one answers it. no is
// the sentinel of a store that says "not mine"; any other error counts as
// the store being down.
func (c chain) ask(ctx context.Context, no error, question func(Source) (Identity, error)) (Identity, error) {
	var down []error
	for _, s := range c {
		// Once the caller has given up there is no answer left to find,
		// and "no" would be a guess about the stores not yet asked.
		if err := ctx.Err(); err != nil {
			return Identity{}, Unavailable("request", err)
		}
		id, err := question(s.Source)
		switch {
		case err == nil:
			return id, nil
		case errors.Is(err, ErrUnavailable), !errors.Is(err, no):
			// Checked before "no" so an error matching both fails
			// closed.
			down = append(down, fmt.Errorf("%s: %w", s.Name, err))
		}
	}
	if len(down) > 0 {
		return Identity{}, Unavailable("chain", downErrors(down))
	}
	return Identity{}, no
}

// downErrors lists every store that could not answer, on one line (errors.Join
// would put each on its own line, which breaks a log record in two).
type downErrors []error

func (d downErrors) Error() string {
	var b strings.Builder
	for i, err := range d {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (d downErrors) Unwrap() []error { return d }
