package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// limitsConf throttles after three failures, per user and network and per
// network, and takes HTTP Basic at /auth for /api.
const limitsConf = `throttle: {max_failures: 3, max_ip_failures: 3}
forward_auth: {rules: [{paths: [/api], basic: true}]}
`

// loginFrom posts the login form to p as a browser at client would reach
// it through the trusted proxy, and says how long the answer took.
func loginFrom(t *testing.T, p *tktdProcess, client, user, pw string) (int, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.base+"/login", strings.NewReader(url.Values{"user": {user}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.base)
	req.Header.Set("X-Forwarded-For", client)
	req.AddCookie(&http.Cookie{Name: "tkt_probe", Value: "1"})
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// basicAuth asks p's /auth/nginx about /api with alice's password in HTTP
// Basic, as nginx would.
func basicAuth(t *testing.T, p *tktdProcess) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.base+"/auth/nginx", nil)
	req.Header.Set("X-Original-URL", "https://app.example.com/api/items")
	req.SetBasicAuth("alice", "alice-pw")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cacheEvents reads p's credential cache counters for HTTP Basic.
func cacheEvents(t *testing.T, p *tktdProcess) (hits, misses string) {
	t.Helper()
	_, page := get(t, testenv.Browser(t), p.base+"/metrics")
	return metricValue(page, `tkt_credential_cache_events_total{event="hit",store="basic"}`),
		metricValue(page, `tkt_credential_cache_events_total{event="miss",store="basic"}`)
}

// TestE2ESharedLimits: two instances and a gate, one Redis. Failed logins
// sent to A and B count together, at the gate too; a password HTTP Basic
// checked at A is a cache hit at B. Redis frozen mid-run: logins go on, throttled by each instance's
// own buckets, none hangs, nothing panics; when Redis resumes the shared
// counts stand where they stood, the failure counted during the freeze not
// added twice.
func TestE2ESharedLimits(t *testing.T) {
	s := startSharedSiteWith(t, limitsConf)
	const attacker = "203.0.113.5"
	for i, c := range []struct {
		p    *tktdProcess
		pw   string
		want int
	}{
		{s.a, "wrong", 401}, {s.a, "wrong", 401}, {s.b, "wrong", 401},
		{s.b, "wrong", 429}, {s.a, "wrong", 429}, {s.a, "alice-pw", 429},
	} {
		if code, _ := loginFrom(t, c.p, attacker, "alice", c.pw); code != c.want {
			t.Fatalf("attempt %d at %s: %d, want %d (three failures at A and B together)", i, c.p.base, code, c.want)
		}
	}
	if code, _ := loginFrom(t, s.b, "198.51.100.20", "alice", "alice-pw"); code != http.StatusSeeOther {
		t.Errorf("alice from her own address: %d, want 303", code)
	}
	// A gate taking HTTP Basic counts in the same buckets.
	tktdBin, _ := buildBinaries(t)
	gate := startGate(t, tktdBin, s.env, "--upstream", countingApp(t).URL, "--login-url", s.a.base+"/login", "--basic")
	atGate := func(client string) int {
		req, _ := http.NewRequest(http.MethodGet, gate.base+"/page", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Forwarded-For", client)
		req.SetBasicAuth("alice", "alice-pw")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if locked, free := atGate(attacker), atGate("198.51.100.22"); locked != http.StatusTooManyRequests || free != http.StatusOK {
		t.Errorf("HTTP Basic at the gate: %d from the address A and B locked, %d from another; want 429 and 200", locked, free)
	}

	if a, b := basicAuth(t, s.a), basicAuth(t, s.b); a != 200 || b != 200 {
		t.Fatalf("HTTP Basic at A: %d, at B: %d", a, b)
	}
	if hits, misses := cacheEvents(t, s.b); hits != "1" || misses != "0" {
		t.Errorf("B's credential cache: %s hits, %s misses; want A's entry, a hit", hits, misses)
	}

	// Two failures from a network on Redis, then the freeze.
	const network = "192.0.2.77"
	for range 2 {
		if code, _ := loginFrom(t, s.a, network, "carol", "wrong"); code != 401 {
			t.Fatalf("carol before the freeze: %d", code)
		}
	}
	if err := s.redis.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer s.redis.Thaw()
	var slowest time.Duration
	for i, want := range []int{401, 401, 401, 429} {
		code, took := loginFrom(t, s.b, network, "carol", "wrong")
		if code != want {
			t.Errorf("attempt %d at B while Redis hangs: %d, want %d (B's own buckets)", i, code, want)
		}
		slowest = max(slowest, took)
	}
	code, took := loginFrom(t, s.a, "198.51.100.21", "alice", "alice-pw")
	if code != http.StatusSeeOther {
		t.Errorf("alice at A while Redis hangs: %d, want 303", code)
	}
	slowest = max(slowest, took)
	t.Logf("the slowest login while Redis hangs took %v", slowest)
	if slowest > 2*time.Second {
		t.Errorf("a login took %v while Redis hangs", slowest)
	}
	if code := basicAuth(t, s.b); code != 200 {
		t.Errorf("HTTP Basic at B while Redis hangs: %d", code)
	}
	time.Sleep(time.Second) // the Take Redis reads when it resumes is past its deadline
	if err := s.redis.Thaw(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "both instances ready again", 10*time.Second, func() bool {
		a, _ := get(t, testenv.Browser(t), s.a.base+"/readyz")
		b, _ := get(t, testenv.Browser(t), s.b.base+"/readyz")
		return a == 200 && b == 200
	})
	// Redis's count for the network: the two failures before the freeze,
	// not the ones in B's memory, nor the call B sent as Redis froze.
	testenv.WaitFor(t, "the throttle back on Redis", 5*time.Second, func() bool {
		code, _ := loginFrom(t, s.a, network, "carol", "wrong")
		if code == 429 {
			t.Fatal("the network locked after the freeze: a failure counted twice, or B's merged")
		}
		return code == 401
	})
	if code, _ := loginFrom(t, s.b, network, "carol", "wrong"); code != 429 {
		t.Errorf("the fourth failure on Redis, at B: %d, want 429", code)
	}
	for _, p := range []*tktdProcess{s.a, s.b} {
		logs := p.logs.String()
		if strings.Contains(logs, "panic") || strings.Count(logs, "redis unreachable: shared state") > 1 {
			t.Errorf("%s's log:\n%s", p.base, logs)
		}
		_, page := get(t, testenv.Browser(t), p.base+"/metrics")
		t.Logf("%s: tkt_shared_fallbacks_total throttle %s, cache %s", p.base,
			metricValue(page, `tkt_shared_fallbacks_total{what="throttle"}`), metricValue(page, `tkt_shared_fallbacks_total{what="cache"}`))
	}
	if !strings.Contains(s.b.logs.String(), "redis unreachable: shared state") {
		t.Errorf("B did not log the outage:\n%s", s.b.logs.String())
	}
}
