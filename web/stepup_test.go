package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// The login page asked to confirm who one is (reason=reauth, a rule with
// max_auth_age) shows the form to a signed-in user instead of sending
// them straight back, with the user name filled in; signing in records a
// new auth time and returns to where the rule sent the browser from.
func TestStepUpLoginForm(t *testing.T) {
	f := newFixture(t, nil)
	old := ticket.Ticket{UID: "alice", Tokens: "staff", Time: f.now.Add(-time.Minute)}.Authenticated(f.now.Add(-time.Hour))
	cookie := ticketCookie(f.ticketFor(old, testSecret))
	w := f.do(req{target: "/login?reason=reauth&back=" + url.QueryEscape(testBackURL), cookies: []*http.Cookie{cookie}})
	body := w.Body.String()
	if w.Code != http.StatusOK || reasonOf(body) != string(reasonStepUp) {
		t.Fatalf("status %d, reason %q; want the form saying %q", w.Code, reasonOf(body), reasonStepUp)
	}
	if !strings.Contains(body, "Please confirm it&#39;s you: sign in again to continue.") {
		t.Errorf("the message is missing: %s", body)
	}
	if !strings.Contains(body, `name="user" type="text" value="alice"`) || strings.Contains(body, "signed in as") {
		t.Errorf("want the user name filled in, and no sign-in-as-someone-else note: %s", body)
	}
	if hiddenBack(body) != strings.ReplaceAll(testBackURL, "&", "&amp;") {
		t.Errorf("back %q", hiddenBack(body))
	}
	if setCookie(w, "auth_tkt") != nil {
		t.Error("the form touched the ticket")
	}

	// Without the marker the same ticket goes straight back, as before.
	if w := f.do(req{target: "/login?back=" + url.QueryEscape(testBackURL), cookies: []*http.Cookie{cookie}}); w.Code != http.StatusSeeOther {
		t.Errorf("auto-login without the marker: %d", w.Code)
	}
	// Without a ticket the marker still says why the form is shown.
	if w := f.do(req{target: "/login?reason=reauth"}); reasonOf(w.Body.String()) != string(reasonStepUp) {
		t.Errorf("no ticket: reason %q", reasonOf(w.Body.String()))
	}

	f.now = f.now.Add(time.Second)
	w = f.login("alice", alicePass, testBackURL, cookie)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != testBackURL {
		t.Fatalf("sign-in: %d to %q", w.Code, w.Header().Get("Location"))
	}
	res := verifyAs(t, f, setCookie(w, "auth_tkt").Value, testClient)
	if at, ok := res.Tokens.AuthTime(); !ok || !at.Equal(f.now) {
		t.Errorf("new ticket's auth time %v, %v; want %v", at, ok, f.now)
	}
}

// The portal's own refresh keeps the auth time, and under
// ticket.max_lifetime stops at the cap.
func TestPortalRefreshLifetime(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Ticket.MaxLifetime = 4 * time.Hour })
	due := func(login time.Time) *http.Cookie {
		// 90 minutes old, with a 2h timeout: due for refresh.
		return ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice", Tokens: "staff", Time: f.now.Add(-90 * time.Minute)}.Authenticated(login), testSecret))
	}
	w := f.do(req{target: "/login?back=" + url.QueryEscape(testBackURL), cookies: []*http.Cookie{due(f.now.Add(-90 * time.Minute))}})
	c := setCookie(w, "auth_tkt")
	if w.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("young login, due: %d, cookie %v; want a refresh", w.Code, c)
	}
	res := verifyAs(t, f, c.Value, testClient)
	if at, _ := res.Tokens.AuthTime(); !res.Time.Equal(f.now) || !at.Equal(f.now.Add(-90*time.Minute)) || res.Tokens.Groups() != "staff" {
		t.Errorf("refreshed: %+v; want time now, the auth time kept", res.Ticket)
	}
	// Signed in 3h ago: a refresh now would outlive 4h; stamped so that
	// it ends exactly at the cap.
	w = f.do(req{target: "/login?back=" + url.QueryEscape(testBackURL), cookies: []*http.Cookie{due(f.now.Add(-3 * time.Hour))}})
	if c = setCookie(w, "auth_tkt"); c == nil {
		t.Fatal("near the cap: no refresh")
	}
	if res := verifyAs(t, f, c.Value, testClient); !res.Time.Add(2 * time.Hour).Equal(f.now.Add(time.Hour)) {
		t.Errorf("near the cap: re-stamped at %v, want to end at the cap %v", res.Time, f.now.Add(time.Hour))
	}
	// Signed in 3h30 ago: the ticket already ends at the cap, no refresh.
	w = f.do(req{target: "/login?back=" + url.QueryEscape(testBackURL), cookies: []*http.Cookie{due(f.now.Add(-3*time.Hour - 30*time.Minute))}})
	if w.Code != http.StatusSeeOther || setCookie(w, "auth_tkt") != nil {
		t.Errorf("at the cap: %d, cookie %v; want back, no refresh", w.Code, setCookie(w, "auth_tkt"))
	}
}

