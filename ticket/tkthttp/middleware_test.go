package tkthttp_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

const (
	testSecret = "middleware test secret, with spaces"
	oldSecret  = "middleware old secret"
)

// testNow is the middleware's clock in these tests.
var testNow = time.Unix(1_750_000_000, 0)

// reqSpec is a request to the middleware.
type reqSpec struct {
	method string // "" means GET
	url    string // "" means http://app.example/p?q=1
	from   string // RemoteAddr; "" means 192.0.2.10:40000
	cookie string // Cookie header; "" sends none
	header map[string]string
	tls    bool
}

// outcome is what the middleware did with a request, in comparable form.
type outcome struct {
	Status   int
	Location string
	Body     string // only for refusals without a redirect
	// Identity is what the next handler saw; nil when it did not run.
	Identity *tkthttp.Identity
	Cookies  []cookieSpec
}

// cookieSpec is a Set-Cookie header. A ticket's value is shown as what it
// says (ticketText), after checking it verifies under the current secret.
type cookieSpec struct {
	Name, Value, Path, Domain string
	MaxAge                    int
	Expires                   string
	Secure, HttpOnly          bool
	SameSite                  http.SameSite
}

func ticketText(tk ticket.Ticket) string {
	return fmt.Sprintf("ticket %s!%s!%s@%d", tk.UID, tk.Tokens, tk.Data, tk.Time.Unix())
}

// withDefaults fills the secret and clock of a test config.
func withDefaults(c tkthttp.Config) tkthttp.Config {
	if c.Ticket.Secret == "" {
		c.Ticket.Secret = testSecret
	}
	if c.Now == nil {
		c.Now = func() time.Time { return testNow }
	}
	return c
}

func mustNew(t testing.TB, c tkthttp.Config) *tkthttp.Middleware {
	t.Helper()
	m, err := tkthttp.New(withDefaults(c))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mintCookie makes a cookie value for the test config c (its digest, and
// testSecret unless secret is given), bound to ip ("" means 192.0.2.10).
func mintCookie(t testing.TB, c ticket.Config, tk ticket.Ticket, ip, secret string) string {
	t.Helper()
	if secret == "" {
		secret = testSecret
	}
	if ip == "" {
		ip = "192.0.2.10"
	}
	d := c.Digest
	if d == 0 {
		d = ticket.MD5
	}
	if tk.Time.IsZero() {
		tk.Time = testNow.Add(-time.Minute)
	}
	// Forgeries take any secret: its strength is not what is tested.
	v, err := ticket.Minter{Digest: d, Secret: secret, AllowWeakSecret: true}.MintCookie(tk, netip.MustParseAddr(ip))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (q reqSpec) build() *http.Request {
	target := q.url
	if target == "" {
		target = "http://app.example/p?q=1"
	}
	method := q.method
	if method == "" {
		method = http.MethodGet
	}
	// As a server sees it: the request target in origin form, exactly as
	// sent, and the host apart.
	scheme, rest, _ := strings.Cut(target, "://")
	host, path, _ := strings.Cut(rest, "/")
	r := httptest.NewRequest(method, "/"+path, strings.NewReader(""))
	r.Host = host
	if scheme != "http" && scheme != "https" {
		panic("reqSpec.url must be absolute: " + target)
	}
	r.RemoteAddr = q.from
	if r.RemoteAddr == "" {
		r.RemoteAddr = "192.0.2.10:40000"
	}
	if q.cookie != "" {
		r.Header.Set("Cookie", q.cookie)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	if q.tls {
		r.TLS = &tls.ConnectionState{}
	}
	return r
}

// serve runs one request through m and describes the outcome. Ticket
// cookies are read back with verify (the current secret and the client
// address the test expects them bound to).
func serve(t testing.TB, m *tkthttp.Middleware, c tkthttp.Config, q reqSpec) outcome {
	t.Helper()
	var out outcome
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := tkthttp.IdentityFrom(r.Context())
		if !ok {
			t.Error("next handler ran without an identity")
		}
		out.Identity = &id
		io.WriteString(w, "ok")
	})
	rec := httptest.NewRecorder()
	req := q.build()
	m.Wrap(next).ServeHTTP(rec, req)
	res := rec.Result()
	out.Status, out.Location = res.StatusCode, res.Header.Get("Location")
	if out.Identity == nil && out.Location == "" {
		out.Body = rec.Body.String()
	}
	c = withDefaults(c)
	name := c.CookieName
	if name == "" {
		name = ticket.DefaultCookieName
	}
	for _, ck := range res.Cookies() {
		mc := cookieSpec{Name: ck.Name, Value: ck.Value, Path: ck.Path, Domain: ck.Domain, MaxAge: ck.MaxAge,
			Secure: ck.Secure, HttpOnly: ck.HttpOnly, SameSite: ck.SameSite}
		if !ck.Expires.IsZero() {
			mc.Expires = ck.Expires.UTC().Format(time.RFC3339)
		}
		if ck.Name == name && ck.Value != "" {
			mc.Value = readCookie(t, c.Ticket, ck.Value, parseAddr(t, req.RemoteAddr))
		}
		out.Cookies = append(out.Cookies, mc)
	}
	return out
}

// serveRaw runs one request through m to a handler that writes "ok".
func serveRaw(m *tkthttp.Middleware, q reqSpec) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })).ServeHTTP(rec, q.build())
	return rec
}

