package main

import (
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// stepUpRules protect /billing with max_auth_age; the rest of the site
// takes any valid ticket.
const stepUpRules = `forward_auth:
  rules:
    - paths: [/billing]
      max_auth_age: 15m
`

// stepUpMinter mints tickets as the site's tktd does (proxySite's secret,
// hmac-sha256, bound to 127.0.0.1), with a chosen ticket time and auth
// time: the test cannot wait a quarter of an hour for a login to age.
func stepUpMinter(t *testing.T, cfg string) func(issued, login time.Time) string {
	secret, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "secret"))
	if err != nil {
		t.Fatal(err)
	}
	m := ticket.Minter{Digest: ticket.HMACSHA256, Secret: strings.TrimSuffix(string(secret), "\n")}
	return func(issued, login time.Time) string {
		tk := ticket.Ticket{UID: "alice", Tokens: "admin,staff", Time: issued}
		if !login.IsZero() {
			tk = tk.Authenticated(login)
		}
		v, err := m.MintCookie(tk, netip.MustParseAddr("127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// setTicket puts value into c's jar as the site's ticket cookie.
func setTicket(t *testing.T, c *http.Client, base, value string) {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "auth_tkt", Value: value, Path: "/"}})
}

// TestE2EStepUp follows a browser through the real nginx, tktd's /auth
// and its portal: a recent login opens /billing (max_auth_age: 15m); an
// older one is sent to the portal, which asks alice to confirm it's her
// (not sending her straight back, though her ticket is valid) and, once
// she has, returns her to the page, where her new login is let in.
func TestE2EStepUp(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, _ := protectedApp(t)
	cfg := proxySite(t, stepUpRules)
	tktd := startTktd(t, tktdBin, nil, "--config", cfg)
	conf, _ := nginxRecipe(t, strings.TrimPrefix(tktd.base, "http://"), strings.TrimPrefix(app.URL, "http://"))
	ngx := proxytest.Nginx(t, conf)
	base := ngx.URL()
	page := base + "/billing/invoices?year=2026"

	c := testenv.Browser(t)
	if resp, body := testenv.Login(t, c, base, "alice", "alice-pw", "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", resp.StatusCode, body)
	}
	resp, saw := getAs(t, c, page)
	if resp.StatusCode != 200 || saw.User != "alice" || saw.Groups != "admin,staff" {
		t.Fatalf("a fresh login at /billing: %d, the application saw %+v (want alice, her groups alone)", resp.StatusCode, saw)
	}

	// Her login is now 20 minutes old; the ticket itself a minute.
	mint := stepUpMinter(t, cfg)
	now := time.Now()
	setTicket(t, c, base, mint(now.Add(-time.Minute), now.Add(-20*time.Minute)))
	if resp, _ := getAs(t, c, base+"/page"); resp.StatusCode != 200 {
		t.Errorf("an older login elsewhere on the site: %d", resp.StatusCode)
	}
	resp, _ = getAs(t, c, page, "Accept", "text/html")
	stepUp := base + "/login?reason=reauth&back=" + url.QueryEscape(page)
	if resp.StatusCode != http.StatusFound || location(resp) != stepUp {
		t.Fatalf("an older login at /billing: %d %q, want 302 %q", resp.StatusCode, location(resp), stepUp)
	}
	resp, err := c.Get(location(resp))
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`data-reason="reauthenticate"`, "Please confirm it&#39;s you", `name="user" type="text" value="alice"`,
		`name="back" value="` + strings.ReplaceAll(page, "&", "&amp;") + `"`} {
		if resp.StatusCode != 200 || !strings.Contains(string(form), want) {
			t.Fatalf("the portal's step-up page: %d, lacks %q\n%s", resp.StatusCode, want, form)
		}
	}

	// The form as the browser posts it from that page (testenv.Login
	// would GET /login first, which sends a valid ticket straight back).
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"user": {"alice"}, "password": {"alice-pw"}, "back": {page}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("confirming: %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	value, _ := testenv.SetCookieValue(resp, "auth_tkt")
	r, err := verifyWith(t, filepath.Join(filepath.Dir(cfg), "secret"), ticket.HMACSHA256, value)
	if at, ok := r.Tokens.AuthTime(); err != nil || !ok || at.Before(now.Truncate(time.Second)) {
		t.Errorf("the new ticket: %+v, %v; want an auth time of now", r, err)
	}
	if resp, saw := getAs(t, c, page); resp.StatusCode != 200 || saw.User != "alice" {
		t.Errorf("back at /billing after confirming: %d %+v", resp.StatusCode, saw)
	}
	// A ticket without an auth time (tktctl mint, an Apache login page)
	// counts as infinitely old.
	setTicket(t, c, base, mint(now, time.Time{}))
	if resp, _ := getAs(t, c, page, "Accept", "text/html"); resp.StatusCode != http.StatusFound || location(resp) != stepUp {
		t.Errorf("a ticket without an auth time: %d %q", resp.StatusCode, location(resp))
	}
}

