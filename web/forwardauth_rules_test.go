package web

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// The rules' selectors (methods, client networks), deny, the requirement
// (users, all tokens) and the per-location ticket settings, each against
// the request that tells it apart from the rule below it.
func TestForwardAuthRuleSettings(t *testing.T) {
	month, never := 30*24*time.Hour, 0.0
	f := newFAFixture(t, func(o *ForwardAuthConfig) {
		o.Rules = []ForwardAuthRule{
			{Paths: []string{"/intranet"}, Networks: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Bypass: true},
			{Paths: []string{"/blocked"}, Deny: true},
			{Paths: []string{"/upload"}, Methods: []string{"POST", "PUT"}, Tokens: []string{"uploader"}},
			{Paths: []string{"/board"}, Users: []string{"alice", "carol"}, AllTokens: []string{"staff", "admin"}, UnauthURL: "/board-denied"},
			{Paths: []string{"/svc"}, Timeout: &month, Refresh: &never, IgnoreIP: true},
			{Paths: []string{"/secure"}, RequireTLS: true},
			{Paths: []string{"/tmo"}, TimeoutURL: "https://login.example.com/timeout"},
			{Hosts: []string{"guest.example.com"}, Guest: true, GuestFallback: true, GuestCookie: true},
		}
	})
	alice := f.mint("alice", "staff,admin", "", testClient, time.Minute)
	bob := f.mint("bob", "staff,admin,uploader", "", testClient, time.Minute)
	old := f.mint("svc", "", "", testClient, 3*time.Hour) // past ticket.timeout (2h)
	unbound := f.mint("svc", "", "", "0.0.0.0", 3*time.Hour)
	other := "198.51.100.7"
	otherTicket := f.mint("alice", "", "", other, time.Minute)
	for _, c := range []struct {
		name, url, cookie string
		extra             []string
		status            int
		location, user    string
	}{
		{"network bypass", "https://app.example.com/intranet/x", "", nil, 200, "", ""},
		{"outside the network: the next rule", "https://app.example.com/intranet/x", "", []string{"X-Forwarded-For", other}, 401, login("https://app.example.com/intranet/x"), ""},
		// Without the client's address, the asking proxy's own would be
		// judged (found by review: a proxy in the bypassed network let
		// everyone through).
		{"no client address sent", "https://app.example.com/intranet/x", "", []string{"X-Forwarded-For", ""}, 400, "", ""},
		{"outside the network, with a ticket", "https://app.example.com/intranet/x", otherTicket, []string{"X-Forwarded-For", other}, 200, "", "alice"},
		{"deny, even with a ticket", "https://app.example.com/blocked", alice, nil, 403, "", ""},
		{"method matched: token needed", "https://app.example.com/upload", alice, []string{"X-Original-Method", "POST"}, 403, "", ""},
		{"method matched: token held", "https://app.example.com/upload", bob, []string{"X-Original-Method", "PUT"}, 200, "", "bob"},
		{"method not matched: fallback", "https://app.example.com/upload", alice, []string{"X-Original-Method", "GET"}, 200, "", "alice"},
		// The client must not choose what the rule sees (found by
		// review: each of these used to fall back to the subrequest's
		// own GET).
		{"method in lower case", "https://app.example.com/upload", alice, []string{"X-Original-Method", "post"}, 403, "", ""},
		{"no method sent", "https://app.example.com/upload", bob, []string{"X-Original-Method", ""}, 400, "", ""},
		{"not a method", "https://app.example.com/upload", bob, []string{"X-Original-Method", "GET /x"}, 400, "", ""},
		{"an unusual method is itself", "https://app.example.com/upload", alice, []string{"X-Original-Method", "M-SEARCH"}, 200, "", "alice"},
		{"listed user with every token", "https://app.example.com/board", alice, nil, 200, "", "alice"},
		{"user not listed: unauth_url", "https://app.example.com/board", bob, nil, 403, "/board-denied?back=" + "https%3A%2F%2Fapp.example.com%2Fboard", ""},
		{"long timeout, ignore_ip: an old unbound ticket", "https://app.example.com/svc", unbound, nil, 200, "", "svc"},
		{"ignore_ip: a bound ticket", "https://app.example.com/svc", old, nil, 401, login("https://app.example.com/svc"), ""},
		{"bound elsewhere", "https://app.example.com/other", f.mint("svc", "", "", "0.0.0.0", time.Minute), nil, 401, login("https://app.example.com/other"), ""},
		{"ticket.timeout elsewhere", "https://app.example.com/other", old, nil, 401, login("https://app.example.com/other"), ""},
		{"require_tls on http", "http://app.example.com/secure?a=1", alice, nil, 401, "https://app.example.com/secure?a=1", ""},
		{"require_tls on https", "https://app.example.com/secure", alice, nil, 200, "", "alice"},
		{"timeout_url", "https://app.example.com/tmo", old, nil, 401, "https://login.example.com/timeout?back=https%3A%2F%2Fapp.example.com%2Ftmo", ""},
		{"guest fallback", "https://guest.example.com/", old, nil, 200, "", "guest"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := f.nginx(c.url, c.cookie, c.extra...)
			if w.Code != c.status || w.Header().Get("Location") != c.location {
				t.Fatalf("%d %q, want %d %q\n%s", w.Code, w.Header().Get("Location"), c.status, c.location, w.Body)
			}
			if c.status == 200 && c.user != "" && w.Header().Get("Remote-User") != c.user {
				t.Errorf("user %q, want %q", w.Header().Get("Remote-User"), c.user)
			}
		})
	}
	// The long-timeout rule never refreshes (refresh: 0), and the guest
	// fallback hands out a guest ticket (guest_cookie) in place of the
	// expired one.
	if w := f.nginx("https://app.example.com/svc", f.mint("svc", "", "", "0.0.0.0", 20*24*time.Hour)); w.Code != 200 || setCookie(w, "auth_tkt") != nil {
		t.Errorf("a 20-day-old ticket under the 30-day rule: %d, cookie %v", w.Code, setCookie(w, "auth_tkt"))
	}
	w := f.nginx("https://guest.example.com/", old)
	c := setCookie(w, "auth_tkt")
	if c == nil || c.Value == "" {
		t.Fatal("guest_cookie: no guest ticket")
	}
	tc := f.opts.Ticket
	tc.Guests = true
	v, _ := ticket.NewVerifier(tc)
	if res, err := v.Verify(c.Value, netip.MustParseAddr(testClient), f.now); err != nil || !strings.HasPrefix(res.UID, "guest") || !res.Tokens.Guest() {
		t.Errorf("guest ticket: %+v %v", res, err)
	}
}