// A forward-auth rule with max_auth_age sends an older login to the
// portal with reason=reauth, and lets a recent one through with its
// groups alone in Remote-Groups.
func TestForwardAuthMaxAuthAge(t *testing.T) {
	f := newFAFixture(t, func(o *ForwardAuthConfig) {
		o.Rules = append([]ForwardAuthRule{{Paths: []string{"/billing"}, MaxAuthAge: 15 * time.Minute}}, o.Rules...)
	})
	mint := func(loginAgo time.Duration) string {
		v, err := ticket.NewVerifier(f.opts.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		tk := ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("staff").WithAuthTime(f.now.Add(-loginAgo)).WithSession("AAAAAAAAAAAAAAAAAAAAAA"), Time: f.now.Add(-time.Minute)}
		raw, err := v.Mint(tk, netip.MustParseAddr(testClient))
		if err != nil {
			t.Fatal(err)
		}
		return ticket.Encode(raw)
	}
	recent, old := mint(10*time.Minute), mint(20*time.Minute)
	const page = "https://app.example.com/billing/invoices?y=2025"
	stepUp := loginURL + "?reason=reauth&back=" + url.QueryEscape(page)
	for _, c := range []struct {
		name     string
		cookie   string
		url      string
		status   int
		location string
		groups   string
	}{
		{"recent login", recent, page, 200, "", "staff"},
		{"older login", old, page, 401, stepUp, ""},
		{"no auth time", f.mint("alice", "staff", "", testClient, time.Minute), page, 401, stepUp, ""},
		{"other paths take any login", old, "https://app.example.com/page", 200, "", "staff"},
	} {
		w := f.nginx(c.url, c.cookie)
		if w.Code != c.status || w.Header().Get("Location") != c.location || w.Header().Get("Remote-Groups") != c.groups {
			t.Errorf("%s: %d, Location %q, groups %q; want %d, %q, %q", c.name, w.Code, w.Header().Get("Location"), w.Header().Get("Remote-Groups"), c.status, c.location, c.groups)
		}
	}
	w := f.traefik("GET", "https", "app.example.com", "/billing/invoices?y=2025", old)
	if w.Code != http.StatusFound || w.Header().Get("Location") != stepUp {
		t.Errorf("traefik: %d to %q, want 302 to %q", w.Code, w.Header().Get("Location"), stepUp)
	}
	if _, err := NewForwardAuth(ForwardAuthConfig{Ticket: f.opts.Ticket, Rules: []ForwardAuthRule{{Bypass: true, MaxAuthAge: time.Minute}}}); err == nil ||
		!strings.Contains(err.Error(), "max auth age makes no sense") {
		t.Errorf("bypass with max auth age: %v", err)
	}
}

// A store's group named like an auth-time token is no token: whoever
// names groups would otherwise make every member's login look recent.
func TestGroupsNamedLikeAuthTime(t *testing.T) {
	tokens, skipped := tokensOf([]string{"staff", "tkt-auth:4000000000", "admin"})
	if tokens != "staff,admin" || len(skipped) != 1 {
		t.Errorf("tokensOf: %q, skipped %q", tokens, skipped)
	}
	if _, ok := tokens.AuthTime(); ok {
		t.Error("the group became the login's time")
	}
}
