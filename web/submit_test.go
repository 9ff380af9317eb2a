package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/ticket"
)

func TestLoginSubmit(t *testing.T) {
	tests := []struct {
		name     string
		form     url.Values
		cookies  []*http.Cookie
		status   int
		reason   reason // for pages
		location string // for redirects
		result   string // metrics
		calls    int64  // Source calls
	}{
		{"ok", url.Values{"user": {"alice"}, "password": {alicePass}, "back": {testBackURL}}, []*http.Cookie{probe()}, 303, "", testBackURL, resultOK, 1},
		{"ok, user name padded", url.Values{"user": {" alice "}, "password": {alicePass}, "back": {"/p"}}, []*http.Cookie{probe()}, 303, "", "/p", resultOK, 1},
		{"ok, no back", url.Values{"user": {"bob"}, "password": {bobPass}}, []*http.Cookie{probe()}, 303, "", "/", resultOK, 1},
		{"ok, refused back", url.Values{"user": {"bob"}, "password": {bobPass}, "back": {"//evil.com"}}, []*http.Cookie{probe()}, 303, "", "/", resultOK, 1},
		{"ok, ticket cookie instead of probe", url.Values{"user": {"bob"}, "password": {bobPass}}, []*http.Cookie{ticketCookie("stale")}, 303, "", "/", resultOK, 1},
		{"wrong password", url.Values{"user": {"alice"}, "password": {"nope"}, "back": {testBackURL}}, []*http.Cookie{probe()}, 401, reasonWrong, "", resultInvalid, 1},
		{"unknown user", url.Values{"user": {"mallory"}, "password": {"nope"}}, []*http.Cookie{probe()}, 401, reasonWrong, "", resultInvalid, 1},
		{"empty password", url.Values{"user": {"alice"}, "password": {""}}, []*http.Cookie{probe()}, 400, reasonMissing, "", resultBadRequest, 0},
		{"no user", url.Values{"password": {"x"}}, []*http.Cookie{probe()}, 400, reasonMissing, "", resultBadRequest, 0},
		{"cookies refused", url.Values{"user": {"alice"}, "password": {alicePass}}, nil, 400, reasonNoCookies, "", resultBadRequest, 0},
		{"guest disabled", url.Values{"guest": {"1"}}, []*http.Cookie{probe()}, 403, reasonNoGuest, "", resultBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			w := f.do(req{method: "POST", target: "/login", form: tt.form, cookies: tt.cookies})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if got := f.src.calls.Load(); got != tt.calls {
				t.Errorf("Source called %d times, want %d", got, tt.calls)
			}
			if f.metrics.logins[tt.result] != 1 || len(f.metrics.logins) != 1 {
				t.Errorf("metrics %v, want one %q", f.metrics.logins, tt.result)
			}
			if tt.location != "" {
				if got := w.Header().Get("Location"); got != tt.location {
					t.Errorf("Location %q, want %q", got, tt.location)
				}
				if c := setCookie(w, "auth_tkt"); c == nil || f.metrics.issued != 1 {
					t.Fatal("no ticket cookie")
				}
				return
			}
			body := w.Body.String()
			if got := reasonOf(body); got != string(tt.reason) {
				t.Errorf("reason %q, want %q", got, tt.reason)
			}
			if setCookie(w, "auth_tkt") != nil {
				t.Error("ticket cookie set on failure")
			}
			if tt.status == 401 {
				if !strings.Contains(body, "Wrong user name or password.") || !strings.Contains(body, `value="`+tt.form.Get("user")+`"`) {
					t.Errorf("401 page: %s", body)
				}
				if got, want := hiddenBack(body), strings.ReplaceAll(tt.form.Get("back"), "&", "&amp;"); got != want {
					t.Errorf("back not kept: %q, want %q", got, want)
				}
				if setCookie(w, probeCookie) == nil {
					t.Error("failed attempt page does not renew the probe cookie")
				}
			}
			for _, secret := range []string{alicePass, "nope"} {
				if strings.Contains(f.logs.String(), secret) {
					t.Errorf("log holds the password %q", secret)
				}
			}
		})
	}
}

func TestLoginTicketContent(t *testing.T) {
	f := newFixture(t, nil)
	w := f.login("alice", alicePass, testBackURL)
	c := setCookie(w, "auth_tkt")
	if c == nil {
		t.Fatalf("no cookie, status %d", w.Code)
	}
	res := verifyAs(t, f, c.Value, testClient)
	tokens := res.Tokens.Groups().List()
	slices.Sort(tokens)
	if res.UID != "alice" || !slices.Equal(tokens, []string{"admin", "staff"}) || !res.Time.Equal(f.now) {
		t.Errorf("ticket %+v", res)
	}
	// A password login is an interactive proof: the ticket records it.
	if at, ok := res.Tokens.AuthTime(); !ok || !at.Equal(f.now) {
		t.Errorf("auth time %v, %v; want the login's time %v", at, ok, f.now)
	}
	// Bound to the client address: another one is refused.
	v, _ := ticket.NewVerifier(f.opts.Ticket)
	if _, err := v.Verify(c.Value, netip.MustParseAddr("198.51.100.7"), f.now); err == nil {
		t.Error("ticket verifies for another client address")
	}
	if strings.Contains(f.logs.String(), c.Value) {
		t.Error("log holds the ticket")
	}
	if !strings.Contains(f.logs.String(), "result=ok") || !strings.Contains(f.logs.String(), "client_ip="+testClient) {
		t.Errorf("log line: %s", f.logs)
	}
}