func TestForwardAuthRuleErrors(t *testing.T) {
	month := 30 * 24 * time.Hour
	_, err := NewForwardAuth(ForwardAuthConfig{
		Ticket: ticket.Config{Digest: ticket.SHA256, Secret: testSecret},
		Rules: []ForwardAuthRule{
			{Methods: []string{"get"}},
			{Deny: true, Users: []string{"alice"}},
			{Bypass: true, Timeout: &month},
			{Deny: true, Bypass: true},
			{GuestCookie: true},
			{TimeoutURL: "javascript:x"},
		},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"rule 1", `method "get"`, "rule 2", "bypass or deny", "rule 3", "rule 4", "both bypass and deny", "rule 5", "guest", "rule 6", "timeout URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// A rule with a longer timeout than the site's takes older tickets, and
// so never re-issues them: a 20-day-old ticket refreshed under a 30-day
// rule would be fresh under every 2h rule (found by review).
func TestForwardAuthLongTimeoutNeverRefreshes(t *testing.T) {
	month := 30 * 24 * time.Hour
	f := newFAFixture(t, func(o *ForwardAuthConfig) {
		o.Rules = []ForwardAuthRule{{Paths: []string{"/svc"}, Tokens: []string{"backup"}, Timeout: &month}}
	})
	old := f.mint("svc", "backup", "", testClient, 20*24*time.Hour)
	if w := f.nginx("https://app.example.com/other", old); w.Code == 200 {
		t.Fatal("precondition: a 20-day-old ticket is refused under ticket.timeout (2h)")
	}
	w := f.nginx("https://app.example.com/svc", old)
	if w.Code != 200 || setCookie(w, "auth_tkt") != nil {
		t.Errorf("the old ticket under the 30-day rule: %d, re-issued %v; want 200 and no new ticket", w.Code, setCookie(w, "auth_tkt"))
	}
	// The site's own timeout still refreshes where it applies.
	due := f.mint("alice", "", "", testClient, 90*time.Minute)
	if w := f.nginx("https://app.example.com/other", due); w.Code != 200 || setCookie(w, "auth_tkt") == nil {
		t.Errorf("a ticket due for refresh under ticket.timeout: %d, re-issued %v", w.Code, setCookie(w, "auth_tkt"))
	}
}
