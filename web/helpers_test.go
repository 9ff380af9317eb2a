package web

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

const (
	testSecret  = "current-secret-0123456789"
	testClient  = "192.0.2.10"
	portalHost  = "login.example.com"
	alicePass   = "correct horse"
	bobPass     = "hunter2"
	testBackURL = "https://app.example.com/page?x=1"
)

// users are written to a real htpasswd file with bcrypt cost 4.
var testUsers = map[string]string{"alice": alicePass, "bob": bobPass}

// writeHtpasswd writes users and a group file (alice in staff and admin)
// and returns their paths.
func writeHtpasswd(t testing.TB, dir string) (string, string) {
	t.Helper()
	var b strings.Builder
	for u, pw := range testUsers {
		h, err := pwhash.Bcrypt(pw, 4)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(u + ":" + h + "\n")
	}
	pw := filepath.Join(dir, "htpasswd")
	gr := filepath.Join(dir, "groups")
	if err := os.WriteFile(pw, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gr, []byte("staff: alice\nadmin: alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return pw, gr
}

// countingSource passes calls through to a real store and counts them, so
// a test can tell whether the portal asked the store at all.
type countingSource struct {
	authsrc.Source
	calls atomic.Int64
}

func (c *countingSource) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	c.calls.Add(1)
	return c.Source.Authenticate(ctx, user, password)
}

// recMetrics records what the portal reports.
type recMetrics struct {
	mu        sync.Mutex
	logins    map[string]int
	issued    int
	throttled int
	latencies int
}

func (m *recMetrics) Login(result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logins == nil {
		m.logins = map[string]int{}
	}
	m.logins[result]++
}
func (m *recMetrics) TicketIssued() { m.mu.Lock(); m.issued++; m.mu.Unlock() }
func (m *recMetrics) Throttled()    { m.mu.Lock(); m.throttled++; m.mu.Unlock() }
func (m *recMetrics) StoreLatency(time.Duration) {
	m.mu.Lock()
	m.latencies++
	m.mu.Unlock()
}

type fixture struct {
	t       testing.TB
	p       *Portal
	opts    Config
	now     time.Time
	src     *countingSource
	metrics *recMetrics
	logs    *testenv.SyncBuffer
	dir     string
}

func baseConfig() Config {
	return Config{
		Ticket:           ticket.Config{Digest: ticket.MD5, Secret: testSecret, Timeout: 2 * time.Hour, Refresh: 0.5},
		AllowedRedirects: []string{"app.example.com", ".trusted.example.org"},
		// A domain: no host for the logout chain (TestLogoutChain) to visit.
		URLTicketHosts: []string{".example.net"},
	}
}

// newFixture builds a Portal over a real htpasswd store; edit adjusts the
// options before New.
func newFixture(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), metrics: &recMetrics{}, logs: &testenv.SyncBuffer{}, dir: t.TempDir()}
	pw, gr := writeHtpasswd(t, f.dir)
	store, err := htpasswd.New(htpasswd.Config{Path: pw, GroupPath: gr})
	if err != nil {
		t.Fatal(err)
	}
	f.src = &countingSource{Source: store}
	o := baseConfig()
	o.Source = f.src
	o.Metrics = f.metrics
	o.Logger = slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Now = func() time.Time { return f.now }
	if edit != nil {
		edit(&o)
	}
	f.opts = o
	if f.p, err = New(o); err != nil {
		t.Fatal(err)
	}
	return f
}

// req is one request to the portal.
type req struct {
	method  string
	target  string
	form    url.Values
	cookies []*http.Cookie
	header  map[string]string
	remote  string
	tls     bool
}

func (f *fixture) do(r req) *httptest.ResponseRecorder {
	f.t.Helper()
	var body *strings.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	} else {
		body = strings.NewReader("")
	}
	hr := httptest.NewRequest(cmpOr(r.method, http.MethodGet), "http://"+portalHost+r.target, body)
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	hr.RemoteAddr = cmpOr(r.remote, testClient+":4711")
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	for k, v := range r.header {
		if k == "Host" {
			hr.Host = v
			continue
		}
		hr.Header.Set(k, v)
	}
	if r.tls {
		hr.TLS = &tls.ConnectionState{}
	}
	w := httptest.NewRecorder()
	f.p.ServeHTTP(w, hr)
	return w
}

// login posts the form the way a browser that accepts cookies does.
func (f *fixture) login(user, pw, back string, extra ...*http.Cookie) *httptest.ResponseRecorder {
	f.t.Helper()
	form := url.Values{"user": {user}, "password": {pw}}
	if back != "" {
		form.Set("back", back)
	}
	return f.do(req{method: http.MethodPost, target: "/login", form: form, cookies: append([]*http.Cookie{probe()}, extra...)})
}

// ticketFor mints a cookie value as the portal would for testClient.
func (f *fixture) ticketFor(t ticket.Ticket, secret string) string {
	f.t.Helper()
	c := f.opts.Ticket
	c.Secret, c.OldSecrets = secret, nil
	v, err := ticket.NewVerifier(c)
	if err != nil {
		f.t.Fatal(err)
	}
	if t.Time.IsZero() {
		t.Time = f.now
	}
	raw, err := v.Mint(t, netipMust(testClient))
	if err != nil {
		f.t.Fatal(err)
	}
	return ticket.Encode(raw)
}

func probe() *http.Cookie { return &http.Cookie{Name: probeCookie, Value: "1"} }

func ticketCookie(v string) *http.Cookie { return &http.Cookie{Name: "auth_tkt", Value: v} }

// setCookie returns the Set-Cookie called name, or nil.
func setCookie(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookieLine returns the raw Set-Cookie header for name.
func setCookieLine(w *httptest.ResponseRecorder, name string) string {
	for _, l := range w.Header().Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			return l
		}
	}
	return ""
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }
