package tkthttp

import (
	"context"
	"errors"
	"fmt"

	"github.com/tkt-sso/tkt/ticket"
)

// Errors of a Sessions check. They match ErrRevoked and
// ErrRevocationUnavailable: an ended session is a ticket taken back before
// its timeout, and is answered as one (the user logs in again; 503 while
// nobody can tell).
var (
	// ErrSessionEnded: the ticket's session was ended (logout, "sign out
	// everywhere", tktctl session end).
	ErrSessionEnded error = &kindError{"session ended", ErrRevoked}
	// ErrSessionsUnavailable: whether the ticket's session has ended
	// cannot be told (the shared state is out of reach and its last copy
	// too old).
	ErrSessionsUnavailable error = &kindError{"session state unavailable", ErrRevocationUnavailable}
)

// kindError is a sentinel of its own that also matches a broader one.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Sessions follows server-side sessions: a ticket that carries a session
// id (a token starting with ticket.SessionPrefix, which the portal adds at
// login) is refused once its session has ended, everywhere, however long
// the ticket would still be valid. tktd's shared state implements it over
// Redis. Tickets without a session id are not asked about: they are what
// mod_auth_tkt's login pages and tktctl mint.
type Sessions interface {
	// Check returns nil for a session that stands, an error matching
	// ErrSessionEnded for one that has ended, and one matching
	// ErrSessionsUnavailable when it cannot tell. It is asked on every
	// request: the answer must come from memory.
	Check(sid string) error
	// Extend is asked before a ticket of uid carrying sid is re-issued:
	// it keeps the session alive for as long as the fresh ticket, and
	// notes when it was last seen. An error means no re-issue (the
	// session is gone, or the shared state cannot be reached): the ticket
	// lasts until its own timeout, never longer. Extend logs its own
	// failures; the middleware notes them at debug level only.
	Extend(ctx context.Context, uid, sid string) error
}

// PrepareReissue is what the middleware does to a ticket before it
// re-issues it, for front ends that re-issue tickets themselves (a login
// portal's refresh): renewed by r (Renew.Apply, which keeps the session
// id), then its session, if it carries one, extended by s. nil r or s
// skip their part. An error means no re-issue.
func PrepareReissue(ctx context.Context, r Renew, s Sessions, t ticket.Ticket) (ticket.Ticket, error) {
	n, err := r.Apply(ctx, t)
	if err != nil {
		return ticket.Ticket{}, err
	}
	if s != nil {
		if sid, _ := n.Tokens.Session(); sid != "" {
			if err := s.Extend(ctx, n.UID, sid); err != nil {
				return ticket.Ticket{}, fmt.Errorf("session not extended: %w", err)
			}
		}
	}
	return n, nil
}

// checkSession asks s whether the session a ticket's tokens carry has
// ended; nil for tickets that carry none.
func checkSession(s Sessions, tokens ticket.Tokens) error {
	if s == nil {
		return nil
	}
	sid, _ := tokens.Session()
	if sid == "" && !hasSessionToken(tokens) {
		return nil
	}
	switch err := s.Check(sid); {
	case err == nil, errors.Is(err, ErrSessionEnded), errors.Is(err, ErrSessionsUnavailable):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrSessionsUnavailable, err)
	}
}

// hasSessionToken tells an empty session id ("tkt-sid:") from none: the
// first is asked about (and refused), the second is not.
func hasSessionToken(t ticket.Tokens) bool {
	_, rest := t.Session()
	return len(rest) != len(t)
}

// identityOf is the identity of a ticket let through: its session token
// goes into Session, its auth time into AuthTime and its guest token into
// Guest, out of the tokens an application sees, which are the user's
// groups.
func identityOf(t ticket.Ticket) Identity {
	id := Identity{Ticket: t, Guest: t.Tokens.Guest()}
	id.Session, _ = t.Tokens.Session()
	id.AuthTime, _ = t.Tokens.AuthTime()
	id.Tokens = t.Tokens.Groups()
	return id
}
