package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/ticket"
)

func TestLogout(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		back     string
		cookie   CookieConfig
		status   int
		location string
	}{
		{"GET page", "GET", "", CookieConfig{}, 200, ""},
		{"POST page", "POST", "", CookieConfig{}, 200, ""},
		{"GET to allowed back", "GET", testBackURL, CookieConfig{}, 303, testBackURL},
		{"POST to allowed back", "POST", "/bye", CookieConfig{}, 303, "/bye"},
		{"refused back", "GET", "https://evil.com/", CookieConfig{}, 200, ""},
		{"URL ticket host gets no ticket", "GET", "https://other.example.net/x", CookieConfig{}, 303, "https://other.example.net/x"},
		{"domain and path", "GET", "", CookieConfig{Name: "sso", Domain: "example.com", Path: "/apps", Secure: true}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Config) { o.Cookie = tt.cookie })
			name := cmpOr(tt.cookie.Name, "auth_tkt")
			r := req{method: tt.method, target: "/logout", cookies: []*http.Cookie{{Name: name, Value: f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret)}}}
			if tt.method == "POST" {
				r.form = url.Values{"back": {tt.back}}
			} else if tt.back != "" {
				r.target += "?back=" + url.QueryEscape(tt.back)
			}
			w := f.do(r)
			if w.Code != tt.status || w.Header().Get("Location") != tt.location {
				t.Fatalf("status %d Location %q, want %d %q", w.Code, w.Header().Get("Location"), tt.status, tt.location)
			}
			line := setCookieLine(w, name)
			want := regexp.MustCompile("^" + name + "=; Path=" + cmpOr(tt.cookie.Path, "/") + "(; Domain=" + tt.cookie.Domain + ")?; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly;( Secure;)? SameSite=Lax$")
			if !want.MatchString(line) {
				t.Errorf("Set-Cookie %q", line)
			}
			if tt.cookie.Domain != "" && !strings.Contains(line, "Domain="+tt.cookie.Domain) {
				t.Errorf("Domain missing: %q", line)
			}
			if tt.status == 200 && reasonOf(w.Body.String()) != string(reasonLoggedOut) {
				t.Errorf("reason %q", reasonOf(w.Body.String()))
			}
			if !strings.Contains(f.logs.String(), "msg=logout user=alice") {
				t.Errorf("log %s", f.logs)
			}
		})
	}
}

func TestHome(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(req{target: "/"})
	if w.Code != 200 || reasonOf(w.Body.String()) != string(reasonNone) || !strings.Contains(w.Body.String(), `href="/login"`) {
		t.Fatalf("signed out: %d %s", w.Code, w.Body)
	}
	tkt := ticket.Ticket{UID: "alice", Tokens: "staff,admin"}
	w = f.do(req{target: "/", cookies: []*http.Cookie{ticketCookie(f.ticketFor(tkt, testSecret))}})
	body := w.Body.String()
	if !strings.Contains(body, "signed in as <strong>alice</strong>") || !strings.Contains(body, `<span class="token">admin</span>`) ||
		!strings.Contains(body, `action="/logout"`) {
		t.Fatalf("signed in: %s", body)
	}
	if setCookie(w, "auth_tkt") != nil {
		t.Error("fresh ticket reissued")
	}
	tkt.Time = f.now.Add(-100 * 60e9)
	w = f.do(req{target: "/", cookies: []*http.Cookie{ticketCookie(f.ticketFor(tkt, testSecret))}})
	if c := setCookie(w, "auth_tkt"); c == nil || !verifyAs(t, f, c.Value, testClient).Time.Equal(f.now) {
		t.Error("ticket due for refresh not refreshed on /")
	}
}

