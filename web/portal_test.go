package web

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

func TestNewReportsEveryProblem(t *testing.T) {
	o := Config{
		Ticket:           ticket.Config{Digest: ticket.MD5},
		Cookie:           CookieConfig{Name: "bad name", Path: "rel", Expires: -1},
		BackArg:          "a&b",
		AllowedRedirects: []string{"evil.com/x"},
		URLTicketHosts:   []string{"user@host"},
		DefaultURL:       "https://not-allowed.example/",
		Guest:            GuestConfig{User: "a!b"},
		Throttle:         ThrottleConfig{MaxFailures: -1},
		ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{{}}},
		StoreTimeout:     -time.Second,
	}
	_, err := New(o)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"Source", "ticket:", "cookie", "cookie path", "cookie expiry", "back argument",
		"allowed redirects", "URL ticket hosts", "default URL", "guest user", "throttle", "trusted proxy", "store timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestZeroConfigWorks(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		src := o.Source
		*o = Config{Ticket: ticket.Config{Secret: testSecret}, Source: src}
	})
	w := f.login("bob", bobPass, "https://app.example.com/") // no allow-list: default page
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("status %d Location %q", w.Code, w.Header().Get("Location"))
	}
}

func TestReloadSwapsSecret(t *testing.T) {
	f := newFixture(t, nil)
	old := f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret)
	o := f.opts
	o.Ticket.Secret, o.Ticket.OldSecrets = "new-secret-abcdef", []string{testSecret}
	if err := f.p.Reload(o); err != nil {
		t.Fatal(err)
	}
	// The old ticket still logs in, and is re-issued under the new secret.
	w := f.do(req{target: "/login?back=%2F", cookies: []*http.Cookie{ticketCookie(old)}})
	c := setCookie(w, "auth_tkt")
	if w.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("status %d, cookie %v", w.Code, c)
	}
	v, _ := ticket.NewVerifier(o.Ticket)
	if res, err := v.Verify(old, netipMust(testClient), f.now); err != nil || res.SecretIndex != 1 {
		t.Errorf("old ticket: %+v %v, want SecretIndex 1", res, err)
	}
	if res, err := v.Verify(c.Value, netipMust(testClient), f.now); err != nil || res.SecretIndex != 0 {
		t.Errorf("reissued ticket: %+v %v", res, err)
	}
	// Without the old secret, the old ticket is invalid.
	o.Ticket.OldSecrets = nil
	if err := f.p.Reload(o); err != nil {
		t.Fatal(err)
	}
	w = f.do(req{target: "/login", cookies: []*http.Cookie{ticketCookie(old)}})
	if reasonOf(w.Body.String()) != string(reasonInvalid) {
		t.Errorf("reason %q", reasonOf(w.Body.String()))
	}
}

func TestReloadKeepsStateOnError(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Title = "Before" })
	bad := f.opts
	bad.Title, bad.Ticket.Secret = "After", ""
	if err := f.p.Reload(bad); err == nil || !errors.Is(err, ticket.ErrNoSecret) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(f.do(req{target: "/login"}).Body.String(), "<title>Before</title>") {
		t.Error("failed reload changed the portal")
	}
}

func TestReloadTemplatesAndThrottle(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Throttle = ThrottleConfig{MaxFailures: 1} })
	f.login("alice", "wrong", "")
	o := f.opts
	o.TemplateDir = writeFiles(t, map[string]string{"login.html": `{{define "content"}}reloaded{{end}}`})
	if err := f.p.Reload(o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.do(req{target: "/login"}).Body.String(), "reloaded") {
		t.Error("template not swapped")
	}
	if w := f.login("alice", alicePass, ""); w.Code != http.StatusTooManyRequests {
		t.Errorf("reload unlocked a throttled user: %d", w.Code)
	}
	o.Throttle.MaxFailures = 2 // new limits: new counters
	if err := f.p.Reload(o); err != nil {
		t.Fatal(err)
	}
	if w := f.login("alice", alicePass, ""); w.Code != http.StatusSeeOther {
		t.Errorf("after changing limits: %d", w.Code)
	}
}

// TestReloadUnderLoad runs logins while the secret changes: every request
// succeeds with one state or the other (run with -race).
func TestReloadUnderLoad(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Throttle.Disabled = true })
	o2 := f.opts
	o2.Ticket.Secret, o2.Ticket.OldSecrets = "second-secret-xyz", []string{testSecret}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if w := f.login("bob", bobPass, "/"); w.Code != http.StatusSeeOther {
					t.Errorf("status %d", w.Code)
				}
			}
		})
	}
	for i := range 20 {
		o := f.opts
		if i%2 == 0 {
			o = o2
		}
		if err := f.p.Reload(o); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name    string
		r       req
		status  int
		noStore bool
	}{
		{"login", req{target: "/login"}, 200, true},
		{"home", req{target: "/"}, 200, true},
		{"logout", req{target: "/logout"}, 200, true},
		{"static", req{target: "/static/style.css"}, 200, false},
		{"not found", req{target: "/nope"}, 404, true},
		{"wrong method", req{method: "PUT", target: "/login"}, 405, true},
		{"csrf", req{method: "POST", target: "/login", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, true},
		{"redirect", req{method: "POST", target: "/login", form: map[string][]string{"user": {"bob"}, "password": {bobPass}}, cookies: []*http.Cookie{probe()}}, 303, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(tt.r)
			h := w.Header()
			if w.Code != tt.status {
				t.Fatalf("status %d", w.Code)
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "style-src 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", h)
			}
			if got := h.Get("Cache-Control") == "no-store"; got != tt.noStore {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
		})
	}
	if got := f.do(req{method: "DELETE", target: "/logout"}).Header().Get("Allow"); got != "GET, HEAD, POST" {
		t.Errorf("Allow %q", got)
	}
}

// Strict-Transport-Security goes on every page a client reached over
// HTTPS: to us, or to a trusted proxy that says so; never over plain HTTP,
// where browsers ignore it and a man in the middle would strip it anyway.
func TestHSTS(t *testing.T) {
	const hsts = "max-age=31536000"
	f := newFixture(t, func(o *Config) {
		o.HSTS = hsts
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	for _, c := range []struct {
		name string
		r    req
		want string
	}{
		{"tls", req{target: "/login", tls: true}, hsts},
		{"tls, an error page", req{target: "/nowhere", tls: true}, hsts},
		{"plain", req{target: "/login"}, ""},
		{"trusted proxy says https", req{target: "/login", remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-Proto": "https"}}, hsts},
		{"untrusted client says https", req{target: "/login", header: map[string]string{"X-Forwarded-Proto": "https"}}, ""},
	} {
		if got := f.do(c.r).Header().Get("Strict-Transport-Security"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if got := newFixture(t, nil).do(req{target: "/login", tls: true}).Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("without HSTS configured: %q", got)
	}
}