func TestLoginIgnoreIP(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Ticket.IgnoreIP = true })
	c := setCookie(f.login("bob", bobPass, ""), "auth_tkt")
	verifyAs(t, f, c.Value, "203.0.113.99")
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name   string
		cookie CookieConfig
		tls    bool
		want   []string // attributes that must appear
		not    []string // that must not
	}{
		{"defaults", CookieConfig{}, false, []string{"Path=/", "HttpOnly", "SameSite=Lax"}, []string{"Secure", "Domain=", "Max-Age", "Expires"}},
		{"TLS", CookieConfig{}, true, []string{"Secure", "HttpOnly", "SameSite=Lax"}, nil},
		{"forced Secure", CookieConfig{Secure: true}, false, []string{"Secure"}, nil},
		{"domain, path, name", CookieConfig{Name: "sso", Domain: "example.com", Path: "/apps"}, false, []string{"sso=", "Domain=example.com", "Path=/apps"}, nil},
		{"persistent", CookieConfig{Expires: time.Hour}, false, []string{"Max-Age=3600", "Expires=Sun, 01 Jun 2025 13:00:00 GMT"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Config) { o.Cookie = tt.cookie })
			w := f.do(req{method: "POST", target: "/login", form: url.Values{"user": {"bob"}, "password": {bobPass}}, cookies: []*http.Cookie{probe()}, tls: tt.tls})
			line := setCookieLine(w, cmpOr(tt.cookie.Name, "auth_tkt"))
			if line == "" {
				t.Fatalf("no Set-Cookie; status %d", w.Code)
			}
			for _, a := range tt.want {
				if !strings.Contains(line, a) {
					t.Errorf("Set-Cookie %q lacks %q", line, a)
				}
			}
			for _, a := range tt.not {
				if strings.Contains(line, a) {
					t.Errorf("Set-Cookie %q has %q", line, a)
				}
			}
		})
	}
}

func TestLoginStoreUnavailable(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		store, err := htpasswd.New(htpasswd.Config{Path: filepath.Join(t.TempDir(), "missing"), Lazy: true})
		if err != nil {
			t.Fatal(err)
		}
		o.Source = store
	})
	w := f.login("alice", alicePass, testBackURL)
	if w.Code != http.StatusServiceUnavailable || reasonOf(w.Body.String()) != string(reasonUnavailable) {
		t.Fatalf("status %d, reason %q", w.Code, reasonOf(w.Body.String()))
	}
	if !strings.Contains(w.Body.String(), "The user store is unavailable. Please try again later.") {
		t.Error("message missing")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "result=unavailable") || !strings.Contains(logs, "missing") || strings.Contains(logs, alicePass) {
		t.Errorf("log: %s", logs)
	}
	if f.metrics.logins[resultUnavailable] != 1 || f.metrics.latencies != 1 {
		t.Errorf("metrics %+v", f.metrics)
	}
}

// A user name no ticket can carry (a control character, a '!') is refused
// before any store sees it; a store that answers with such a name gets no
// ticket minted for it.
func TestLoginUnfitUserName(t *testing.T) {
	f := newFixture(t, nil)
	for _, name := range []string{"alice\x01", "alice\r\nSet-Cookie: x=y", "ali!ce", "\x7f"} {
		if w := f.login(name, alicePass, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("%q: status %d, want 401", name, w.Code)
		}
	}
	if n := f.src.calls.Load(); n != 0 {
		t.Errorf("the store was asked %d times", n)
	}

	g := newFixture(t, func(o *Config) { o.Source = renaming{o.Source, "alice\tadmin"} })
	w := g.login("alice", alicePass, "")
	if w.Code != http.StatusInternalServerError {
		t.Errorf("a store naming the user %q: status %d", "alice\tadmin", w.Code)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == "auth_tkt" {
			t.Errorf("a ticket was issued: %v", c)
		}
	}
	if !strings.Contains(g.logs.String(), "contains a control character") {
		t.Errorf("log: %s", g.logs.String())
	}
}

// renaming is a store that answers with another user name.
type renaming struct {
	authsrc.Source
	name string
}

func (r renaming) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	id, err := r.Source.Authenticate(ctx, user, password)
	id.User = r.name
	return id, err
}