func parseAddr(t testing.TB, remote string) netip.Addr {
	t.Helper()
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		t.Fatal(err)
	}
	return ap.Addr().Unmap()
}

// readCookie verifies a cookie the middleware issued (current secret,
// no time or token check, guests' tickets too) and shows what it says.
func readCookie(t testing.TB, c ticket.Config, value string, client netip.Addr) string {
	t.Helper()
	v, err := ticket.NewVerifier(ticket.Config{Digest: c.Digest, Secret: c.Secret, IgnoreIP: c.IgnoreIP, Guests: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(value, client, testNow)
	if err != nil {
		return "unverifiable: " + err.Error()
	}
	if res.SecretIndex != 0 {
		return "not under the current secret"
	}
	return ticketText(res.Ticket)
}

// The base cookie attributes: what every cookie of ours carries on plain
// HTTP with a default config.
func baseCookie(name, value string) cookieSpec {
	return cookieSpec{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

func deletedCookie(name string) cookieSpec {
	c := baseCookie(name, "")
	c.MaxAge, c.Expires = -1, "1970-01-01T00:00:00Z"
	return c
}

func wantID(uid, tokens, data string, ts time.Time) *tkthttp.Identity {
	return &tkthttp.Identity{Ticket: ticket.Ticket{UID: uid, Tokens: ticket.Tokens(tokens), Data: data, Time: ts}}
}

type caseSpec struct {
	name string
	cfg  tkthttp.Config
	req  reqSpec
	want outcome
}

func runCases(t *testing.T, cases []caseSpec) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustNew(t, c.cfg)
			got := serve(t, m, c.cfg, c.req)
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

const (
	login   = "https://login.example/login"
	backURL = "back=http%3A%2F%2Fapp.example%2Fp%3Fq%3D1"
)

// Every way a request without a usable ticket is answered.
func TestRefusals(t *testing.T) {
	fresh := ticket.Ticket{UID: "alice", Tokens: "staff", Data: "Alice"}
	ok := "auth_tkt=" + mintCookie(t, ticket.Config{}, fresh, "", "")
	expired := "auth_tkt=" + mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "alice", Time: testNow.Add(-3 * time.Hour)}, "", "")
	timeouts := ticket.Config{Timeout: 2 * time.Hour}
	withLogin := tkthttp.Config{LoginURL: login}
	tokens := tkthttp.Config{LoginURL: login, Ticket: ticket.Config{Tokens: []string{"admin", "finance"}}}
	timeoutURLs := tkthttp.Config{Ticket: timeouts, LoginURL: login,
		TimeoutURL: login + "?timeout=1", PostTimeoutURL: login + "?posttimeout=1"}
	json := map[string]string{"Accept": "application/json"}
	runCases(t, []caseSpec{
		{name: "valid", cfg: withLogin, req: reqSpec{cookie: ok},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "Alice", testNow.Add(-time.Minute))}},
		{name: "no-login-url", req: reqSpec{},
			want: outcome{Status: 401, Body: "Unauthorized: no ticket\n"}},
		{name: "login", cfg: withLogin, req: reqSpec{},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "login-exact-back-url", cfg: withLogin, req: reqSpec{url: "http://app.example:8080/a%2Fb/c%20d?x=1;y=%2F&z"},
			want: outcome{Status: 307, Location: login + "?back=" + "http%3A%2F%2Fapp.example%3A8080%2Fa%252Fb%2Fc%2520d%3Fx%3D1%3By%3D%252F%26z"}},
		{name: "login-over-tls", cfg: withLogin, req: reqSpec{tls: true},
			want: outcome{Status: 307, Location: login + "?back=https%3A%2F%2Fapp.example%2Fp%3Fq%3D1"}},
		{name: "login-url-with-query", cfg: tkthttp.Config{LoginURL: login + "?x=1"}, req: reqSpec{},
			want: outcome{Status: 307, Location: login + "?x=1&" + backURL}},
		{name: "login-url-with-query-semicolon", cfg: tkthttp.Config{LoginURL: login + "?x=1", QuerySeparator: ";"}, req: reqSpec{},
			want: outcome{Status: 307, Location: login + "?x=1;" + backURL}},
		{name: "relative-login-url", cfg: tkthttp.Config{LoginURL: "/login"}, req: reqSpec{},
			want: outcome{Status: 307, Location: "/login?" + backURL}},
		{name: "back-arg-name", cfg: tkthttp.Config{LoginURL: login, BackArg: "rd"}, req: reqSpec{},
			want: outcome{Status: 307, Location: login + "?rd=http%3A%2F%2Fapp.example%2Fp%3Fq%3D1"}},
		{name: "no-back-arg", cfg: tkthttp.Config{LoginURL: login, NoBackArg: true}, req: reqSpec{},
			want: outcome{Status: 307, Location: login}},
		{name: "back-cookie", cfg: tkthttp.Config{LoginURL: login, BackCookieName: "back_url"}, req: reqSpec{},
			want: outcome{Status: 307, Location: login, Cookies: []cookieSpec{baseCookie("back_url", "http%3A%2F%2Fapp.example%2Fp%3Fq%3D1")}}},
		{name: "bad-signature", cfg: withLogin, req: reqSpec{cookie: "auth_tkt=" + mintCookie(t, ticket.Config{}, fresh, "", "another secret")},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "other-client-address", cfg: withLogin, req: reqSpec{cookie: ok, from: "192.0.2.11:40000"},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "garbage-then-valid", cfg: withLogin, req: reqSpec{cookie: "auth_tkt=garbage; auth_tkt=" + ok[len("auth_tkt="):]},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "Alice", testNow.Add(-time.Minute))}},
		{name: "expired-get", cfg: timeoutURLs, req: reqSpec{cookie: expired},
			want: outcome{Status: 307, Location: login + "?timeout=1&" + backURL, Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "expired-post", cfg: timeoutURLs, req: reqSpec{method: "POST", cookie: expired},
			want: outcome{Status: 307, Location: login + "?posttimeout=1&" + backURL, Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "expired-put-uses-timeout-url", cfg: timeoutURLs, req: reqSpec{method: "PUT", cookie: expired},
			want: outcome{Status: 307, Location: login + "?timeout=1&" + backURL, Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "expired-login-url", cfg: tkthttp.Config{Ticket: timeouts, LoginURL: login}, req: reqSpec{cookie: expired},
			want: outcome{Status: 307, Location: login + "?" + backURL, Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "missing-token-unauth-url", cfg: func() tkthttp.Config { c := tokens; c.UnauthURL = login + "/unauth"; return c }(),
			req:  reqSpec{cookie: ok},
			want: outcome{Status: 307, Location: login + "/unauth?" + backURL}},
		{name: "missing-token-no-unauth-url", cfg: tokens, req: reqSpec{cookie: ok},
			want: outcome{Status: 403, Body: "Forbidden: ticket lacks a required token\n"}},
		{name: "has-one-token", cfg: tokens, req: reqSpec{cookie: "auth_tkt=" + mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "bob", Tokens: "x,finance"}, "", "")},
			want: outcome{Status: 200, Identity: wantID("bob", "x,finance", "", testNow.Add(-time.Minute))}},
		{name: "api-no-ticket", cfg: withLogin, req: reqSpec{header: json},
			want: outcome{Status: 401, Body: `{"error":"no ticket"}` + "\n"}},
		{name: "api-x-requested-with", cfg: withLogin, req: reqSpec{header: map[string]string{"X-Requested-With": "XMLHttpRequest"}},
			want: outcome{Status: 401, Body: `{"error":"no ticket"}` + "\n"}},
		{name: "api-bad-signature", cfg: withLogin, req: reqSpec{header: json, cookie: "auth_tkt=" + mintCookie(t, ticket.Config{}, fresh, "", "x")},
			want: outcome{Status: 401, Body: `{"error":"bad ticket signature"}` + "\n"}},
		{name: "api-expired", cfg: timeoutURLs, req: reqSpec{header: json, cookie: expired},
			want: outcome{Status: 401, Body: `{"error":"ticket expired"}` + "\n", Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "api-missing-token", cfg: tokens, req: reqSpec{header: map[string]string{"Accept": "application/problem+json"}, cookie: ok},
			want: outcome{Status: 403, Body: `{"error":"ticket lacks a required token"}` + "\n"}},
		{name: "browser-accepting-json-too", cfg: withLogin, req: reqSpec{header: map[string]string{"Accept": "text/html,application/json;q=0.9,*/*;q=0.8"}},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "require-tls-get", cfg: tkthttp.Config{LoginURL: login, RequireTLS: true}, req: reqSpec{url: "http://app.example:8080/p?q=1", cookie: ok},
			want: outcome{Status: 307, Location: "https://app.example/p?q=1"}},
		{name: "require-tls-post", cfg: tkthttp.Config{LoginURL: login, RequireTLS: true}, req: reqSpec{method: "POST", cookie: ok},
			want: outcome{Status: 403, Body: "Forbidden: TLS required\n"}},
		{name: "require-tls-api", cfg: tkthttp.Config{LoginURL: login, RequireTLS: true}, req: reqSpec{header: json, cookie: ok},
			want: outcome{Status: 403, Body: `{"error":"TLS required"}` + "\n"}},
		{name: "require-tls-over-tls", cfg: tkthttp.Config{LoginURL: login, RequireTLS: true}, req: reqSpec{tls: true, cookie: ok},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "Alice", testNow.Add(-time.Minute))}},
		{name: "ipv4-mapped-peer", cfg: withLogin, req: reqSpec{cookie: ok, from: "[::ffff:192.0.2.10]:40000"},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "Alice", testNow.Add(-time.Minute))}},
		{name: "cookie-name", cfg: tkthttp.Config{LoginURL: login, CookieName: "my_tkt"}, req: reqSpec{cookie: "x" + ok + "; my_tkt=" + ok[len("auth_tkt="):]},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "Alice", testNow.Add(-time.Minute))}},
		{name: "cookie-name-only", cfg: tkthttp.Config{LoginURL: login, CookieName: "my_tkt"}, req: reqSpec{cookie: ok},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
	})
}

