package tkthttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// Errors of a Revocation check.
var (
	// ErrRevoked: the ticket was issued before a revocation mark for its
	// user, or for everyone. The user logs in again.
	ErrRevoked = errors.New("ticket revoked")
	// ErrRevocationUnavailable: whether the ticket is revoked cannot be
	// told (the shared state is out of reach and its last copy too old).
	// The request is refused with 503: failing open would undo a
	// revocation made during the outage.
	ErrRevocationUnavailable = errors.New("revocation state unavailable")
)

// Revocation says whether tickets have been taken back before their
// timeout: every ticket of a user issued before a mark (a stolen cookie, a
// changed password, "sign out everywhere"), or every ticket. A ticket is
// signed, not stored, so this is the one thing a validator must ask beyond
// the secret; the answer must come from memory, as it is asked on every
// request. tktd's shared state implements it over Redis.
type Revocation interface {
	// Check returns nil for a ticket of uid issued at issued that stands,
	// an error matching ErrRevoked for one that was taken back, and one
	// matching ErrRevocationUnavailable when it cannot tell.
	Check(uid string, issued time.Time) error
}

// Renew gives a ticket due for re-issue the user's tokens and data as
// they are now, or an error when the ticket must not be re-issued (the
// user is gone, or their store cannot say). It must keep the user id.
// It never sees the ticket's session and auth-time tokens, nor can it
// change them: Apply takes them out before and puts them back after.
// tktd asks the user's store, so that a deleted user's ticket, or a
// stolen one, does not slide on for ever.
//
// Renew logs its own failures, at the level each deserves (a deleted
// user is news, a store outage is a warning best not repeated for every
// request): the middleware notes them at debug level only.
type Renew func(ctx context.Context, t ticket.Ticket) (ticket.Ticket, error)

var (
	// errNotRenewed marks a re-issue that Renew refused.
	errNotRenewed = errors.New("not renewed")
	// errOtherUser is a Renew that broke its contract: no Renew logs that.
	errOtherUser = errors.New("renewal changed the user id")
)

// Apply renews t for re-issue: t as it is when r is nil, otherwise r's
// answer with t's time, session token and auth time, refused if it
// changes the user id. Front ends that re-issue tickets themselves (a
// login portal's refresh) apply it as the middleware does (see
// PrepareReissue).
func (r Renew) Apply(ctx context.Context, t ticket.Ticket) (ticket.Ticket, error) {
	if r == nil {
		return t, nil
	}
	sid, _ := t.Tokens.Session()
	at, _ := t.Tokens.AuthTime()
	in := t
	in.Tokens = t.Tokens.Groups()
	n, err := r(ctx, in)
	if err != nil {
		return ticket.Ticket{}, err
	}
	if n.UID != t.UID {
		return ticket.Ticket{}, errOtherUser
	}
	n.Time = t.Time
	// t's reserved tokens, and none the renewal made up.
	n.Tokens = n.Tokens.WithAuthTime(at).WithSession(sid)
	return n, nil
}

// revocation applies Config.Revocation and Config.Sessions to a ticket
// whose signature is good (err nil or ErrMissingToken); other verdicts
// pass unchanged.
func (m *Middleware) revocation(res ticket.Result, err error) error {
	if err != nil && !errors.Is(err, ticket.ErrMissingToken) {
		return err
	}
	if rerr := CheckRevoked(m.cfg.Revocation, m.cfg.Sessions, res.Ticket); rerr != nil {
		return rerr
	}
	return err
}

// CheckRevoked asks r whether a ticket whose signature is good was
// revoked, then s whether its session has ended (when it carries one): nil
// for a ticket that stands, an error matching ErrRevoked (ErrSessionEnded
// among them) for one taken back, and one matching
// ErrRevocationUnavailable (ErrSessionsUnavailable among them) when
// nobody can tell. nil r or s skip their question. It is what the
// middleware asks, for front ends that read tickets themselves (a login
// portal).
func CheckRevoked(r Revocation, s Sessions, t ticket.Ticket) error {
	if r != nil {
		switch err := r.Check(t.UID, t.Time); {
		case err == nil:
		case errors.Is(err, ErrRevoked), errors.Is(err, ErrRevocationUnavailable):
			return err
		default:
			return fmt.Errorf("%w: %w", ErrRevocationUnavailable, err)
		}
	}
	return checkSession(s, t.Tokens)
}

// revocationUnavailable answers a request whose ticket may have been
// revoked, or its session ended, nobody can tell: 503, the client may
// retry, the ticket stays. Logged at debug level: it happens to every
// request during an outage, which the Revocation's (or Sessions') owner
// reports once.
func (m *Middleware) revocationUnavailable(w http.ResponseWriter, r *http.Request, uid string, err error, api bool) {
	what := ErrRevocationUnavailable
	if errors.Is(err, ErrSessionsUnavailable) {
		what = ErrSessionsUnavailable
	}
	m.log.LogAttrs(r.Context(), slog.LevelDebug, "ticket refused: "+what.Error(),
		slog.String("user", uid), slog.String("reason", err.Error()))
	w.Header().Set("Retry-After", "5")
	writeRefusal(w, http.StatusServiceUnavailable, what.Error(), api)
}