func TestGuestLogin(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Guest = GuestConfig{Enabled: true, User: "g%8U"} })
	page := f.do(req{target: "/login?back=%2Fpub"}).Body.String()
	if !strings.Contains(page, `name="guest" value="1"`) {
		t.Fatalf("no guest button: %s", page)
	}
	w := f.do(req{method: "POST", target: "/login", form: url.Values{"guest": {"1"}, "back": {"/pub"}}, cookies: []*http.Cookie{probe()}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/pub" {
		t.Fatalf("status %d Location %q", w.Code, w.Header().Get("Location"))
	}
	res := verifyAs(t, f, setCookie(w, "auth_tkt").Value, testClient)
	if !regexp.MustCompile(`^g[0-9a-f]{8}$`).MatchString(res.UID) || res.Tokens != ticket.GuestToken {
		t.Errorf("guest ticket %+v", res)
	}
	// The portal itself lets no guests in: to it the guest's ticket is
	// none, and the login form is shown, not "signed in as".
	if page := f.do(req{target: "/", cookies: []*http.Cookie{ticketCookie(setCookie(w, "auth_tkt").Value)}}).Body.String(); strings.Contains(page, "signed in as") {
		t.Errorf("the portal takes a guest's ticket for a login: %s", page)
	}
	if f.src.calls.Load() != 0 || f.metrics.logins[resultOK] != 1 {
		t.Errorf("calls %d metrics %v", f.src.calls.Load(), f.metrics.logins)
	}
	// No guest button when disabled.
	f = newFixture(t, nil)
	if strings.Contains(f.do(req{target: "/login"}).Body.String(), `name="guest"`) {
		t.Error("guest button shown while disabled")
	}
}

