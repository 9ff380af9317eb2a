package authsrc

import (
	"context"
	"errors"
)

// Lookuper is what a store offers besides Source when it can say who a user
// is without their password: whether the user still exists, and their
// groups and data as they are now. tkt asks it before it re-issues a ticket
// due for refresh, so that a deleted user's ticket, or a stolen one, does
// not slide on for ever, and a refreshed ticket carries the groups the user
// has today.
//
// Lookup takes the name as Identity.User reports it, which is what a ticket
// carries, and returns the Identity a successful Authenticate would; it
// returns ErrNoSuchUser when the store holds no such user (or one who could
// not log in at all, such as a row without a password hash), and an error
// matching ErrUnavailable (wrapping the cause) when the store cannot say.
// It must honour ctx's deadline.
//
// Unlike Authenticate it need not hide which names exist by its timing: it
// is asked about the names in tickets, which only tkt signs.
type Lookuper interface {
	Lookup(ctx context.Context, user string) (Identity, error)
}

// ErrNoSuchUser means the store knows no such user: the user was deleted,
// or never was. A ticket of theirs is not re-issued.
var ErrNoSuchUser = errors.New("no such user")

// ErrLookupUnsupported is the cause, wrapped as unavailable, when a store
// cannot look a user up without their password: an LDAP directory bound
// directly as each user with no service account, or a Source that does not
// implement Lookuper behind a Chain or a cache. It fails closed: a ticket
// of such a store's user is not re-issued, and lasts until its timeout.
var ErrLookupUnsupported = errors.New("the store cannot look a user up without the password")

// CheckName refuses, before any backend call, a name no store holds (empty,
// oversized, invalid UTF-8 or holding NUL) with ErrNoSuchUser, and returns
// ctx's error, wrapped as unavailable, if ctx is already done. Every
// Lookuper calls it first.
func CheckName(ctx context.Context, user string) error {
	if err := ctx.Err(); err != nil {
		return Unavailable("request", err)
	}
	if badName(user) {
		return ErrNoSuchUser
	}
	return nil
}
