package tkthttp

import (
	"net/http"
	"strings"
	"time"
)

// setTicketCookie sends a ticket cookie. Unlike the module's, it is
// HttpOnly and SameSite (Lax by default), Secure whenever the request came
// over TLS or SecureCookie is set (the module drops Secure on refresh), and
// host-only unless CookieDomain is set (the module writes the request's
// Host, or any client's X-Forwarded-Host, as the domain).
func (m *Middleware) setTicketCookie(w http.ResponseWriter, o ClientOrigin, value string, now time.Time) {
	c := m.cookie(o, m.cfg.CookieName, value)
	if m.cfg.CookieExpires > 0 {
		c.MaxAge = int(m.cfg.CookieExpires / time.Second)
		c.Expires = now.Add(m.cfg.CookieExpires).UTC()
	}
	http.SetCookie(w, c)
}

// deleteTicketCookie removes an expired ticket, as the module does, so a
// URL ticket or a fresh login can take its place. Max-Age=0 and an Expires
// in the past both say "now": the module computes its date from seconds
// taken as microseconds.
func (m *Middleware) deleteTicketCookie(w http.ResponseWriter, o ClientOrigin) {
	c := m.cookie(o, m.cfg.CookieName, "")
	c.MaxAge = -1 // written as Max-Age=0
	c.Expires = time.Unix(0, 0).UTC()
	http.SetCookie(w, c)
}

// setBackCookie carries the escaped back URL to the login page
// (TKTAuthBackCookieName). It is a session cookie for the whole site, like
// the module's, with our usual attributes.
func (m *Middleware) setBackCookie(w http.ResponseWriter, o ClientOrigin, escaped string) {
	c := m.cookie(o, m.cfg.BackCookieName, escaped)
	c.Path = "/"
	http.SetCookie(w, c)
}

func (m *Middleware) cookie(o ClientOrigin, name, value string) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     m.cfg.CookiePath,
		Domain:   m.cookieDomain(o.Host),
		Secure:   m.cfg.SecureCookie || o.HTTPS,
		HttpOnly: true,
		SameSite: m.cfg.SameSite,
	}
}

// cookieDomain is CookieDomain, except on a URL ticket host it does not
// cover (host is host[:port]): there the cookie is host-only. A browser
// drops a cookie whose Domain does not cover the host that set it, so the
// ticket handed over to another domain, and its refreshes there, would
// never stick.
func (m *Middleware) cookieDomain(host string) string {
	d := m.cfg.CookieDomain
	if d == "" || m.urlHosts.Empty() || DomainCovers(d, hostOnly(host)) || !m.urlHosts.AllowsAuthority(host) {
		return d
	}
	return ""
}

// DomainCovers reports whether a cookie with Domain d is sent to host (no
// port): host is d, or a name under it; case does not matter and a
// leading dot on d changes nothing (RFC 6265, 5.1.3).
func DomainCovers(d, host string) bool {
	d = strings.TrimPrefix(d, ".")
	if len(host) < len(d) || !strings.EqualFold(host[len(host)-len(d):], d) {
		return false
	}
	return len(host) == len(d) || host[len(host)-len(d)-1] == '.'
}
