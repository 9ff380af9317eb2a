package tkthttp

import (
	"net/http"
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
		Domain:   m.cfg.CookieDomain,
		Secure:   m.cfg.SecureCookie || o.HTTPS,
		HttpOnly: true,
		SameSite: m.cfg.SameSite,
	}
}
