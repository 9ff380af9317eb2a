package tkthttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// Middleware checks tickets in front of an http.Handler. It is immutable
// and safe for concurrent use.
type Middleware struct {
	cfg      Config
	verifier *ticket.Verifier
	clients  ClientAddrConfig
	guest    GuestUser
	urlHosts HostList
	require  Requirement
	log      *slog.Logger
	now      func() time.Time
}

// Identity is who a request is from: the ticket's user, tokens and data,
// or a guest.
type Identity struct {
	// Ticket is the verified ticket. For a guest, UID is the guest name
	// and Time is zero unless a guest ticket was issued.
	ticket.Ticket
	// Guest is set for guests (TKTAuthGuestLogin).
	Guest bool
	// Session is the ticket's server-side session id (see Sessions), ""
	// for none. Its token is not among Tokens, which are the user's
	// groups alone.
	Session string
	// AuthTime is when the user last proved who they are interactively
	// (ticket.Tokens.AuthTime), zero when the ticket does not say. Its
	// token is not among Tokens either.
	AuthTime time.Time
}

type identityKey struct{}

// IdentityFrom returns the identity the middleware put into a request's
// context, and whether there is one.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// WithIdentity returns ctx carrying id, as the middleware does. It is for
// tests of handlers and for other front ends (a forward-auth endpoint).
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// Wrap returns a handler that lets through requests with a valid ticket
// (or guests), with the identity in the request context, and answers the
// others itself.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := m.Authenticate(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// refusal is why a request is not let through; it picks the status and
// the redirect target.
type refusal uint8

const (
	refuseLogin   refusal = iota // no valid ticket: log in
	refuseExpired                // the ticket timed out: log in again
	refuseToken                  // valid ticket, no required token: 403
	refuseStepUp                 // valid ticket, login too old: log in again
	refuseTLS                    // plain HTTP where TLS is required
)

// Authenticate does the middleware's work for one request: it returns the
// identity and true when the request may proceed, having set any refreshed
// ticket cookie on w; otherwise it has answered the request (a redirect, a
// 401 or a 403) and returns false. Wrap is Authenticate plus the context.
func (m *Middleware) Authenticate(w http.ResponseWriter, r *http.Request) (Identity, bool) {
	return m.AuthenticateFrom(w, r, m.clients.Origin(r))
}

// AuthenticateFrom is Authenticate for a request whose origin the caller
// established itself. A forward-auth endpoint needs it: the request it
// judges is the one its proxy describes in headers (scheme, host and URL
// of the original request), not the subrequest on its own connection. r
// must carry the original method, RequestURI, URL and headers.
func (m *Middleware) AuthenticateFrom(w http.ResponseWriter, r *http.Request, o ClientOrigin) (Identity, bool) {
	now := m.now()
	if m.cfg.RequireTLS && !o.HTTPS {
		m.refuse(w, r, o, refuseTLS, "TLS required")
		return Identity{}, false
	}
	if value, ok := m.bearerTicket(r); ok {
		return m.bearer(w, r, o, value, now)
	}
	urlRes, urlErr, done := m.urlTicket(w, r, o, now)
	if done {
		return Identity{}, false
	}
	res, err := m.verifier.VerifyCookies(r.Header["Cookie"], m.cfg.CookieName, o.Addr, now)
	err = m.revocation(res, err)
	if errors.Is(err, ticket.ErrNoTicket) && urlErr != nil {
		// No cookie at all: the URL ticket's failure is the story
		// (an expired hand-over goes to the timeout URL, as in the module).
		res, err = urlRes, urlErr
	}
	switch {
	case err == nil, errors.Is(err, ticket.ErrMissingToken):
		// The module refreshes the ticket before it looks at tokens, so
		// a user who lacks one still keeps a live session. A renewed
		// ticket (Renew) carries the user's tokens as they are now: the
		// requirement is checked on those.
		t := res.Ticket
		if res.ShouldReissue() {
			t = m.reissue(w, r, o, res, now)
		}
		if !m.require.Admits(t) {
			m.logRefusal(r, o, res.UID, ticket.ErrMissingToken)
			m.refuse(w, r, o, refuseToken, "ticket lacks a required token")
			return Identity{}, false
		}
		if !m.authFresh(t, now) {
			// The ticket stays: it is good elsewhere, and the login
			// page says whose it is.
			m.logRefusal(r, o, res.UID, ErrAuthTooOld)
			m.refuse(w, r, o, refuseStepUp, ErrAuthTooOld.Error())
			return Identity{}, false
		}
		return identityOf(t), true
	case errors.Is(err, ErrRevoked):
		m.logRefusal(r, o, res.UID, err)
		m.deleteTicketCookie(w, o)
		m.refuse(w, r, o, refuseLogin, reasonFor(err))
		return Identity{}, false
	case errors.Is(err, ErrRevocationUnavailable):
		m.revocationUnavailable(w, r, res.UID, err, isAPIClient(r))
		return Identity{}, false
	case errors.Is(err, ticket.ErrExpired):
		m.logRefusal(r, o, res.UID, err)
		if m.cfg.GuestLogin && m.cfg.GuestFallback {
			return m.guestLogin(w, r, o, now, true)
		}
		m.deleteTicketCookie(w, o)
		m.refuse(w, r, o, refuseExpired, "ticket expired")
		return Identity{}, false
	}
	m.logRefusal(r, o, res.UID, err)
	if m.cfg.GuestLogin {
		return m.guestLogin(w, r, o, now, false)
	}
	m.refuse(w, r, o, refuseLogin, reasonFor(err))
	return Identity{}, false
}

