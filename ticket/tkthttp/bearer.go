package tkthttp

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// bearerTicket returns the ticket of an "Authorization: Bearer" header,
// when bearer tickets are accepted and the request carries one.
func (m *Middleware) bearerTicket(r *http.Request) (string, bool) {
	if !m.cfg.BearerTickets {
		return "", false
	}
	h := r.Header["Authorization"]
	if len(h) == 0 {
		return "", false
	}
	scheme, value, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(value), true
}

// bearer judges a request by its bearer ticket alone. The answers are an
// API client's: a JSON 401 or 403, never a redirect to a login page or a
// guest identity, since the client showed a credential and it failed.
func (m *Middleware) bearer(w http.ResponseWriter, r *http.Request, o ClientOrigin, value string, now time.Time) (Identity, bool) {
	res, err := m.verifier.Verify(value, o.Addr, now)
	err = m.revocation(res, err)
	if err == nil && !m.require.Admits(res.Ticket) {
		err = ticket.ErrMissingToken // another user, or one of AllTokens missing
	}
	switch {
	case err == nil && !m.authFresh(res.Ticket, now):
		m.logRefusal(r, o, res.UID, ErrAuthTooOld)
		m.refuseBearerStepUp(w)
		return Identity{}, false
	case err == nil:
		return identityOf(res.Ticket), true
	case errors.Is(err, ErrRevocationUnavailable):
		m.revocationUnavailable(w, r, res.UID, err, true)
		return Identity{}, false
	case errors.Is(err, ticket.ErrMissingToken):
		m.logRefusal(r, o, res.UID, err)
		writeRefusal(w, http.StatusForbidden, "ticket lacks a required token", true)
		return Identity{}, false
	}
	m.logRefusal(r, o, res.UID, err)
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeRefusal(w, http.StatusUnauthorized, reasonFor(err), true)
	return Identity{}, false
}
