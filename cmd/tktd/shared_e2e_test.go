package main

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// sharedSite is two tktd serve instances sharing one secret, one user
// store and one Redis of the test's own, as behind a load balancer;
// alice (password alice-pw) is a user.
type sharedSite struct {
	redis      *redistest.Server
	a, b       *tktdProcess
	conf, data string
	env        []string
	tktctl     string
}

// extra is appended to the configuration.
func startSharedSite(t *testing.T) *sharedSite {
	t.Helper()
	return startSharedSiteWith(t, "")
}

// startSharedSiteWith is startSharedSite with more settings (YAML lines,
// and TKT_... variables).
func startSharedSiteWith(t *testing.T, extra string, env ...string) *sharedSite {
	t.Helper()
	tktdBin, tktctlBin := buildBinaries(t)
	s := &sharedSite{redis: redistest.Start(t), tktctl: tktctlBin}
	dir := t.TempDir()
	s.data = filepath.Join(dir, "data")
	s.conf = filepath.Join(dir, "tktd.yaml")
	// stale_after 2s: the outage part of the test waits for it.
	testenv.WriteFile(t, s.conf, "trusted_proxies: [127.0.0.1]\ndata_dir: "+s.data+"\n"+
		"redis: {url: '"+s.redis.URL+"', stale_after: 2s}\n"+extra, 0o600)
	s.env = append([]string{"TKT_CONFIG=" + s.conf}, env...)
	s.a = startTktd(t, tktdBin, s.env)
	s.b = startTktd(t, tktdBin, s.env)
	s.tktctlRun(t, "alice-pw\n", "user", "add", "alice", "--data-dir", s.data, "--password-stdin", "--group", "staff")
	return s
}

// tktctlRun runs tktctl with the site's configuration and fails the test
// when it fails.
func (s *sharedSite) tktctlRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.tktctl, args...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tktctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// login logs alice in on p and returns her ticket.
func (s *sharedSite) login(t *testing.T, p *tktdProcess) string {
	t.Helper()
	resp, body := testenv.Login(t, testenv.Browser(t), p.base, "alice", "alice-pw", "/")
	v, ok := testenv.SetCookieValue(resp, "auth_tkt")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("login on %s: %d\n%s", p.base, resp.StatusCode, body)
	}
	return v
}

// auth asks p's /auth/nginx about a page with the ticket, as nginx would.
func auth(t *testing.T, p *tktdProcess, tkt string) int {
	t.Helper()
	code, _ := authGroups(t, p, tkt)
	return code
}

// authGroups is auth, and the groups /auth tells the proxy.
func authGroups(t *testing.T, p *tktdProcess, tkt string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.base+"/auth/nginx", nil)
	req.Header.Set("X-Original-URL", "https://app.example.com/page")
	req.AddCookie(&http.Cookie{Name: "auth_tkt", Value: tkt})
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Remote-Groups")
}

