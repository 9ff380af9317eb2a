package tkthttp_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Refreshed and re-issued tickets, and the attributes of every cookie.
func TestReissue(t *testing.T) {
	refresh := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	young := ticket.Ticket{UID: "alice", Tokens: "a,b", Data: "d!x", Time: testNow.Add(-10 * time.Minute)}
	old := young
	old.Time = testNow.Add(-90 * time.Minute) // less than half the timeout left
	youngCookie := "auth_tkt=" + mintCookie(t, refresh, young, "", "")
	oldCookie := "auth_tkt=" + mintCookie(t, refresh, old, "", "")
	reissued := ticketText(ticket.Ticket{UID: "alice", Tokens: "a,b", Data: "d!x", Time: testNow})
	oldID := wantID("alice", "a,b", "d!x", old.Time)
	withAttrs := func(f func(*cookieSpec)) []cookieSpec {
		c := baseCookie("auth_tkt", reissued)
		f(&c)
		return []cookieSpec{c}
	}
	runCases(t, []caseSpec{
		{name: "young-no-refresh", cfg: tkthttp.Config{Ticket: refresh}, req: reqSpec{cookie: youngCookie},
			want: outcome{Status: 200, Identity: wantID("alice", "a,b", "d!x", young.Time)}},
		{name: "refresh", cfg: tkthttp.Config{Ticket: refresh}, req: reqSpec{cookie: oldCookie},
			want: outcome{Status: 200, Identity: oldID, Cookies: withAttrs(func(*cookieSpec) {})}},
		{name: "refresh-over-tls-is-secure", cfg: tkthttp.Config{Ticket: refresh}, req: reqSpec{cookie: oldCookie, tls: true},
			want: outcome{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *cookieSpec) { c.Secure = true })}},
		{name: "refresh-secure-cookie", cfg: tkthttp.Config{Ticket: refresh, SecureCookie: true}, req: reqSpec{cookie: oldCookie},
			want: outcome{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *cookieSpec) { c.Secure = true })}},
		{name: "refresh-domain-path-expires", cfg: tkthttp.Config{Ticket: refresh, CookieDomain: "example.com", CookiePath: "/app", CookieExpires: time.Hour},
			req: reqSpec{cookie: oldCookie},
			want: outcome{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *cookieSpec) {
				c.Domain, c.Path, c.MaxAge, c.Expires = "example.com", "/app", 3600, testNow.Add(time.Hour).UTC().Format(time.RFC3339)
			})}},
		{name: "refresh-samesite-strict", cfg: tkthttp.Config{Ticket: refresh, SameSite: http.SameSiteStrictMode}, req: reqSpec{cookie: oldCookie},
			want: outcome{Status: 200, Identity: oldID, Cookies: withAttrs(func(c *cookieSpec) { c.SameSite = http.SameSiteStrictMode })}},
		{name: "old-secret-reissued", cfg: tkthttp.Config{Ticket: ticket.Config{OldSecrets: []string{oldSecret}}},
			req:  reqSpec{cookie: "auth_tkt=" + mintCookie(t, ticket.Config{}, young, "", oldSecret)},
			want: outcome{Status: 200, Identity: wantID("alice", "a,b", "d!x", young.Time), Cookies: withAttrs(func(*cookieSpec) {})}},
		{name: "unknown-secret", cfg: tkthttp.Config{Ticket: ticket.Config{OldSecrets: []string{oldSecret}}},
			req:  reqSpec{cookie: "auth_tkt=" + mintCookie(t, ticket.Config{}, young, "", "neither")},
			want: outcome{Status: 401, Body: "Unauthorized: bad ticket signature\n"}},
		// The module refreshes before it checks tokens: the session of a user
		// refused for a token stays alive.
		{name: "refresh-with-missing-token", cfg: tkthttp.Config{Ticket: ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5, Tokens: []string{"admin"}}},
			req:  reqSpec{cookie: oldCookie},
			want: outcome{Status: 403, Body: "Forbidden: ticket lacks a required token\n", Cookies: withAttrs(func(*cookieSpec) {})}},
		{name: "expired-deleted-with-attributes", cfg: tkthttp.Config{Ticket: refresh, CookieDomain: ".example.com", SecureCookie: true},
			req: reqSpec{cookie: "auth_tkt=" + mintCookie(t, refresh, ticket.Ticket{UID: "alice", Time: testNow.Add(-3 * time.Hour)}, "", "")},
			want: outcome{Status: 401, Body: "Unauthorized: ticket expired\n", Cookies: func() []cookieSpec {
				c := deletedCookie("auth_tkt")
				c.Domain, c.Secure = "example.com", true
				return []cookieSpec{c}
			}()}},
	})
}

// A ticket the middleware issues must verify where it was issued: at an
// ignore-IP location it is minted unbound, and a SHA-512 location issues
// SHA-512 tickets.
func TestReissueKeepsBindingAndDigest(t *testing.T) {
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
			cfg := tkthttp.Config{Ticket: c}
			cookie := "auth_tkt=" + mintCookie(t, c, ticket.Ticket{UID: "u", Time: testNow.Add(-time.Minute)}, ip, "")
			got := serve(t, mustNew(t, cfg), cfg, reqSpec{cookie: cookie, from: "192.0.2.99:1"})
			if c.IgnoreIP != (got.Status == 200) {
				t.Fatalf("status %d from another address (ignore IP %v)", got.Status, c.IgnoreIP)
			}
			got = serve(t, mustNew(t, cfg), cfg, reqSpec{cookie: cookie})
			if len(got.Cookies) != 1 || got.Cookies[0].Value != ticketText(ticket.Ticket{UID: "u", Time: testNow}) {
				t.Errorf("re-issued %+v", got.Cookies)
			}
		})
	}
}