// A refusal answer is never cached and never sniffed.
func TestRefusalHeaders(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  tkthttp.Config
		hdr  map[string]string
		want map[string]string
	}{
		{"redirect", tkthttp.Config{LoginURL: login}, nil, map[string]string{"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"}},
		{"plain", tkthttp.Config{}, nil, map[string]string{"Cache-Control": "no-store", "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}},
		{"json", tkthttp.Config{}, map[string]string{"Accept": "application/json"}, map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json", "X-Content-Type-Options": "nosniff"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mustNew(t, c.cfg).Wrap(http.NotFoundHandler()).ServeHTTP(rec, reqSpec{header: c.hdr}.build())
			got := map[string]string{}
			for k := range c.want {
				got[k] = rec.Header().Get(k)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestIdentityFromEmptyContext(t *testing.T) {
	if id, ok := tkthttp.IdentityFrom(httptest.NewRequest("GET", "/", nil).Context()); ok {
		t.Errorf("IdentityFrom on a bare context = %+v, true", id)
	}
}

// RedirectStatus picks the redirect's status; StatusWithLocation answers
// with the refusal's status instead and names the target in Location, for
// a proxy that redirects by itself.
func TestRedirectStyles(t *testing.T) {
	back := "?back=" + "http%3A%2F%2Fapp.example%2Fp%3Fq%3D1"
	tokenless := mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "bob"}, "", "")
	for _, c := range []struct {
		name     string
		cfg      tkthttp.Config
		cookie   string
		status   int
		location string
	}{
		{"302", tkthttp.Config{LoginURL: "/login", RedirectStatus: http.StatusFound}, "", 302, "/login" + back},
		{"303", tkthttp.Config{LoginURL: "/login", RedirectStatus: http.StatusSeeOther}, "", 303, "/login" + back},
		{"status with location", tkthttp.Config{LoginURL: "/login", StatusWithLocation: true}, "", 401, "/login" + back},
		{"status with unauth location", tkthttp.Config{LoginURL: "/login", UnauthURL: "/unauth", StatusWithLocation: true, Ticket: ticket.Config{Tokens: []string{"admin"}}},
			"auth_tkt=" + tokenless, 403, "/unauth" + back},
		{"status without a URL", tkthttp.Config{StatusWithLocation: true}, "", 401, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			mustNew(t, c.cfg).Wrap(http.NotFoundHandler()).ServeHTTP(w, reqSpec{cookie: c.cookie}.build())
			if w.Code != c.status || w.Header().Get("Location") != c.location {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Header().Get("Location"), c.status, c.location)
			}
		})
	}
	if _, err := tkthttp.New(withDefaults(tkthttp.Config{RedirectStatus: 301})); err == nil || !strings.Contains(err.Error(), "redirect status 301") {
		t.Errorf("301 accepted: %v", err)
	}
}

// A bearer ticket is checked like a cookie, answered like an API client,
// and never falls back to a cookie or a guest when it fails.
func TestBearer(t *testing.T) {
	cfg := tkthttp.Config{LoginURL: "/login", BearerTickets: true, GuestLogin: true,
		Challenge: `Basic realm="r"`, Ticket: ticket.Config{Timeout: time.Hour, Refresh: 0.5}}
	good := mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "svc", Tokens: "ci"}, "", "")
	old := mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "svc", Time: testNow.Add(-50 * time.Minute)}, "", "")
	expired := mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "svc", Time: testNow.Add(-2 * time.Hour)}, "", "")
	elsewhere := mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "svc"}, "198.51.100.1", "")
	cookie := "auth_tkt=" + mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "alice"}, "", "")
	for _, c := range []struct {
		name, auth, cookie string
		tokens             []string
		status             int
		user, challenge    string
	}{
		{"valid", "Bearer " + good, "", nil, 200, "svc", ""},
		{"scheme in any case", "bearer " + good, "", nil, 200, "svc", ""},
		{"due for refresh: let in, no cookie", "Bearer " + old, "", nil, 200, "svc", ""},
		{"wins over a cookie", "Bearer " + good, cookie, nil, 200, "svc", ""},
		{"expired: no fallback to the cookie or a guest", "Bearer " + expired, cookie, nil, 401, "", `Bearer error="invalid_token"`},
		{"bound to another address", "Bearer " + elsewhere, "", nil, 401, "", `Bearer error="invalid_token"`},
		{"garbage", "Bearer !!!", "", nil, 401, "", `Bearer error="invalid_token"`},
		{"missing token", "Bearer " + good, "", []string{"admin"}, 403, "", ""},
		{"Basic is not a ticket: a guest here", "Basic YTpi", "", nil, 200, "guest", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc := cfg
			cc.Ticket.Tokens = c.tokens
			var seen string
			h := mustNew(t, cc).Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				id, _ := tkthttp.IdentityFrom(r.Context())
				seen = id.UID
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, reqSpec{cookie: c.cookie, header: map[string]string{"Authorization": c.auth, "Accept": "application/json"}}.build())
			if w.Code != c.status || seen != c.user || w.Header().Get("WWW-Authenticate") != c.challenge {
				t.Errorf("got %d user %q challenge %q, want %d %q %q", w.Code, seen, w.Header().Get("WWW-Authenticate"), c.status, c.user, c.challenge)
			}
			if sc := w.Header().Get("Set-Cookie"); sc != "" {
				t.Errorf("a bearer request got a cookie: %s", sc)
			}
		})
	}
	// Without a credential, a 401 carries the challenge.
	w := httptest.NewRecorder()
	mustNew(t, tkthttp.Config{Challenge: `Basic realm="r"`}).Wrap(http.NotFoundHandler()).ServeHTTP(w, reqSpec{}.build())
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="r"` {
		t.Errorf("challenge: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// Off by default: mod_auth_tkt reads cookies only.
	w = httptest.NewRecorder()
	mustNew(t, tkthttp.Config{}).Wrap(http.NotFoundHandler()).ServeHTTP(w, reqSpec{header: map[string]string{"Authorization": "Bearer " + good}}.build())
	if w.Code != 401 {
		t.Errorf("bearer accepted without BearerTickets: %d", w.Code)
	}
}