// TestE2EGateStepUpAndLifetime runs tktd gate with gate.max_auth_age and
// ticket.max_lifetime (from the environment), and asks it with tickets
// of chosen ages: refreshes stop where auth time + max_lifetime would be
// outlived, a ticket past it is refused, and an older login is sent to
// confirm who it is.
func TestE2EGateStepUpAndLifetime(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, _ := protectedApp(t)
	cfg := proxySite(t, "")
	gate := startGate(t, tktdBin, []string{"TKT_TICKET_TIMEOUT=2h", "TKT_TICKET_MAX_LIFETIME=12h", "TKT_GATE_MAX_AUTH_AGE=4h"},
		"--config", cfg, "--upstream", app.URL, "--login-url", "/login")
	mint := stepUpMinter(t, cfg)
	now := time.Now()
	for _, c := range []struct {
		name          string
		issued, login time.Duration // ago
		status        int
		location      string
		refreshed     bool
	}{
		{"recent login, ticket young", time.Minute, time.Hour, 200, "", false},
		{"recent login, ticket due", 61 * time.Minute, 3 * time.Hour, 200, "", true},
		{"login older than max_auth_age", time.Minute, 5 * time.Hour, 307, "/login?reason=reauth&back=", false},
	} {
		resp, _ := getAs(t, testenv.Browser(t), gate.base+"/x", "Cookie", "auth_tkt="+mint(now.Add(-c.issued), now.Add(-c.login)), "Accept", "text/html")
		_, refreshed := testenv.SetCookieValue(resp, "auth_tkt")
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Location"), c.location) || refreshed != c.refreshed {
			t.Errorf("%s: %d %q, refreshed %v; want %d %q, refreshed %v", c.name, resp.StatusCode, resp.Header.Get("Location"), refreshed, c.status, c.location, c.refreshed)
		}
	}

	// Without a max age, the cap alone.
	gate = startGate(t, tktdBin, []string{"TKT_TICKET_TIMEOUT=2h", "TKT_TICKET_MAX_LIFETIME=12h"}, "--config", cfg, "--upstream", app.URL, "--login-url", "/login")
	ask := func(issued, login time.Duration) (int, string) {
		resp, _ := getAs(t, testenv.Browser(t), gate.base+"/x", "Cookie", "auth_tkt="+mint(now.Add(-issued), now.Add(-login)), "Accept", "text/html")
		v, _ := testenv.SetCookieValue(resp, "auth_tkt")
		return resp.StatusCode, v
	}
	// Signed in 11h ago, due: stamped so that it ends at the cap, 1h on.
	status, fresh := ask(61*time.Minute, 11*time.Hour)
	// Read with the gate's own 2h timeout: stamped an hour ago, the
	// ticket is at the edge of verifyWith's 1h.
	r, err := verifyTimeout(t, filepath.Join(filepath.Dir(cfg), "secret"), ticket.HMACSHA256, fresh, 2*time.Hour)
	if capAt := now.Add(time.Hour).Truncate(time.Second); status != 200 || err != nil || !r.Time.Add(2*time.Hour).Equal(capAt) {
		t.Errorf("due, 11h after login: %d, re-issued %+v, %v; want it to end at the cap %v", status, r.Ticket, err, capAt)
	}
	// Signed in 11h30 ago, its ticket stamped at the cap's last moment:
	// let in, never re-issued.
	if status, fresh := ask(90*time.Minute, 11*time.Hour+30*time.Minute); status != 200 || fresh != "" {
		t.Errorf("due, at the cap: %d, re-issued %v; want 200 and no new ticket", status, fresh != "")
	}
	// Re-stamped by someone who knows nothing of the cap (mod_auth_tkt),
	// past it: refused.
	if status, _ := ask(time.Minute, 12*time.Hour+time.Minute); status != http.StatusTemporaryRedirect {
		t.Errorf("12h01 after login: %d, want 307 to log in", status)
	}
}
