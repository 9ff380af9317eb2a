package ticket_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// Refreshed and re-issued tickets, and the attributes of every cookie.
func TestMiddlewareReissue(t *testing.T) {
	refresh := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	young := ticket.Ticket{UID: "alice", Tokens: "a,b", Data: "d!x", Time: mwNow.Add(-10 * time.Minute)}
	old := young
	old.Time = mwNow.Add(-90 * time.Minute) // less than half the timeout left
	youngCookie := "auth_tkt=" + mwMint(t, refresh, young, "", "")
	oldCookie := "auth_tkt=" + mwMint(t, refresh, old, "", "")
	reissued := mwTicketText(ticket.Ticket{UID: "alice", Tokens: "a,b", Data: "d!x", Time: mwNow})
	oldID := mwID("alice", "a,b", "d!x", old.Time)
	withAttrs := func(f func(*mwCookie)) []mwCookie {
		c := mwBaseCookie("auth_tkt", reissued)
		f(&c)
		return []mwCookie{c}
	}
	runMWCases(t, []mwCase{
		{name: "young-no-refresh", cfg: ticket.MiddlewareConfig{Ticket: refresh}, req: mwReq{cookie: youngCookie},
			want: mwOut{Status: 200, Identity: mwID("alice", "a,b", "d!x", young.Time)}},
		{name: "refresh", cfg: ticket.MiddlewareConfig{Ticket: refresh}, req: mwReq{cookie: oldCookie},
			want: mwOut{Status: 200, Identity: oldID, Cookies: withAttrs(func(*mwCookie) {})}},
		{name: "refresh-over-tls-is-secure", cfg: ticket.MiddlewareConfig{Ticket: refresh}, req: mwReq{cookie: oldCookie, tls: true},
			want: mwOut{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *mwCookie) { c.Secure = true })}},
		{name: "refresh-secure-cookie", cfg: ticket.MiddlewareConfig{Ticket: refresh, SecureCookie: true}, req: mwReq{cookie: oldCookie},
			want: mwOut{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *mwCookie) { c.Secure = true })}},
		{name: "refresh-domain-path-expires", cfg: ticket.MiddlewareConfig{Ticket: refresh, CookieDomain: "example.com", CookiePath: "/app", CookieExpires: time.Hour},
			req: mwReq{cookie: oldCookie},
			want: mwOut{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *mwCookie) {
				c.Domain, c.Path, c.MaxAge, c.Expires = "example.com", "/app", 3600, mwNow.Add(time.Hour).UTC().Format(time.RFC3339)
			})}},
		{name: "refresh-samesite-strict", cfg: ticket.MiddlewareConfig{Ticket: refresh, SameSite: http.SameSiteStrictMode}, req: mwReq{cookie: oldCookie},
			want: mwOut{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *mwCookie) { c.SameSite = http.SameSiteStrictMode })}},
		{name: "old-secret-reissued", cfg: ticket.MiddlewareConfig{Ticket: ticket.Config{OldSecrets: []string{mwOldSecret}}},
			req:  mwReq{cookie: "auth_tkt=" + mwMint(t, ticket.Config{}, young, "", mwOldSecret)},
			want: mwOut{Status: 200, Identity: mwID("alice", "a,b", "d!x", young.Time), Cookies: withAttrs(func(*mwCookie) {})}},
		{name: "unknown-secret", cfg: ticket.MiddlewareConfig{Ticket: ticket.Config{OldSecrets: []string{mwOldSecret}}},
			req:  mwReq{cookie: "auth_tkt=" + mwMint(t, ticket.Config{}, young, "", "neither")},
			want: mwOut{Status: 401, Body: "Unauthorized: bad ticket signature\n"}},
		// The module refreshes before it checks tokens: the session of a user
		// refused for a token stays alive.
		{name: "refresh-with-missing-token", cfg: ticket.MiddlewareConfig{Ticket: ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5, Tokens: []string{"admin"}}},
			req:  mwReq{cookie: oldCookie},
			want: mwOut{Status: 403, Body: "Forbidden: ticket lacks a required token\n", Cookies: withAttrs(func(*mwCookie) {})}},
		{name: "expired-deleted-with-attributes", cfg: ticket.MiddlewareConfig{Ticket: refresh, CookieDomain: ".example.com", SecureCookie: true},
			req: mwReq{cookie: "auth_tkt=" + mwMint(t, refresh, ticket.Ticket{UID: "alice", Time: mwNow.Add(-3 * time.Hour)}, "", "")},
			want: mwOut{Status: 401, Body: "Unauthorized: ticket expired\n", Cookies: func() []mwCookie {
				c := mwDeleted("auth_tkt")
				c.Domain, c.Secure = "example.com", true
				return []mwCookie{c}
			}()}},
	})
}

// A ticket the middleware issues must verify where it was issued: at an
// ignore-IP location it is minted unbound, and a SHA-512 location issues
// SHA-512 tickets.
func TestMiddlewareReissueKeepsBindingAndDigest(t *testing.T) {
	for _, c := range []ticket.Config{
		{Timeout: time.Hour, Refresh: 1, IgnoreIP: true},
		{Timeout: time.Hour, Refresh: 1, Digest: ticket.SHA512},
		{Timeout: time.Hour, Refresh: 1, Digest: ticket.HMACSHA256},
	} {
		t.Run(c.Digest.String(), func(t *testing.T) {
			ip := ""
			if c.IgnoreIP {
				ip = "0.0.0.0"
			}
			cfg := ticket.MiddlewareConfig{Ticket: c}
			cookie := "auth_tkt=" + mwMint(t, c, ticket.Ticket{UID: "u", Time: mwNow.Add(-time.Minute)}, ip, "")
			got := mwServe(t, mwNew(t, cfg), cfg, mwReq{cookie: cookie, from: "192.0.2.99:1"})
			if c.IgnoreIP != (got.Status == 200) {
				t.Fatalf("status %d from another address (ignore IP %v)", got.Status, c.IgnoreIP)
			}
			got = mwServe(t, mwNew(t, cfg), cfg, mwReq{cookie: cookie})
			if len(got.Cookies) != 1 || got.Cookies[0].Value != mwTicketText(ticket.Ticket{UID: "u", Time: mwNow}) {
				t.Errorf("re-issued %+v", got.Cookies)
			}
		})
	}
}
