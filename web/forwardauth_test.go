package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

const (
	proxyAddr = "10.0.0.1"
	loginURL  = "https://login.example.com/login"
)

// faFixture is a forward-auth endpoint behind a trusted proxy at proxyAddr,
// with rules for an admin area, public assets and a guest-friendly wiki.
type faFixture struct {
	t    testing.TB
	fa   *ForwardAuth
	opts ForwardAuthConfig
	now  time.Time
	logs *testenv.SyncBuffer
}

func newFAFixture(t testing.TB, edit func(*ForwardAuthConfig)) *faFixture {
	f := &faFixture{t: t, now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), logs: &testenv.SyncBuffer{}}
	o := ForwardAuthConfig{
		Ticket:           ticket.Config{Digest: ticket.SHA256, Secret: testSecret, Timeout: 2 * time.Hour, Refresh: 0.5},
		Cookie:           CookieConfig{Name: "auth_tkt", Domain: ".example.com", Path: "/"},
		LoginURL:         loginURL,
		ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix(proxyAddr + "/32")}},
		URLTicketHosts:   []string{"other.example.net"},
		BearerTickets:    true, // tktd's default
		Rules: []ForwardAuthRule{
			{Hosts: []string{"app.example.com"}, Paths: []string{"/admin"}, Tokens: []string{"admin"}},
			{Paths: []string{"/static/", "/healthz"}, Bypass: true},
			{Hosts: []string{".wiki.example.com"}, Guest: true},
		},
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return f.now },
	}
	if edit != nil {
		edit(&o)
	}
	fa, err := NewForwardAuth(o)
	if err != nil {
		t.Fatal(err)
	}
	f.fa, f.opts = fa, o
	return f
}

// mint returns a cookie value for uid with tokens and data, bound to
// client, minted at the fixture's time minus age.
func (f *faFixture) mint(uid, tokens, data, client string, age time.Duration) string {
	f.t.Helper()
	v, err := ticket.NewVerifier(f.opts.Ticket)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := v.Mint(ticket.Ticket{UID: uid, Tokens: ticket.Tokens(tokens), Data: data, Time: f.now.Add(-age)}, netip.MustParseAddr(client))
	if err != nil {
		f.t.Fatal(err)
	}
	return ticket.Encode(raw)
}