func TestLoginURLTicket(t *testing.T) {
	f := newFixture(t, nil)
	w := f.login("alice", alicePass, "https://other.example.net/cb?x=1&auth_tkt=planted#top")
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || loc.Host != "other.example.net" || loc.Fragment != "top" {
		t.Fatalf("Location %q", w.Header().Get("Location"))
	}
	q := loc.Query()
	if q.Get("x") != "1" || len(q["auth_tkt"]) != 1 {
		t.Fatalf("query %v", q)
	}
	if c := setCookie(w, "auth_tkt"); c == nil || c.Value != q.Get("auth_tkt") {
		t.Fatalf("URL ticket %q differs from the cookie %v", q.Get("auth_tkt"), c)
	}
	if res := verifyAs(t, f, q.Get("auth_tkt"), testClient); res.UID != "alice" {
		t.Errorf("URL ticket for %q", res.UID)
	}
	// Ordinary allow-listed hosts get no ticket in the URL.
	w = f.login("alice", alicePass, testBackURL)
	if strings.Contains(w.Header().Get("Location"), "auth_tkt") {
		t.Errorf("ticket leaked into %q", w.Header().Get("Location"))
	}
}

// A portal reached over TLS does not hand a URL ticket to an http:// back
// URL, where anyone on the way could read it, unless the host is listed
// in URLTicketHTTPHosts; a plain-HTTP portal gives nothing more away.
func TestLoginURLTicketNotInClearText(t *testing.T) {
	post := func(f *fixture, tls bool, back string) *httptest.ResponseRecorder {
		form := url.Values{"user": {"alice"}, "password": {alicePass}, "back": {back}}
		return f.do(req{method: http.MethodPost, target: "/login", form: form, cookies: []*http.Cookie{probe()}, tls: tls})
	}
	f := newFixture(t, nil)
	w := post(f, true, "http://other.example.net/cb")
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/" {
		t.Errorf("over TLS to http://: %d %q, want 303 to the default URL", w.Code, loc)
	}
	if !strings.Contains(f.logs.String(), "url_ticket_http_hosts") {
		t.Errorf("the log does not name the setting:\n%s", f.logs.String())
	}
	if loc := post(f, true, "https://other.example.net/cb").Header().Get("Location"); !strings.Contains(loc, "auth_tkt=") {
		t.Errorf("over TLS to https://: %q", loc)
	}
	if loc := post(f, false, "http://other.example.net/cb").Header().Get("Location"); !strings.Contains(loc, "auth_tkt=") {
		t.Errorf("plain portal to http://: %q", loc)
	}
	g := newFixture(t, func(o *Config) { o.URLTicketHTTPHosts = []string{"other.example.net"} })
	if loc := post(g, true, "http://other.example.net/cb").Header().Get("Location"); !strings.HasPrefix(loc, "http://other.example.net/cb?auth_tkt=") {
		t.Errorf("over TLS to an allowed http:// host: %q", loc)
	}
}

func TestLoginCustomDefaultURL(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.DefaultURL = "https://app.example.com/home" })
	if loc := f.login("bob", bobPass, "https://evil.com/").Header().Get("Location"); loc != "https://app.example.com/home" {
		t.Errorf("Location %q", loc)
	}
}

func TestLoginBadForm(t *testing.T) {
	f := newFixture(t, nil)
	big := url.Values{"user": {"a"}, "password": {strings.Repeat("x", maxFormSize+1)}}
	w := f.do(req{method: "POST", target: "/login", form: big, cookies: []*http.Cookie{probe()}})
	if w.Code != http.StatusBadRequest || f.src.calls.Load() != 0 {
		t.Fatalf("status %d, calls %d", w.Code, f.src.calls.Load())
	}
	w = f.do(req{method: "POST", target: "/login", form: url.Values{}, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, cookies: []*http.Cookie{probe()}})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("empty form: status %d", w.Code)
	}
}

func TestTrustedProxyClientIP(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	post := func(remote, xff string) *http.Cookie {
		w := f.do(req{method: "POST", target: "/login", form: url.Values{"user": {"bob"}, "password": {bobPass}},
			cookies: []*http.Cookie{probe()}, remote: remote, header: map[string]string{"X-Forwarded-For": xff, "X-Forwarded-Proto": "https"}})
		return setCookie(w, "auth_tkt")
	}
	c := post("10.1.2.3:5555", "203.0.113.5, 10.9.9.9")
	verifyAs(t, f, c.Value, "203.0.113.5")
	if !c.Secure {
		t.Error("X-Forwarded-Proto https from a trusted proxy did not make the cookie Secure")
	}
	c = post("198.51.100.1:5555", "203.0.113.5")
	verifyAs(t, f, c.Value, "198.51.100.1") // an untrusted peer's header is ignored
	if c.Secure {
		t.Error("untrusted X-Forwarded-Proto honoured")
	}
}
