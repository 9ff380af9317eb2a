package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/authsrc/ldap"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// startApp runs an app in-process on the zero configuration in a fresh
// data directory (with its changes), with alice/alice-pw in the SQLite
// store.
func startApp(t *testing.T, change func(*config.Config)) (*app, *httptest.Server, *testenv.SyncBuffer) {
	t.Helper()
	c := config.Defaults()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	c.Stores = []config.Store{{Type: config.StoreSQL, SQL: &config.SQLStore{BcryptCost: bcrypt.MinCost}}}
	if change != nil {
		change(&c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	sc, err := sqlstore.DataDirConfig(c.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	sc.BcryptCost = bcrypt.MinCost
	st, err := sqlstore.Open(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddUser(context.Background(), "alice", "alice-pw", []string{"staff"}, ""); err != nil {
		t.Fatal(err)
	}
	st.Close()
	logs := &testenv.SyncBuffer{}
	log := newLogger(config.Log{Level: "debug", Format: "json"}, logs)
	a, err := newApp(context.Background(), c, log, newMetrics("test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.handler())
	t.Cleanup(srv.Close)
	return a, srv, logs
}

func TestAppLoginMetricsAndReload(t *testing.T) {
	a, srv, logs := startApp(t, nil)
	c := testenv.Browser(t)

	resp, body := testenv.Login(t, c, srv.URL, "alice", "alice-pw", "/")
	value, ok := testenv.SetCookieValue(resp, "auth_tkt")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("login: %d, cookie %v\n%s", resp.StatusCode, ok, body)
	}
	r, err := verifyWith(t, a.cfg.SecretPath(), ticket.HMACSHA256, value)
	if err != nil || r.UID != "alice" || r.Tokens.Groups() != "staff" {
		t.Fatalf("the ticket: %+v, %v", r, err)
	}
	if resp, _ := testenv.Login(t, testenv.Browser(t), srv.URL, "alice", "wrong", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}

	_, page := get(t, c, srv.URL+"/metrics")
	for series, want := range map[string]string{
		`tkt_logins_total{result="ok"}`:                     "1",
		`tkt_logins_total{result="invalid"}`:                "1",
		`tkt_tickets_issued_total`:                          "1",
		`tkt_store_latency_seconds_count`:                   "2",
		`tkt_http_requests_total{code="3xx",route="login"}`: "1",
	} {
		if got := metricValue(page, series); got != want {
			t.Errorf("%s = %q, want %s", series, got, want)
		}
	}
	if strings.Contains(page, "alice") {
		t.Error("a user name is in the metrics")
	}

	// Rotate the secret: a reload takes it, new tickets use it.
	writeSecret(t, a.cfg.SecretPath(), "rotated-secret-0123456789\n")
	if err := a.reload("test"); err != nil {
		t.Fatal(err)
	}
	resp, _ = testenv.Login(t, testenv.Browser(t), srv.URL, "alice", "alice-pw", "/")
	value, _ = testenv.SetCookieValue(resp, "auth_tkt")
	if r, err := verifyWith(t, a.cfg.SecretPath(), ticket.HMACSHA256, value); err != nil || r.UID != "alice" {
		t.Fatalf("after rotation: %v", err)
	}

	// A bad secret file: the reload fails, says why, and the portal keeps
	// minting with the secret it had.
	writeSecret(t, a.cfg.SecretPath(), "\n")
	if err := a.reload("test"); err == nil {
		t.Fatal("reload of an empty secret succeeded")
	}
	writeSecret(t, a.cfg.SecretPath(), "rotated-secret-0123456789\n") // for verifyWith
	resp, _ = testenv.Login(t, testenv.Browser(t), srv.URL, "alice", "alice-pw", "/")
	value, _ = testenv.SetCookieValue(resp, "auth_tkt")
	if _, err := verifyWith(t, a.cfg.SecretPath(), ticket.HMACSHA256, value); err != nil {
		t.Errorf("after a bad reload the portal lost its secret: %v", err)
	}
	if !strings.Contains(logs.String(), "reload failed") || !strings.Contains(logs.String(), "is empty") {
		t.Errorf("the failed reload is not logged with its reason:\n%s", logs.String())
	}
	_, page = get(t, c, srv.URL+"/metrics")
	if ok, bad := metricValue(page, `tkt_reloads_total{result="ok"}`), metricValue(page, `tkt_reloads_total{result="error"}`); ok != "1" || bad != "1" {
		t.Errorf("reloads ok %s, error %s", ok, bad)
	}
	if strings.Contains(logs.String(), "alice-pw") || strings.Contains(logs.String(), "rotated-secret") || strings.Contains(logs.String(), value) {
		t.Error("a password, secret or ticket is in the log")
	}
}

func TestAccessLogAndRequestID(t *testing.T) {
	_, srv, logs := startApp(t, nil)
	tests := []struct {
		sent   string
		keep   bool
		path   string
		status int
		level  string
	}{
		{"", false, "/login?back=/x&auth_tkt=SECRETTICKET", 200, "INFO"},
		{"abc-123.x_y", true, "/healthz", 200, "DEBUG"},
		{"bad id <script>", false, "/nothing-here", 404, "INFO"},
		{strings.Repeat("a", 65), false, "/readyz", 200, "DEBUG"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
		if tt.sent != "" {
			req.Header["X-Request-Id"] = []string{tt.sent}
		}
		req.Header.Set("Cookie", "auth_tkt=COOKIESECRET")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Request-ID")
		if resp.StatusCode != tt.status || !validRequestID(id) || (id == tt.sent) != tt.keep {
			t.Errorf("%s: status %d, id %q (sent %q)", tt.path, resp.StatusCode, id, tt.sent)
		}
		var line map[string]any
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, id) {
				json.Unmarshal([]byte(l), &line)
			}
		}
		path, _, _ := strings.Cut(tt.path, "?")
		if line["path"] != path || line["method"] != "GET" || line["status"] != float64(tt.status) || line["level"] != tt.level || line["request_id"] != id {
			t.Errorf("%s: access log line %v", tt.path, line)
		}
	}
	if strings.Contains(logs.String(), "SECRETTICKET") || strings.Contains(logs.String(), "COOKIESECRET") {
		t.Errorf("a query or a cookie was logged:\n%s", logs.String())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	_, srv, _ := startApp(t, nil)
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		if code, body := get(t, http.DefaultClient, srv.URL+path); code != 200 || body != want {
			t.Errorf("%s: %d %q", path, code, body)
		}
	}
	// Real stores: an htpasswd file, and a directory nobody answers for.
	dir := t.TempDir()
	users := testenv.WriteFile(t, filepath.Join(dir, "users"), "alice:{SHA}g2YDYHBhl9R/ddqtGep+ipAO4aU=\n", 0o600)
	ready := func(c config.Config) (*httptest.ResponseRecorder, string) {
		stores, err := config.BuildSource(context.Background(), c, config.BuildConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stores.Close() })
		var logs testenv.SyncBuffer
		rec := httptest.NewRecorder()
		readyz(stores, nil, slog.New(slog.NewTextHandler(&logs, nil))).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec, logs.String()
	}
	c := config.Defaults()
	c.Stores = []config.Store{{Type: config.StoreHtpasswd, Name: "files", Htpasswd: &config.HtpasswdStore{Path: users}}}
	if rec, _ := ready(c); rec.Code != 200 || rec.Body.String() != "ready\n" {
		t.Errorf("readyz: %d %q", rec.Code, rec.Body.String())
	}
	down := testenv.FreeAddr(t)
	c.Stores = append(c.Stores, config.Store{Type: config.StoreLDAP, Name: "ldap corp",
		LDAP: &config.LDAPStore{Config: ldap.Config{URLs: []string{"ldap://" + down}, BaseDN: "dc=example,dc=com"}}})
	rec, logs := ready(c)
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "not ready: user store unreachable: ldap corp\n" {
		t.Errorf("readyz: %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs, down) || strings.Contains(rec.Body.String(), down) {
		t.Errorf("the reason is not logged, or is shown: %s", logs)
	}
	// The file gone: its users still log in from memory, so ready, saying so.
	c.Stores = c.Stores[:1]
	stores, err := config.BuildSource(context.Background(), c, config.BuildConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer stores.Close()
	os.Remove(users)
	rec = httptest.NewRecorder()
	readyz(stores, nil, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != 200 || rec.Body.String() != "ready; serving from memory, their files unreadable: files\n" {
		t.Errorf("readyz with the file gone: %d %q", rec.Code, rec.Body.String())
	}
}

func TestMetricsLabelsAreBounded(t *testing.T) {
	m := newMetrics("test")
	m.Login("ok")
	m.Login("alice") // not a result: must not become a label value
	m.cacheHooks("files").OnHit()
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	page := rec.Body.String()
	if metricValue(page, `tkt_logins_total{result="other"}`) != "1" || strings.Contains(page, "alice") {
		t.Errorf("logins:\n%s", page)
	}
	if metricValue(page, `tkt_credential_cache_events_total{event="hit",store="files"}`) != "1" {
		t.Errorf("cache hits missing")
	}
	for path, want := range map[string]string{"/login": "login", "/": "home", "/static/x.css": "static", "/etc/passwd": "other", "/metrics": "metrics",
		"/auth": "auth", "/auth/app/x": "auth", "/authx": "other"} {
		if got := route(path); got != want {
			t.Errorf("route(%q) = %q, want %q", path, got, want)
		}
	}
	for path, want := range map[string]string{"/login": "gate", "/.tkt/healthz": "healthz", "/x": "gate"} {
		if got := gateRoute(path); got != want {
			t.Errorf("gateRoute(%q) = %q, want %q", path, got, want)
		}
	}
	for code, want := range map[int]string{100: "1xx", 200: "2xx", 303: "3xx", 431: "4xx", 503: "5xx", 599: "5xx", 42: "other", 600: "other", -200: "other"} {
		if got := statusClass(code); got != want {
			t.Errorf("statusClass(%d) = %q", code, got)
		}
	}
}

// A password removed from an htpasswd file stops working at the reload,
// though HTTP Basic's credential cache remembered it a moment before.
func TestReloadForgetsBasicPasswords(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	write := privateFiles(t, dir)
	users := write("htpasswd", "bob:"+string(hash)+"\n")
	a, srv, _ := startApp(t, func(c *config.Config) {
		c.Stores = []config.Store{{Type: config.StoreHtpasswd, Htpasswd: &config.HtpasswdStore{Path: users}}}
		c.TrustedProxies = []string{"127.0.0.1"}
		c.ForwardAuth.Rules = []config.AuthRule{{Basic: true}}
	})
	ask := func() int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/auth", nil)
		req.Header.Set("X-Forwarded-Host", "app.example.com")
		req.Header.Set("X-Forwarded-Uri", "/x")
		req.SetBasicAuth("bob", "bob-pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ask(); got != 200 {
		t.Fatalf("bob before the change: %d", got)
	}
	write("htpasswd", "")
	if got := ask(); got != 200 {
		t.Fatalf("bob before the reload: %d, want 200 from the cache", got)
	}
	if err := a.reload("test"); err != nil {
		t.Fatal(err)
	}
	if got := ask(); got != 401 {
		t.Errorf("bob after the reload: %d, want 401", got)
	}
}