// reasonFor is the short, fixed reason an API client reads: the sentinel's
// text, never the detail.
func reasonFor(err error) string {
	for _, e := range []error{ErrSessionEnded, ErrRevoked, ticket.ErrNoTicket, ticket.ErrGuest, ticket.ErrExpired, ticket.ErrFuture, ticket.ErrIPMismatch, ticket.ErrBadSignature, ticket.ErrMalformed} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "invalid ticket"
}

// guestLogin lets the request through as a guest. A guest meets the same
// requirement as anyone and, having no tokens and a made-up name, fails
// any before a guest ticket is issued, as in the module. expired says a timed-out
// ticket is being replaced: its cookie is deleted unless a guest ticket
// takes its place.
func (m *Middleware) guestLogin(w http.ResponseWriter, r *http.Request, o ClientOrigin, now time.Time, expired bool) (Identity, bool) {
	if !m.require.Empty() {
		if expired {
			m.deleteTicketCookie(w, o)
		}
		m.refuse(w, r, o, refuseToken, "ticket lacks a required token")
		return Identity{}, false
	}
	id := Identity{Guest: true}
	if !m.cfg.GuestEmpty {
		id.UID = m.guest.Generate()
	}
	issued := false
	if m.cfg.GuestCookie {
		// The ticket says it is a guest's (ticket.GuestToken): tkt's
		// validators take it only where guests are let in anyway.
		gt := id.Ticket
		gt.Tokens = ticket.GuestToken
		if val, err := m.verifier.Reissue(gt, o.Addr, now); err != nil {
			m.log.LogAttrs(r.Context(), slog.LevelWarn, "guest ticket not issued",
				slog.String("reason", err.Error()), slog.String("client", o.Addr.String()))
		} else {
			m.setTicketCookie(w, o, val, now)
			id.Time, issued = now.Truncate(time.Second), true
		}
	}
	if expired && !issued {
		m.deleteTicketCookie(w, o)
	}
	return id, true
}

// reissue sends a fresh ticket: one due for refresh, or one signed with an
// old secret, renewed first (Renew) when the configuration says how. It
// returns the ticket the request goes on with: the fresh one, or the one
// it came with when there is none. A failure (the user's store cannot
// say, an IPv6 client at an IP-bound compat location) only costs the
// refresh: the ticket stays valid until its own timeout, never longer.
func (m *Middleware) reissue(w http.ResponseWriter, r *http.Request, o ClientOrigin, res ticket.Result, now time.Time) ticket.Ticket {
	t, val, err := m.renewed(r.Context(), res, o.Addr, now)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, errNotRenewed) {
			level = slog.LevelDebug // Renew said why, once
		}
		m.log.LogAttrs(r.Context(), level, "ticket not re-issued",
			slog.String("user", res.UID), slog.String("reason", err.Error()))
		return res.Ticket
	}
	m.setTicketCookie(w, o, val, now)
	m.log.LogAttrs(r.Context(), slog.LevelDebug, "ticket re-issued",
		slog.String("user", res.UID), slog.Bool("old_secret", res.SecretIndex > 0))
	return t
}

// renewed is the fresh ticket for res, renewed first when Config.Renew
// says how and its session extended (PrepareReissue), and its cookie
// value.
func (m *Middleware) renewed(ctx context.Context, res ticket.Result, client netip.Addr, now time.Time) (ticket.Ticket, string, error) {
	t, err := PrepareReissue(ctx, m.cfg.Renew, m.cfg.Sessions, res.Ticket)
	switch {
	case errors.Is(err, errOtherUser):
		return ticket.Ticket{}, "", err
	case err != nil:
		return ticket.Ticket{}, "", fmt.Errorf("%w: %w", errNotRenewed, err)
	}
	val, err := m.verifier.Reissue(t, client, now)
	if err != nil {
		return ticket.Ticket{}, "", err
	}
	return t, val, nil // the identity keeps the time of the ticket it came with
}

func (m *Middleware) logRefusal(r *http.Request, o ClientOrigin, uid string, err error) {
	level := slog.LevelInfo
	if errors.Is(err, ticket.ErrNoTicket) {
		level = slog.LevelDebug // every first visit: not news
	}
	attrs := []slog.Attr{slog.String("reason", err.Error()), slog.String("client", o.Addr.String())}
	if uid != "" {
		attrs = append(attrs, slog.String("user", uid))
	}
	m.log.LogAttrs(r.Context(), level, "ticket refused", attrs...)
}
