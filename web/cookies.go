package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// ticketCookie is the ticket cookie for value with the configured
// attributes. HttpOnly and SameSite=Lax always: scripts never need the
// ticket, and Lax still sends it on the top-level navigation back to an
// application after login.
func (s *state) ticketCookie(value string, ci tkthttp.ClientOrigin, now time.Time) *http.Cookie {
	return s.cookie.ticketCookie(value, ci, now)
}

// ticketCookie is the cookie for value with these attributes, for a client
// at ci (Secure when it used TLS). Name and Path must be filled in.
func (c CookieConfig) ticketCookie(value string, ci tkthttp.ClientOrigin, now time.Time) *http.Cookie {
	hc := &http.Cookie{
		Name:     c.Name,
		Value:    value,
		Path:     c.Path,
		Domain:   c.Domain,
		Secure:   c.Secure || ci.HTTPS,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	if c.Expires > 0 {
		hc.MaxAge = int(c.Expires / time.Second)
		hc.Expires = now.Add(c.Expires).UTC()
	}
	return hc
}

// expiredTicketCookie deletes the ticket cookie: same name, Domain and Path
// (or the browser keeps the original), Max-Age=0 and an Expires in the past
// for clients that ignore Max-Age.
//
// On a host outside the cookie domain (a URL ticket host, at a logout
// hop) the ticket was set host-only, and so is its deletion.
func (s *state) expiredTicketCookie(ci tkthttp.ClientOrigin) *http.Cookie {
	c := s.ticketCookie("", ci, time.Time{})
	if c.Domain != "" && ci.Host != "" {
		if host, _, err := tkthttp.SplitAuthority(ci.Host); err == nil && !tkthttp.DomainCovers(c.Domain, host) {
			c.Domain = ""
		}
	}
	c.MaxAge = -1 // net/http writes "Max-Age=0"
	c.Expires = time.Unix(1, 0).UTC()
	return c
}

// portalCookie is one of the portal's own small cookies (probe, loop
// guard): host-only, for the whole portal. maxAge 0 makes a session cookie,
// a negative one deletes the cookie.
func portalCookie(name, value string, ci tkthttp.ClientOrigin, maxAge time.Duration) *http.Cookie {
	if maxAge < 0 {
		maxAge = -time.Second // net/http writes "Max-Age=0"
	}
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		Secure:   ci.HTTPS,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(maxAge / time.Second),
	}
}

// currentTicket verifies the ticket cookies the request carries.
//
// A ticket taken back (Config.Revocation, or its session ended:
// Config.Sessions) counts as none; one whose fate nobody can tell right
// now (the shared state is away), too: the portal cannot vouch for it,
// and the user can still log in afresh.
func (s *state) currentTicket(r *http.Request, ci tkthttp.ClientOrigin, now time.Time) (ticket.Result, error) {
	res, err := s.verifier.VerifyCookies(r.Header.Values("Cookie"), s.cookie.Name, ci.Addr, now)
	if err == nil || errors.Is(err, ticket.ErrMissingToken) {
		if rerr := tkthttp.CheckRevoked(s.cfg.Revocation, s.sessions(), res.Ticket); rerr != nil {
			return res, rerr
		}
	}
	return res, err
}

// cookiesWork reports whether the browser sent back a cookie of ours. The
// rule: a POST to /login must carry the probe cookie set by the form (or a
// ticket cookie, which proves cookies work as well). Without either, the
// login would succeed and the next page would send the browser back here
// with no cookie: an endless loop. The probe is a session cookie, so a
// form left open across a browser restart fails once and the page that
// says so sets the probe again.
func (s *state) cookiesWork(r *http.Request) bool {
	if _, err := r.Cookie(probeCookie); err == nil {
		return true
	}
	_, err := r.Cookie(s.cookie.Name)
	return err == nil
}

// autoLogins is the auto-login count of the loop guard.
func autoLogins(r *http.Request) int {
	c, err := r.Cookie(loopCookie)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(c.Value)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
