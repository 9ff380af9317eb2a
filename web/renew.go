package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// RenewConfig says how a ticket due for refresh is renewed from the user
// stores before it is re-issued (NewRenew).
type RenewConfig struct {
	// Source is asked who the ticket's user is now. It must be an
	// authsrc.Lookuper to renew anything; tktd gives the credential cache
	// in front of the chained stores, as for HTTP Basic.
	Source authsrc.Source
	// GuestUser is the name pattern of the site's guests (%U and %<n>U as
	// in mod_auth_tkt), or "" where guests are not let in. A ticket whose
	// user id fits it, with no tokens and no data, is a guest's from
	// before guests' tickets were marked, which no store holds: it is
	// re-issued as it is, as before, since it carries nothing that guest
	// login does not give anyone. A marked guest's ticket
	// (ticket.GuestToken) is re-issued as it is whatever its name.
	GuestUser string
	// Timeout bounds one lookup; default 10s. While a store hangs, a
	// request whose ticket is due for refresh waits this long, then goes
	// on with its ticket as it is.
	Timeout time.Duration
	// Keep are tokens no store grants (the second-factor token): a
	// renewed ticket keeps those the old one carried, and a store group
	// of the same name is dropped.
	Keep []string
	// Logger gets a line for every ticket not renewed (a deleted user at
	// info level, a store that cannot say at warning level at most once a
	// minute and at debug level in between); nil discards.
	Logger *slog.Logger
}

// errUserGone is a renewal's answer for a user the stores no longer hold.
var errUserGone = errors.New("the user no longer exists")

// outageEvery is how often, at most, a store that cannot say who a user is
// is logged as a warning: during an outage every request due for refresh
// would otherwise log one.
const outageEvery = time.Minute

// NewRenew returns the renewal of tickets from c.Source for the portal,
// the forward-auth endpoint and the gate: a ticket due for refresh gets
// its user's tokens (the groups that can be tokens) and data as the store
// says they are now. A user the store no longer holds, or a store that
// cannot say, gets no fresh ticket: the old one lasts until its own
// timeout, never longer, and the request goes on with it.
//
// It returns nil, renewal off, when c.Source is nil or is no
// authsrc.Lookuper: tickets are then re-issued as they are, as they were
// before stores could be asked.
func NewRenew(c RenewConfig) (tkthttp.Renew, error) {
	l, ok := c.Source.(authsrc.Lookuper)
	if !ok {
		return nil, nil
	}
	if c.Timeout < 0 {
		return nil, errors.New("renew: timeout must not be negative")
	}
	for _, k := range c.Keep {
		if err := ticket.CheckRequiredToken(k); err != nil {
			return nil, fmt.Errorf("renew: kept token: %w", err)
		}
	}
	rn := &renewer{lookup: l, timeout: cmp.Or(c.Timeout, defaultStoreTimeout), log: c.Logger, keep: c.Keep}
	if rn.log == nil {
		rn.log = slog.New(slog.DiscardHandler)
	}
	if c.GuestUser != "" {
		g, err := tkthttp.ParseGuestUser(c.GuestUser)
		if err != nil {
			return nil, fmt.Errorf("renew: %w", err)
		}
		rn.guest = &g
	}
	return rn.renew, nil
}

type renewer struct {
	lookup  authsrc.Lookuper
	guest   *tkthttp.GuestUser // nil: no guests
	keep    []string
	timeout time.Duration
	log     *slog.Logger
	warned  atomic.Int64 // when an outage was last logged as a warning, UnixNano
}

func (rn *renewer) renew(ctx context.Context, t ticket.Ticket) (ticket.Ticket, error) {
	if t.Tokens.Guest() {
		// A guest's ticket, which no store holds: it stays a guest's,
		// whatever user a store might hold under the same name.
		return t, nil
	}
	if rn.guest != nil && t.Tokens == "" && t.Data == "" && rn.guest.Match(t.UID) {
		return t, nil
	}
	lctx, cancel := context.WithTimeout(ctx, rn.timeout)
	id, err := rn.lookup.Lookup(lctx, t.UID)
	cancel()
	switch {
	case err == nil:
		id.User = t.UID // the ticket's name stays, whatever the store's spelling
		n := ticketFor(ctx, rn.log, authsrc.WithoutGroupsOf(id, rn.keep...), t.UID, t.Time)
		for _, k := range rn.keep {
			if t.Tokens.Has(k) {
				n.Tokens = withToken(n.Tokens, k)
			}
		}
		return n, nil
	case errors.Is(err, authsrc.ErrNoSuchUser) && !errors.Is(err, authsrc.ErrUnavailable):
		rn.log.LogAttrs(ctx, slog.LevelInfo, "ticket not re-issued: the user no longer exists",
			slog.String("user", t.UID))
		return ticket.Ticket{}, errUserGone
	}
	rn.outage(ctx, t.UID, err)
	return ticket.Ticket{}, fmt.Errorf("the user store cannot say who the user is: %w", err)
}

// outage logs a lookup that got no answer: a warning the first time in
// outageEvery, at debug level otherwise.
func (rn *renewer) outage(ctx context.Context, user string, err error) {
	level := slog.LevelDebug
	now := time.Now().UnixNano()
	if last := rn.warned.Load(); now-last >= int64(outageEvery) && rn.warned.CompareAndSwap(last, now) {
		level = slog.LevelWarn
	}
	rn.log.LogAttrs(ctx, level, "ticket not re-issued: the user store cannot say who the user is; the ticket lasts until its timeout",
		slog.String("user", user), slog.String("reason", err.Error()))
}
