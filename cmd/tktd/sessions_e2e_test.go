package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// userAgent sets a browser's User-Agent on every request.
type userAgent struct {
	ua   string
	next http.RoundTripper
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

// startSessionSite is the shared site with sessions on.
func startSessionSite(t *testing.T, env ...string) *sharedSite {
	return startSharedSiteWith(t, "sessions: {enabled: true}\n", env...)
}

// loginAs logs alice in on p from a browser with the User-Agent ua, and
// returns the browser and her ticket.
func (s *sharedSite) loginAs(t *testing.T, p *tktdProcess, ua string) (*http.Client, string) {
	t.Helper()
	c := testenv.Browser(t)
	c.Transport = userAgent{ua, http.DefaultTransport}
	resp, body := testenv.Login(t, c, p.base, "alice", "alice-pw", "/")
	v, ok := testenv.SetCookieValue(resp, "auth_tkt")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("login on %s: %d\n%s", p.base, resp.StatusCode, body)
	}
	return c, v
}

// TestE2ESessions: two instances, one Redis, sessions on. A login on A
// is listed by tktctl with its user agent; its ticket works at A, B and a
// gate, which tell applications the user's groups without the session
// id; ended with tktctl, it is refused by all of them within a second.
// Logout on B ends the session of a ticket that A then refuses; a ticket
// minted without a session (tktctl mint, Apache) is taken everywhere.
func TestE2ESessions(t *testing.T) {
	s := startSessionSite(t)
	_, tkt := s.loginAs(t, s.a, "e2e-browser/1.0 (X11)")
	for _, p := range []*tktdProcess{s.a, s.b} {
		if code, groups := authGroups(t, p, tkt); code != http.StatusOK || groups != "staff" {
			t.Fatalf("A's ticket at %s: %d, Remote-Groups %q (want staff alone)", p.base, code, groups)
		}
	}
	out := s.tktctlRun(t, "", "session", "list", "alice")
	m := regexp.MustCompile(`(?m)^([A-Za-z0-9_-]{22})  alice  \S+  \S+  127\.0\.0\.1 +e2e-browser/1\.0 \(X11\)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("tktctl session list alice:\n%s", out)
	}
	sid := m[1]

	tktdBin, _ := buildBinaries(t)
	app := countingApp(t)
	gate := startGate(t, tktdBin, s.env, "--upstream", app.URL, "--login-url", s.a.base+"/login")
	if code := atGate(t, gate, tkt); code != http.StatusOK {
		t.Fatalf("A's ticket at the gate: %d", code)
	}

	out = s.tktctlRun(t, "", "session", "end", sid)
	if !strings.HasPrefix(out, "ended session "+sid+" of alice") {
		t.Errorf("tktctl session end: %q", out)
	}
	t.Logf("a session ended by tktctl was refused by A in %v, by B in %v",
		refusedWithin(t, s.a, tkt, time.Second), refusedWithin(t, s.b, tkt, time.Second))
	testenv.WaitFor(t, "the gate to refuse the ticket", time.Second, func() bool { return atGate(t, gate, tkt) == http.StatusUnauthorized })
	if out := s.tktctlRun(t, "", "session", "list", "alice"); out != "no sessions of alice\n" {
		t.Errorf("tktctl session list alice after the end:\n%s", out)
	}

	// Logout on B ends the session: the ticket, replayed, is refused at A.
	c, fresh := s.loginAs(t, s.a, "e2e-browser/1.0 (X11)")
	if code := auth(t, s.b, fresh); code != http.StatusOK {
		t.Fatalf("a new login at B: %d", code)
	}
	if code := logout(t, c, s.b, fresh, url.Values{}); code != http.StatusOK {
		t.Fatalf("logout on B: %d", code)
	}
	t.Logf("logout on B: the replayed ticket refused at A in %v", refusedWithin(t, s.a, fresh, time.Second))

	// A ticket without a session id, as tktctl mint and Apache's login
	// page make them, is taken.
	minted := strings.TrimSpace(s.tktctlRun(t, "", "mint", "--user", "alice", "--tokens", "staff", "--ip", "127.0.0.1", "--secret-file", s.data+"/secret", "--digest", "hmac-sha256"))
	if code := auth(t, s.a, minted); code != http.StatusOK {
		t.Errorf("a minted ticket without a session id at A: %d", code)
	}
	code, page := get(t, testenv.Browser(t), s.b.base+"/metrics")
	if v := metricValue(page, "tkt_sessions_ended"); code != http.StatusOK || v != "2" {
		t.Errorf("B's tkt_sessions_ended = %q, want 2", v)
	}
}

// TestE2ESessionsOutage: Redis frozen. Within stale_after tickets with a
// session work from the last copy; after it, sessions being closed by
// default, they are answered 503 while tickets without a session, and
// revocation (open by default), go on; a login fails, saying why. Each
// instance logs the outage once, and everything returns with Redis.
//
// An instance that asks Redis nothing meanwhile notices the outage at its
// next resync: resync_interval (1s here, 10s by default) bounds how long
// after stale_after that takes.
func TestE2ESessionsOutage(t *testing.T) {
	s := startSessionSite(t, "TKT_REDIS_RESYNC_INTERVAL=1s")
	_, tkt := s.loginAs(t, s.a, "e2e")
	minted := strings.TrimSpace(s.tktctlRun(t, "", "mint", "--user", "alice", "--tokens", "staff", "--ip", "127.0.0.1", "--secret-file", s.data+"/secret", "--digest", "hmac-sha256"))
	if err := s.redis.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer s.redis.Thaw()
	frozen := time.Now()
	if code := auth(t, s.b, tkt); code != http.StatusOK {
		t.Errorf("a session's ticket just after the freeze: %d", code)
	}
	testenv.WaitFor(t, "B to answer 503 for a session's ticket", 10*time.Second, func() bool { return auth(t, s.b, tkt) == http.StatusServiceUnavailable })
	t.Logf("503 after %v (stale_after 2s)", time.Since(frozen).Round(100*time.Millisecond))
	for range 20 {
		if code := auth(t, s.b, minted); code != http.StatusOK {
			t.Fatalf("a ticket without a session while Redis is away: %d", code)
		}
	}
	resp, body := testenv.Login(t, testenv.Browser(t), s.a.base, "alice", "alice-pw", "/")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "could not be recorded") {
		t.Errorf("a login while Redis is away: %d\n%s", resp.StatusCode, body)
	}
	if err := s.redis.Thaw(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "B to take the ticket again", 10*time.Second, func() bool { return auth(t, s.b, tkt) == http.StatusOK })
	for _, p := range []*tktdProcess{s.a, s.b} {
		if n := strings.Count(p.logs.String(), "redis unreachable: shared state"); n != 1 {
			t.Errorf("%s logged the outage %d times, want once:\n%s", p.base, n, p.logs.String())
		}
	}
}