// atGate asks the gate for a page with the ticket, as an API client.
func atGate(t *testing.T, gate *tktdProcess, tkt string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, gate.base+"/page", nil)
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: "auth_tkt", Value: tkt})
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// logout posts the logout form (with form's fields) to p from browser c
// holding the ticket, and returns the status.
func logout(t *testing.T, c *http.Client, p *tktdProcess, tkt string, form url.Values) int {
	t.Helper()
	c.Jar.SetCookies(mustURL(t, p.base), []*http.Cookie{{Name: "auth_tkt", Value: tkt}})
	req, _ := http.NewRequest(http.MethodPost, p.base+"/logout", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// refusedWithin waits until p refuses tkt, and says how long that took.
func refusedWithin(t *testing.T, p *tktdProcess, tkt string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	testenv.WaitFor(t, "the ticket refused at "+p.base, limit, func() bool { return auth(t, p, tkt) == http.StatusUnauthorized })
	return time.Since(start)
}

// nextSecond sleeps into the next whole second: a mark covers its own
// second, so a login right after it needs the next one.
func nextSecond() { time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) }

// TestE2ESharedRevocation: two instances, one Redis. A ticket from A works
// at B; revoked with tktctl, or by "sign out everywhere" on one instance,
// it is refused by the other within a second, while a new login works.
func TestE2ESharedRevocation(t *testing.T) {
	s := startSharedSite(t)
	tkt := s.login(t, s.a)
	if code := auth(t, s.b, tkt); code != http.StatusOK {
		t.Fatalf("A's ticket at B: %d", code)
	}
	// A gate in front of an application shares the marks too.
	tktdBin, _ := buildBinaries(t)
	app := countingApp(t)
	gate := startGate(t, tktdBin, s.env, "--upstream", app.URL, "--login-url", s.a.base+"/login")
	if code := atGate(t, gate, tkt); code != http.StatusOK {
		t.Fatalf("A's ticket at the gate: %d", code)
	}

	out := s.tktctlRun(t, "", "revoke", "alice")
	if !strings.HasPrefix(out, "revoked alice's tickets issued up to ") {
		t.Errorf("tktctl revoke: %q", out)
	}
	t.Logf("a revocation by tktctl reached A in %v, B in %v",
		refusedWithin(t, s.a, tkt, time.Second), refusedWithin(t, s.b, tkt, time.Second))
	testenv.WaitFor(t, "the gate to refuse the ticket", time.Second, func() bool { return atGate(t, gate, tkt) == http.StatusUnauthorized })

	nextSecond()
	fresh := s.login(t, s.b)
	if code := auth(t, s.a, fresh); code != http.StatusOK {
		t.Fatalf("a login after the mark, at A: %d", code)
	}

	// Sign out everywhere on B ends the ticket at A.
	nextSecond()
	if code := logout(t, testenv.Browser(t), s.b, fresh, url.Values{"everywhere": {"1"}}); code != http.StatusOK {
		t.Fatalf("sign out everywhere: %d", code)
	}
	t.Logf("sign out everywhere on B reached A in %v", refusedWithin(t, s.a, fresh, time.Second))
	if !strings.Contains(s.b.logs.String(), "signed out everywhere") {
		t.Errorf("B's log does not say so:\n%s", s.b.logs.String())
	}
}

// TestE2ESharedOutage: Redis frozen mid-run. Tickets keep working with
// the last copy of the marks (on_outage's default for revocation), /readyz
// names Redis, each instance logs the outage once, not per request, and
// everything comes back when Redis does, a new revocation included.
func TestE2ESharedOutage(t *testing.T) {
	s := startSharedSite(t)
	revoked := s.login(t, s.a)
	s.tktctlRun(t, "", "revoke", "alice")
	refusedWithin(t, s.a, revoked, time.Second)
	nextSecond()
	tkt := s.login(t, s.b)

	if err := s.redis.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer s.redis.Thaw()
	for _, p := range []*tktdProcess{s.a, s.b} {
		if code := auth(t, p, tkt); code != http.StatusOK {
			t.Errorf("a good ticket at %s while Redis hangs: %d", p.base, code)
		}
		if code := auth(t, p, revoked); code != http.StatusUnauthorized {
			t.Errorf("the revoked ticket at %s while Redis hangs: %d", p.base, code)
		}
	}
	testenv.WaitFor(t, "A's /readyz to name Redis", 10*time.Second, func() bool {
		code, body := get(t, testenv.Browser(t), s.a.base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "redis unreachable")
	})
	// Past stale_after, the default for revocation is still open with the
	// last copy.
	time.Sleep(2500 * time.Millisecond)
	for range 20 {
		if code := auth(t, s.a, tkt); code != http.StatusOK {
			t.Fatalf("a good ticket at A after stale_after: %d", code)
		}
	}
	if err := s.redis.Thaw(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "A's /readyz back", 10*time.Second, func() bool {
		code, _ := get(t, testenv.Browser(t), s.a.base+"/readyz")
		return code == http.StatusOK
	})
	s.tktctlRun(t, "", "revoke", "alice")
	refusedWithin(t, s.b, tkt, 2*time.Second)
	// A, whose /readyz asked Redis, saw the outage: one line, however many
	// requests came meanwhile. B noticed it only if its own resync fell
	// in the frozen seconds: at most one line.
	for _, c := range []struct {
		p        *tktdProcess
		min, max int
	}{{s.a, 1, 1}, {s.b, 0, 1}} {
		if n := strings.Count(c.p.logs.String(), "redis unreachable: shared state"); n < c.min || n > c.max {
			t.Errorf("%s logged the outage %d times, want %d to %d:\n%s", c.p.base, n, c.min, c.max, c.p.logs.String())
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
