package tkthttp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

func TestURLTicket(t *testing.T) {
	timeouts := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	alice := ticket.Ticket{UID: "alice", Tokens: "a", Data: "x"}
	good := mintCookie(t, timeouts, alice, "", "")
	aliceText := ticketText(ticket.Ticket{UID: "alice", Tokens: "a", Data: "x", Time: testNow.Add(-time.Minute)})
	bob := "auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "bob"}, "", "")
	hosts := tkthttp.Config{Ticket: timeouts, LoginURL: login, URLTicketHosts: []string{"app.example", ".sso.example"}}
	set := []cookieSpec{baseCookie("auth_tkt", aliceText)}
	raw := func() string { // the ticket text, with '!' escaped as %21
		v, err := ticket.DecodeValue(good)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(v, "!", "%21")
	}()
	runCases(t, []caseSpec{
		{name: "accepted-and-redirected-without-it", cfg: hosts, req: reqSpec{url: "http://app.example/p?a=1&auth_tkt=" + good + "&b=2"},
			want: outcome{Status: 307, Location: "http://app.example/p?a=1&b=2", Cookies: set}},
		{name: "wins-over-cookie", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=" + good, cookie: bob},
			want: outcome{Status: 307, Location: "http://app.example/p", Cookies: set}},
		{name: "percent-escaped-base64", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=" + escapeAll(good)},
			want: outcome{Status: 307, Location: "http://app.example/p", Cookies: set}},
		{name: "raw-ticket-text-escaped", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=" + raw},
			want: outcome{Status: 307, Location: "http://app.example/p", Cookies: set}},
		{name: "subdomain-of-allowed-domain", cfg: hosts, req: reqSpec{url: "http://a.b.sso.example:8443/p?auth_tkt=" + good, tls: true},
			want: outcome{Status: 307, Location: "https://a.b.sso.example:8443/p", Cookies: func() []cookieSpec {
				c := set[0]
				c.Secure = true
				return []cookieSpec{c}
			}()}},
		{name: "host-not-allowed-ignored", cfg: hosts, req: reqSpec{url: "http://other.example/p?q=1&auth_tkt=" + good},
			want: outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fother.example%2Fp%3Fq%3D1"}},
		{name: "host-not-allowed-cookie-used", cfg: hosts, req: reqSpec{url: "http://other.example/p?auth_tkt=" + good, cookie: bob},
			want: outcome{Status: 200, Identity: wantID("bob", "", "", testNow.Add(-time.Minute))}},
		{name: "suffix-is-not-a-subdomain", cfg: hosts, req: reqSpec{url: "http://evilsso.example/p?auth_tkt=" + good},
			want: outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fevilsso.example%2Fp"}},
		{name: "no-allow-list-no-url-tickets", cfg: tkthttp.Config{Ticket: timeouts, LoginURL: login}, req: reqSpec{url: "http://app.example/p?auth_tkt=" + good},
			want: outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fapp.example%2Fp"}},
		// Attribute injection: the module copies the value into Set-Cookie
		// as is. Here nothing is set: the value is no ticket.
		{name: "injection-not-set", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=x;%20Domain=example;%20Path=/"},
			want: outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fapp.example%2Fp"}},
		{name: "forged-falls-back-to-cookie", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=" + mintCookie(t, timeouts, alice, "", "forged"), cookie: bob},
			want: outcome{Status: 200, Identity: wantID("bob", "", "", testNow.Add(-time.Minute))}},
		{name: "expired-falls-back-to-cookie", cfg: hosts,
			req:  reqSpec{url: "http://app.example/p?auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "alice", Time: testNow.Add(-3 * time.Hour)}, "", ""), cookie: bob},
			want: outcome{Status: 200, Identity: wantID("bob", "", "", testNow.Add(-time.Minute))}},
		{name: "expired-without-cookie-times-out", cfg: func() tkthttp.Config { c := hosts; c.TimeoutURL = login + "?timeout=1"; return c }(),
			req:  reqSpec{url: "http://app.example/p?auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "alice", Time: testNow.Add(-3 * time.Hour)}, "", "")},
			want: outcome{Status: 307, Location: login + "?timeout=1&back=http%3A%2F%2Fapp.example%2Fp", Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "bound-to-another-client", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=" + good, from: "192.0.2.77:1"},
			want: outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fapp.example%2Fp"}},
		// A good ticket without the location's token still logs the user in
		// on this host; the next request meets the token check.
		{name: "missing-token-still-set", cfg: func() tkthttp.Config { c := hosts; c.Ticket.Tokens = []string{"admin"}; return c }(),
			req:  reqSpec{url: "http://app.example/p?auth_tkt=" + good},
			want: outcome{Status: 307, Location: "http://app.example/p", Cookies: set}},
		{name: "due-for-refresh-set-fresh", cfg: hosts,
			req:  reqSpec{url: "http://app.example/p?auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "alice", Time: testNow.Add(-100 * time.Minute)}, "", "")},
			want: outcome{Status: 307, Location: "http://app.example/p", Cookies: []cookieSpec{baseCookie("auth_tkt", ticketText(ticket.Ticket{UID: "alice", Time: testNow}))}}},
		{name: "empty-value-ignored", cfg: hosts, req: reqSpec{url: "http://app.example/p?auth_tkt=&x=1", cookie: bob},
			want: outcome{Status: 200, Identity: wantID("bob", "", "", testNow.Add(-time.Minute))}},
		// The parameter is the cookie name.
		{name: "custom-name", cfg: func() tkthttp.Config { c := hosts; c.CookieName = "sso"; return c }(),
			req:  reqSpec{url: "http://app.example/p?sso=" + good},
			want: outcome{Status: 307, Location: "http://app.example/p", Cookies: []cookieSpec{baseCookie("sso", aliceText)}}},
		// A request target starting with "//" must not become a
		// protocol-relative redirect to another host.
		{name: "no-open-redirect", cfg: hosts, req: reqSpec{url: "http://app.example//evil.example/x?auth_tkt=" + good},
			want: outcome{Status: 307, Location: "http://app.example//evil.example/x", Cookies: set}},
	})
}

// escapeAll percent-escapes every byte, as an over-eager login page might.
func escapeAll(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// For a proxy that performs redirects itself (StatusWithLocation: nginx),
// the URL ticket's redirect is a 401 naming the clean URL, with the
// cookie; on a URL ticket host outside CookieDomain the cookie is
// host-only, since the browser would drop one for the other domain.
func TestURLTicketStatusStyle(t *testing.T) {
	timeouts := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	good := mintCookie(t, timeouts, ticket.Ticket{UID: "alice"}, "", "")
	text := ticketText(ticket.Ticket{UID: "alice", Time: testNow.Add(-time.Minute)})
	cfg := tkthttp.Config{Ticket: timeouts, LoginURL: login, URLTicketHosts: []string{"app.other.example", ".sso.example"},
		CookieDomain: ".sso.example", StatusWithLocation: true}
	inDomain := baseCookie("auth_tkt", text)
	inDomain.Domain = "sso.example"
	runCases(t, []caseSpec{
		{name: "other-domain-host-only", cfg: cfg, req: reqSpec{url: "http://app.other.example/p?auth_tkt=" + good + "&a=1"},
			want: outcome{Status: 401, Location: "http://app.other.example/p?a=1", Cookies: []cookieSpec{baseCookie("auth_tkt", text)}}},
		{name: "inside-the-cookie-domain", cfg: cfg, req: reqSpec{url: "http://www.sso.example/p?auth_tkt=" + good},
			want: outcome{Status: 401, Location: "http://www.sso.example/p", Cookies: []cookieSpec{inDomain}}},
		{name: "require-tls-status-style", cfg: func() tkthttp.Config { c := cfg; c.RequireTLS = true; return c }(),
			req: reqSpec{url: "http://www.sso.example/p?x=1"}, want: outcome{Status: 401, Location: "https://www.sso.example/p?x=1"}},
	})
}

func TestDomainCovers(t *testing.T) {
	for _, c := range []struct {
		d, host string
		want    bool
	}{
		{".example.com", "example.com", true},
		{".example.com", "a.b.Example.COM", true},
		{"example.com", "app.example.com", true},
		{".example.com", "badexample.com", false},
		{".example.com", "example.org", false},
		{".example.com", "com", false},
	} {
		if got := tkthttp.DomainCovers(c.d, c.host); got != c.want {
			t.Errorf("DomainCovers(%q, %q) = %v", c.d, c.host, got)
		}
	}
}