// ask sends the endpoint a request from peer with the given headers.
func (f *faFixture) ask(target, peer string, header map[string]string) *httptest.ResponseRecorder {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://tktd.internal:8080"+target, nil)
	r.RemoteAddr = peer + ":5123"
	for k, v := range header {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.fa.ServeHTTP(w, r)
	return w
}

// nginx asks about url the way nginx's auth_request does, for a client at
// testClient sending cookie.
func (f *faFixture) nginx(url, cookie string, extra ...string) *httptest.ResponseRecorder {
	h := map[string]string{"X-Original-URL": url, "X-Original-Method": "GET", "X-Forwarded-For": testClient, "Accept": "text/html,*/*"}
	if cookie != "" {
		h["Cookie"] = "auth_tkt=" + cookie
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return f.ask("/auth/nginx", proxyAddr, h)
}

// traefik asks the way Traefik's forwardAuth and Caddy's forward_auth do.
func (f *faFixture) traefik(method, proto, host, uri, cookie string, extra ...string) *httptest.ResponseRecorder {
	h := map[string]string{
		"X-Forwarded-Method": method, "X-Forwarded-Proto": proto, "X-Forwarded-Host": host,
		"X-Forwarded-Uri": uri, "X-Forwarded-For": testClient, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
	}
	if cookie != "" {
		h["Cookie"] = "auth_tkt=" + cookie
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return f.ask("/auth", proxyAddr, h)
}

// identity is what the endpoint told the proxy about the user.
func identity(w *httptest.ResponseRecorder) []string {
	h := w.Header()
	if _, ok := h["Remote-User"]; !ok {
		return nil
	}
	return []string{h.Get("Remote-User"), h.Get("Remote-Groups"), h.Get("Remote-Data")}
}

// login is where a browser without a valid ticket for back is sent.
func login(back string) string { return loginURL + "?back=" + url.QueryEscape(back) }

func TestForwardAuthVerdicts(t *testing.T) {
	f := newFAFixture(t, nil)
	alice := f.mint("alice", "staff,admin", "uid=42", testClient, time.Minute)
	bob := f.mint("bob", "staff", "", testClient, time.Minute)
	elsewhere := f.mint("alice", "staff,admin", "", "198.51.100.7", time.Minute)
	expired := f.mint("alice", "admin", "", testClient, 3*time.Hour)
	forged := strings.Replace(alice, alice[:4], "AAAA", 1)

	tests := []struct {
		name     string
		w        *httptest.ResponseRecorder
		status   int
		identity []string
		location string
	}{
		{"nginx: valid ticket", f.nginx("https://app.example.com/page?x=1", alice), 200, []string{"alice", "staff,admin", "uid=42"}, ""},
		{"nginx: no ticket", f.nginx("https://app.example.com/page", ""), 401, nil, login("https://app.example.com/page")},
		{"nginx: forged ticket", f.nginx("https://app.example.com/page", forged), 401, nil, login("https://app.example.com/page")},
		{"nginx: ticket bound to another client", f.nginx("https://app.example.com/page", elsewhere), 401, nil, login("https://app.example.com/page")},
		{"nginx: expired ticket", f.nginx("https://app.example.com/page", expired), 401, nil, login("https://app.example.com/page")},
		{"nginx: admin area with the token", f.nginx("https://app.example.com/admin/users", alice), 200, []string{"alice", "staff,admin", "uid=42"}, ""},
		{"nginx: admin area without the token", f.nginx("https://app.example.com/admin", bob), 403, nil, ""},
		{"nginx: /administrator is not under /admin", f.nginx("https://app.example.com/administrator", bob), 200, []string{"bob", "staff", ""}, ""},
		{"nginx: admin rule is for its host only", f.nginx("https://other.example.com/admin", bob), 200, []string{"bob", "staff", ""}, ""},
		{"nginx: bypass, as nobody", f.nginx("https://app.example.com/static/app.css", ""), 200, []string{"", "", ""}, ""},
		{"nginx: bypass is segment-exact", f.nginx("https://app.example.com/healthzz", ""), 401, nil, login("https://app.example.com/healthzz")},
		{"nginx: guest rule, no ticket", f.nginx("https://docs.wiki.example.com/", ""), 200, []string{"guest", "", ""}, ""},
		{"nginx: guest rule, valid ticket", f.nginx("https://wiki.example.com/", bob), 200, []string{"bob", "staff", ""}, ""},
		{"nginx: host match ignores case and port", f.nginx("https://APP.example.com:8443/admin", bob), 403, nil, ""},
		{"traefik: valid ticket", f.traefik("GET", "https", "app.example.com", "/page", alice), 200, []string{"alice", "staff,admin", "uid=42"}, ""},
		{"traefik: no ticket redirects to the portal", f.traefik("GET", "https", "app.example.com", "/page?x=1&y=%2F", ""), 302, nil,
			login("https://app.example.com/page?x=1&y=%2F")},
		{"traefik: a POST is sent to log in with a GET", f.traefik("POST", "http", "app.example.com:8080", "/form", ""), 302, nil,
			login("http://app.example.com:8080/form")},
		{"traefik: API clients get 401", f.traefik("GET", "https", "app.example.com", "/api", "", "Accept", "application/json"), 401, nil, ""},
		{"traefik: missing token is 403, not a login", f.traefik("GET", "https", "app.example.com", "/admin", bob), 403, nil, ""},
		{"envoy: path under the endpoint", f.ask("/auth/envoy/admin/x?q=1", proxyAddr, map[string]string{"Host": "app.example.com", "X-Forwarded-For": testClient, "Cookie": "auth_tkt=" + bob}), 403, nil, ""},
		{"envoy: valid ticket", f.ask("/auth/envoy/page", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-For": testClient, "Cookie": "auth_tkt=" + alice}), 200, []string{"alice", "staff,admin", "uid=42"}, ""},
		// A client's own headers of the other convention, passed on by its
		// proxy, are not read.
		{"traefik: a client's X-Original-URL is ignored", f.traefik("GET", "https", "app.example.com", "/admin/x", bob, "X-Original-URL", "https://app.example.com/static/x"), 403, nil, ""},
		{"traefik: a client's X-Original-Method is ignored", f.traefik("POST", "https", "app.example.com", "/p", "", "X-Original-Method", "GET"), 302, nil, login("https://app.example.com/p")},
		{"nginx: a client's X-Forwarded-Uri is ignored", f.nginx("https://app.example.com/admin/x", bob, "X-Forwarded-Uri", "/static/x"), 403, nil, ""},
		// Every spelling of a protected path meets its rule.
		{"rule paths ignore case", f.nginx("https://app.example.com/ADMIN/x", bob), 403, nil, ""},
		{"rule paths merge slashes", f.nginx("https://app.example.com/admin//x", bob), 403, nil, ""},
		{"rule paths cut ;params", f.nginx("https://app.example.com/admin;jsessionid=1/x", bob), 403, nil, ""},
		{"bypass is for the bypassed path only", f.nginx("https://app.example.com/static;x/../admin", ""), 400, nil, ""},
		{"rule hosts ignore the port", f.traefik("GET", "https", "app.example.com:8443", "/admin", bob), 403, nil, ""},
		{"a rule path with a trailing slash covers the bare path", f.nginx("https://app.example.com/static", ""), 200, []string{"", "", ""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %q", tc.w.Code, tc.status, tc.w.Body)
			}
			if diff := cmp.Diff(tc.identity, identity(tc.w)); diff != "" {
				t.Errorf("identity headers (-want +got):\n%s", diff)
			}
			if got := tc.w.Header().Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
		})
	}
}

// A proxy that is not trusted could claim any URL and any client address;
// a proxy that does not say what it asks about gets a reason, never a pass.
func TestForwardAuthRefusesWhatItCannotJudge(t *testing.T) {
	f := newFAFixture(t, nil)
	alice := f.mint("alice", "admin", "", testClient, time.Minute)
	tests := []struct {
		name, path string
		peer       string
		header     map[string]string
		status     int
		reason     string
	}{
		{"untrusted peer", "/auth/nginx", testClient, map[string]string{"X-Original-URL": "https://app.example.com/", "Cookie": "auth_tkt=" + alice}, 403, "trusted proxies only"},
		{"no X-Original-URL", "/auth/nginx", proxyAddr, map[string]string{"Cookie": "auth_tkt=" + alice, "X-Forwarded-Uri": "/x", "X-Forwarded-Host": "app.example.com"}, 400, "send X-Original-URL"},
		{"no X-Forwarded-Uri", "/auth", proxyAddr, map[string]string{"Cookie": "auth_tkt=" + alice, "X-Original-URL": "https://app.example.com/"}, 400, "send X-Forwarded-Proto"},
		{"no X-Forwarded-Host", "/auth", proxyAddr, map[string]string{"Cookie": "auth_tkt=" + alice, "X-Forwarded-Uri": "/"}, 400, "send X-Forwarded-Proto"},
		{"unknown endpoint", "/auth/traefik", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/"}, 400, "no such forward-auth endpoint"},
		{"not http", "/auth/nginx", proxyAddr, map[string]string{"X-Original-URL": "javascript:alert(1)"}, 400, "not an http or https URL"},
		{"userinfo in the host", "/auth/nginx", proxyAddr, map[string]string{"X-Original-URL": "https://evil.com@app.example.com/"}, 400, "bad host"},
		{"protocol-relative target", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "//evil.com/x"}, 400, "not a path"},
		{"fragment", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/x#y"}, 400, "not a path"},
		{"bad escape", "/auth/nginx", proxyAddr, map[string]string{"X-Original-URL": "https://app.example.com/%zz"}, 400, "bad escape"},
		{"dot segments", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/static/../admin/x", "Cookie": "auth_tkt=" + alice}, 400, "segments"},
		{"encoded dot segments", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/static/%2e%2e/admin/x"}, 400, "segments"},
		{"encoded slashes and dots", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/static%2F..%2Fadmin/x"}, 400, "segments"},
		{"backslash", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/static/%5c../admin"}, 400, "backslashes"},
		{"dot segment", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/./admin/x"}, 400, "segments"},
		{"trailing dot", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/admin./x"}, 400, "segments"},
		{"trailing blank", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/admin%20"}, 400, "segments"},
		{"control character", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/admin%09"}, 400, "control"},
		{"NUL", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/admin%00"}, 400, "control"},
		{"dotless i", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/adm%C4%B1n"}, 400, "escapes"},
		{"double encoding", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/static/%252e%252e/admin"}, 400, "escapes"},
		{"encoded question mark", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/admin%3fx"}, 400, "escapes"},
		{"two hosts", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com, other.example.com", "X-Forwarded-Uri": "/"}, 400, "more than one"},
		{"host not from the proxy's header", "/auth", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com!", "X-Forwarded-Uri": "/"}, 400, "send X-Forwarded-Proto"},
		{"envoy prefix escaped", "/auth/%65nvoy/admin", proxyAddr, map[string]string{"X-Forwarded-Host": "app.example.com"}, 400, "as written"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.ask(tc.path, tc.peer, tc.header)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.reason) {
				t.Errorf("got %d %q, want %d with %q", w.Code, w.Body, tc.status, tc.reason)
			}
			if identity(w) != nil {
				t.Errorf("identity headers on a refusal: %v", identity(w))
			}
		})
	}
	// The log line and the answer name the setting and what to put in it:
	// the asking peer's own address.
	for _, want := range []string{"not a trusted proxy", "trusted_proxies", testClient} {
		if !strings.Contains(f.logs.String(), want) {
			t.Errorf("the log line for the untrusted peer lacks %q:\n%s", want, f.logs)
		}
	}
	w := f.ask("/auth/nginx", testClient, map[string]string{"X-Original-URL": "https://app.example.com/"})
	if body := w.Body.String(); !strings.Contains(body, "trusted_proxies") || !strings.Contains(body, testClient) {
		t.Errorf("the answer to an untrusted peer does not say what to put in trusted_proxies: %q", body)
	}
}

// The client address is the one the trusted proxy names, never one the
// client names itself in a header the proxy passed along.
func TestForwardAuthClientAddress(t *testing.T) {
	f := newFAFixture(t, nil)
	bound := f.mint("alice", "", "", testClient, time.Minute)
	spoofed := f.mint("mallory", "", "", "203.0.113.66", time.Minute)
	ok := f.nginx("https://app.example.com/", bound, "X-Forwarded-For", "203.0.113.66, "+testClient)
	if ok.Code != 200 || ok.Header().Get("Remote-User") != "alice" {
		t.Errorf("ticket bound to the proxy-named client: %d %v", ok.Code, identity(ok))
	}
	bad := f.nginx("https://app.example.com/", spoofed, "X-Forwarded-For", "203.0.113.66, "+testClient)
	if bad.Code != 401 {
		t.Errorf("ticket bound to a client-claimed address: %d %v", bad.Code, identity(bad))
	}
}

// A ticket due for refresh comes back fresh in a Set-Cookie on the 200,
// for the proxy to pass on; the cookie keeps the configured attributes.
func TestForwardAuthRefresh(t *testing.T) {
	f := newFAFixture(t, nil)
	old := f.mint("alice", "staff", "", testClient, 90*time.Minute)
	w := f.nginx("https://app.example.com/", old)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	c := setCookie(w, "auth_tkt")
	if c == nil {
		t.Fatal("no refreshed ticket")
	}
	if c.Domain != "example.com" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("refreshed cookie attributes: %s", setCookieLine(w, "auth_tkt"))
	}
	v, _ := ticket.NewVerifier(f.opts.Ticket)
	res, err := v.Verify(c.Value, netip.MustParseAddr(testClient), f.now)
	if err != nil || res.UID != "alice" || !res.Time.Equal(f.now) {
		t.Errorf("refreshed ticket: %+v %v", res, err)
	}
	fresh := f.nginx("https://app.example.com/", f.mint("alice", "staff", "", testClient, time.Minute))
	if setCookie(fresh, "auth_tkt") != nil {
		t.Error("a fresh ticket was re-issued")
	}
}

// A URL ticket is taken on allow-listed hosts only, in both styles: a
// redirect to the URL without it, or for nginx (which turns a redirect
// into a 500) a 401 naming that URL, with the cookie for nginx to pass on.
// other.example.net is outside cookie.domain: the cookie is host-only.
func TestForwardAuthURLTicket(t *testing.T) {
	f := newFAFixture(t, nil)
	v := f.mint("alice", "", "", testClient, time.Minute)
	w := f.traefik("GET", "https", "other.example.net", "/x?auth_tkt="+url.QueryEscape(v)+"&a=1", "")
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "https://other.example.net/x?a=1" {
		t.Fatalf("URL ticket: %d %q", w.Code, w.Header().Get("Location"))
	}
	if c := setCookie(w, "auth_tkt"); c == nil || c.Value == "" {
		t.Error("no cookie set from the URL ticket")
	}
	w = f.nginx("https://other.example.net/x?auth_tkt="+url.QueryEscape(v)+"&a=1", "")
	if w.Code != 401 || w.Header().Get("Location") != "https://other.example.net/x?a=1" {
		t.Errorf("status style: %d %q", w.Code, w.Header().Get("Location"))
	}
	if c := setCookie(w, "auth_tkt"); c == nil || c.Value == "" || c.Domain != "" {
		t.Errorf("status style: cookie %+v, want a host-only ticket", c)
	}
	w = f.traefik("GET", "https", "app.example.com", "/x?auth_tkt="+url.QueryEscape(v), "")
	if w.Code != 302 || setCookie(w, "auth_tkt") != nil {
		t.Errorf("host off the allow-list took a URL ticket: %d", w.Code)
	}
}

// Identity headers come from the ticket alone: the answer never echoes
// what the client sent, and a user id that cannot travel in a header is
// refused, not passed on empty.
func TestForwardAuthIdentityHeaders(t *testing.T) {
	f := newFAFixture(t, func(o *ForwardAuthConfig) {
		o.Headers = tkthttp.IdentityHeaders{User: "X-Auth-User", Groups: "X-Auth-Groups", Data: "X-Auth-Data"}
	})
	w := f.nginx("https://app.example.com/", f.mint("alice", "staff", "d", testClient, time.Minute), "Remote-User", "mallory", "X-Auth-User", "mallory")
	got := []string{w.Header().Get("X-Auth-User"), w.Header().Get("X-Auth-Groups"), w.Header().Get("X-Auth-Data")}
	if diff := cmp.Diff([]string{"alice", "staff", "d"}, got); diff != "" || w.Header().Get("Remote-User") != "" {
		t.Errorf("configured headers (-want +got):\n%s", diff)
	}
	w = f.nginx("https://app.example.com/", f.mint("alice", "", "line1\nline2", testClient, time.Minute))
	if w.Code != 403 || w.Header().Get("X-Auth-User") != "" {
		t.Errorf("data with a newline: %d %v", w.Code, w.Header())
	}
}

func TestForwardAuthOptionErrors(t *testing.T) {
	_, err := NewForwardAuth(ForwardAuthConfig{
		Ticket: ticket.Config{Digest: ticket.SHA256, Secret: testSecret},
		Rules: []ForwardAuthRule{
			{Paths: []string{"admin"}},
			{Hosts: []string{"bad host"}},
			{Bypass: true, Tokens: []string{"x"}},
		},
		LoginURL: "javascript:x",
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"rule 1", `path "admin"`, "rule 2", "bad host", "rule 3", "bypass", "login URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// Reload swaps the secrets: a ticket signed with the new secret passes
// right after, and a broken configuration keeps the old state.
func TestForwardAuthReload(t *testing.T) {
	f := newFAFixture(t, nil)
	o := f.opts
	o.Ticket.Secret = "a-new-secret-for-the-reload-test"
	f.opts = o
	fresh := f.mint("alice", "", "", testClient, time.Minute)
	if w := f.nginx("https://app.example.com/", fresh); w.Code != 401 {
		t.Fatalf("new secret accepted before the reload: %d", w.Code)
	}
	if err := f.fa.Reload(o); err != nil {
		t.Fatal(err)
	}
	if w := f.nginx("https://app.example.com/", fresh); w.Code != 200 {
		t.Fatalf("new secret refused after the reload: %d", w.Code)
	}
	bad := o
	bad.LoginURL = "ftp://x"
	if err := f.fa.Reload(bad); err == nil {
		t.Fatal("broken reload accepted")
	}
	if w := f.nginx("https://app.example.com/", fresh); w.Code != 200 {
		t.Fatalf("state lost by a broken reload: %d", w.Code)
	}
}