func TestGuestUserPattern(t *testing.T) {
	tests := []struct {
		pattern string
		re      string // "" = error
	}{
		{"", `^guest$`},
		{"visitor", `^visitor$`},
		{"%U", `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"g%8U", `^g[0-9a-f]{8}$`}, // mod_auth_tkt drops the one-character prefix
		// As the module (and the middleware) read it: the first %U only,
		// a count of 0 or over 36 is the whole UUID, other '%' are text.
		{"guest-%1U-%36U", `^guest-[0-9a-f]-%36U$`},
		{"%0U", `^[0-9a-f-]{36}$`},
		{"%37U", `^[0-9a-f-]{36}$`},
		{"100%", `^100%$`},
		{"a!b", ""},
		{"gu\nest", ""},
	}
	for _, tt := range tests {
		g, err := newGuestUser(GuestConfig{User: tt.pattern})
		if (err == nil) != (tt.re != "") {
			t.Errorf("%q: err %v", tt.pattern, err)
			continue
		}
		if err == nil {
			a := g.name()
			if !regexp.MustCompile(tt.re).MatchString(a) {
				t.Errorf("%q expands to %q", tt.pattern, a)
			}
			// Eight guests: even one random hex digit (%1U) gives them
			// one name alone once in 16^7 runs.
			names := map[string]bool{a: true}
			for range 7 {
				names[g.name()] = true
			}
			if strings.Contains(tt.pattern, "U") && strings.Contains(tt.pattern, "%") && len(names) == 1 {
				t.Errorf("%q: eight guests share the name %q", tt.pattern, a)
			}
		}
	}
}

// Logout ends the ticket on every URL ticket host too: a chain of
// redirects through each one's /logout, each deleting the host-only
// ticket there, back to the start. The hops parameter can name only
// hosts of the list.
func TestLogoutChain(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.Cookie.Domain = ".example.com"
		o.URLTicketHosts = []string{"b.example.org", "a.example.net:8443", ".wildcard.example"}
		o.AllowedRedirects = []string{portalHost, "app.example.com"}
	})
	alice := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	hop := func(host, target string) (*httptest.ResponseRecorder, string) {
		t.Helper()
		w := f.do(req{target: target, cookies: []*http.Cookie{alice}, header: map[string]string{"Host": host}})
		return w, setCookieLine(w, "auth_tkt")
	}
	w, line := hop(portalHost, "/logout?back="+url.QueryEscape("/bye"))
	final := "http://" + portalHost + "/bye"
	want := "http://a.example.net:8443/logout?" + url.Values{"back": {final}, "hops": {"b.example.org"}}.Encode()
	if w.Code != 303 || w.Header().Get("Location") != want || !strings.Contains(line, "Domain=example.com") {
		t.Fatalf("start: %d %q, want %q; cookie %q", w.Code, w.Header().Get("Location"), want, line)
	}
	w, line = hop("a.example.net:8443", strings.TrimPrefix(want, "http://a.example.net:8443"))
	want = "http://b.example.org/logout?" + url.Values{"back": {final}, "hops": {""}}.Encode()
	if w.Code != 303 || w.Header().Get("Location") != want || strings.Contains(line, "Domain=") || !strings.Contains(line, "Max-Age=0") {
		t.Fatalf("first hop: %d %q, want %q; cookie %q (want a host-only deletion)", w.Code, w.Header().Get("Location"), want, line)
	}
	w, line = hop("b.example.org", strings.TrimPrefix(want, "http://b.example.org"))
	if w.Code != 303 || w.Header().Get("Location") != final || strings.Contains(line, "Domain=") {
		t.Fatalf("last hop: %d %q; cookie %q", w.Code, w.Header().Get("Location"), line)
	}
	// Without a back URL the chain ends on the signed-out page it began at.
	w, _ = hop(portalHost, "/logout")
	if loc := w.Header().Get("Location"); !strings.Contains(loc, url.QueryEscape("http://"+portalHost+"/logout?hops=")) {
		t.Errorf("no back: %q", loc)
	}
	w, _ = hop(portalHost, "/logout?hops=")
	if w.Code != 200 || reasonOf(w.Body.String()) != string(reasonLoggedOut) {
		t.Errorf("the end of the chain: %d", w.Code)
	}
	// A forged hop list leaves the list's hosts only.
	w, _ = hop(portalHost, "/logout?hops=evil.example,b.example.org.evil.example")
	if w.Code != 200 {
		t.Errorf("forged hops: %d %q", w.Code, w.Header().Get("Location"))
	}
}

// A logout begun on a URL ticket host ends the ticket in the portal's
// cookie domain too (Config.PortalURL): the portal's /logout first, then
// the other URL ticket hosts, then back to where it began. Without
// PortalURL, or begun at the portal, no hop goes there.
func TestLogoutChainFromURLTicketHost(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.Cookie.Domain = ".example.com"
		o.URLTicketHosts = []string{"b.example.org", "a.example.net:8443"}
		o.AllowedRedirects = []string{portalHost}
		o.PortalURL = "https://" + portalHost + "/login"
	})
	alice := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	hop := func(host, target string) *httptest.ResponseRecorder {
		t.Helper()
		return f.do(req{target: target, cookies: []*http.Cookie{alice}, header: map[string]string{"Host": host}})
	}
	w := hop("b.example.org", "/logout")
	end := "http://b.example.org/logout?hops="
	want := "https://" + portalHost + "/logout?" + url.Values{"back": {end}, "hops": {"a.example.net:8443"}}.Encode()
	if w.Code != 303 || w.Header().Get("Location") != want || !strings.Contains(setCookieLine(w, "auth_tkt"), "Max-Age=0") {
		t.Fatalf("begun at b.example.org: %d %q, want %q", w.Code, w.Header().Get("Location"), want)
	}
	w = hop(portalHost, strings.TrimPrefix(want, "https://"+portalHost))
	next := "http://a.example.net:8443/logout?" + url.Values{"back": {end}, "hops": {""}}.Encode()
	if line := setCookieLine(w, "auth_tkt"); w.Code != 303 || w.Header().Get("Location") != next || !strings.Contains(line, "Domain=example.com") {
		t.Fatalf("at the portal: %d %q, want %q; cookie %q", w.Code, w.Header().Get("Location"), next, line)
	}
	w = hop("a.example.net:8443", strings.TrimPrefix(next, "http://a.example.net:8443"))
	if w.Code != 303 || w.Header().Get("Location") != end {
		t.Fatalf("last hop: %d %q, want %q", w.Code, w.Header().Get("Location"), end)
	}
	if w = hop("b.example.org", "/logout?hops="); w.Code != 200 || reasonOf(w.Body.String()) != string(reasonLoggedOut) {
		t.Errorf("back where it began: %d", w.Code)
	}
	// Begun at the portal, the portal is not a hop.
	if w = hop(portalHost, "/logout"); strings.Contains(w.Header().Get("Location"), portalHost+"/logout?back") {
		t.Errorf("begun at the portal: %q", w.Header().Get("Location"))
	}
	// A bad PortalURL is refused at start.
	if _, err := New(Config{Ticket: ticket.Config{Secret: testSecret}, PortalURL: "javascript:alert(1)"}); err == nil || !strings.Contains(err.Error(), "portal URL") {
		t.Errorf("a bad portal URL: %v", err)
	}
}
