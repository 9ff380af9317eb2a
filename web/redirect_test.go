package web

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

func testRedirects(t testing.TB) *redirects {
	t.Helper()
	allowed, err := tkthttp.ParseHostList([]string{"app.example.com", ".trusted.example.org", "api.example.com:8443", "[2001:db8::1]:8080"})
	if err != nil {
		t.Fatal(err)
	}
	urlTicket, err := tkthttp.ParseHostList([]string{"other.example.net"})
	if err != nil {
		t.Fatal(err)
	}
	return &redirects{allowed: allowed, urlTicket: urlTicket, arg: "auth_tkt"}
}

func TestRedirectCheck(t *testing.T) {
	rd := testRedirects(t)
	tests := []struct {
		in   string
		want target
		ok   bool
	}{
		{"/", target{url: "/"}, true},
		{"/app/page?x=1#frag", target{url: "/app/page?x=1#frag"}, true},
		{"/%2f%2fevil.com", target{url: "/%2f%2fevil.com"}, true}, // a path on the portal
		{"https://app.example.com", target{url: "https://app.example.com"}, true},
		{"https://app.example.com/a?b=c#d", target{url: "https://app.example.com/a?b=c#d"}, true},
		{"http://app.example.com:8080/", target{url: "http://app.example.com:8080/"}, true}, // no port in the entry: any port
		{"HTTPS://APP.Example.COM/Path", target{url: "https://app.example.com/Path"}, true},
		{"https://trusted.example.org/", target{url: "https://trusted.example.org/"}, true}, // suffix admits the bare domain
		{"https://a.b.trusted.example.org/x", target{url: "https://a.b.trusted.example.org/x"}, true},
		{"https://api.example.com:8443/v1", target{url: "https://api.example.com:8443/v1"}, true},
		{"https://api.example.com/v1", target{}, false}, // entry names a port
		{"https://api.example.com:9443/v1", target{}, false},
		{"http://[2001:db8::1]:8080/", target{url: "http://[2001:db8::1]:8080/"}, true},
		{"http://[2001:db8::1]/", target{}, false},
		{"https://other.example.net/cb?a=1", target{url: "https://other.example.net/cb?a=1", urlTicket: true}, true},
		{"", target{}, false},
		{"//app.example.com/", target{}, false},
		{"https://evil.com/", target{}, false},
		{"https://app.example.com@evil.com/", target{}, false},
		{"https://xtrusted.example.org/", target{}, false},
		{"/" + strings.Repeat("a", 5000), target{}, false},
	}
	for _, tt := range tests {
		got, ok := rd.check(tt.in, "")
		if ok != tt.ok || diff(got, tt.want) != "" {
			t.Errorf("check(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func diff(a, b target) string {
	return cmp.Diff(a, b, cmp.AllowUnexported(target{}))
}

// safeRelative and safeAbsolute are the only shapes a checked back URL may
// have: printable ASCII without backslash, and either one leading '/' or
// scheme://host[:port] followed by a path, query or fragment delimiter.
var (
	safeRelative = regexp.MustCompile(`^/([^/\\][!-~]*)?$`)
	safeAbsolute = regexp.MustCompile(`^https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]+)?([/?#][!-~]*)?$`)
)

// assertOnList fails unless out is a relative path or a URL to an
// allow-listed host (or to self, the host the request came to, when
// given), in a form browsers cannot read otherwise.
func assertOnList(t *testing.T, in string, out target, self ...string) {
	t.Helper()
	if strings.Contains(out.url, `\`) {
		t.Fatalf("check(%q) = %q: backslash", in, out.url)
	}
	if safeRelative.MatchString(out.url) {
		return
	}
	if !safeAbsolute.MatchString(out.url) {
		t.Fatalf("check(%q) = %q: not a plain relative path or absolute http(s) URL", in, out.url)
	}
	u, err := url.Parse(out.url)
	if err != nil {
		t.Fatalf("check(%q) = %q: %v", in, out.url, err)
	}
	if !onTestList(u.Hostname(), u.Port()) && !slices.Contains(self, u.Host) {
		t.Fatalf("check(%q) = %q: host %q is off the allow-list", in, out.url, u.Host)
	}
}

// onTestList is testRedirects' allow-list written out independently of
// hostList, so that a bug there cannot hide here.
func onTestList(host, port string) bool {
	switch {
	case host == "app.example.com", host == "other.example.net",
		host == "trusted.example.org", strings.HasSuffix(host, ".trusted.example.org"),
		host == "api.example.com" && port == "8443",
		host == "2001:db8::1" && port == "8080":
		return true
	}
	return false
}

func readCorpus(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("testdata/open-redirects.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, `"`) {
			u, err := strconv.Unquote(line)
			if err != nil {
				t.Fatalf("open-redirects.txt:%d: %v", n, err)
			}
			line = u
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenRedirectCorpus(t *testing.T) {
	rd := testRedirects(t)
	corpus := readCorpus(t)
	if len(corpus) < 40 {
		t.Fatalf("corpus has %d entries, want at least 40", len(corpus))
	}
	var accepted []string
	for _, in := range corpus {
		out, ok := rd.check(in, "")
		if !ok {
			continue
		}
		accepted = append(accepted, in)
		assertOnList(t, in, out)
	}
	// Only these harmless paths on the portal itself may pass; any other
	// means the check got looser.
	want := []string{"/%2f%2fevil.com", "/%5cevil.com"}
	if d := cmp.Diff(want, accepted); d != "" {
		t.Errorf("accepted corpus entries (-want +got):\n%s", d)
	}
}

// TestOpenRedirectCorpusEndToEnd sends every trick through each way the
// portal redirects (login, auto-login, logout) and checks the Location
// header a browser would follow.
func TestOpenRedirectCorpusEndToEnd(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Throttle.Disabled = true })
	tkt := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	for _, in := range readCorpus(t) {
		q := "?back=" + url.QueryEscape(in)
		for name, w := range map[string]*httptest.ResponseRecorder{
			"login":      f.login("alice", alicePass, in),
			"auto-login": f.do(req{target: "/login" + q, cookies: []*http.Cookie{tkt}}),
			"logout":     f.do(req{target: "/logout" + q}),
		} {
			loc := w.Header().Get("Location")
			if name == "logout" && loc == "" {
				continue // the signed-out page instead of a redirect
			}
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%s, back %q: status %d", name, in, w.Code)
			}
			assertOnList(t, in, target{url: loc})
		}
	}
}

func TestWithTicket(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://o.example.net", "https://o.example.net?auth_tkt=a%2Bb%2Fc%3D%3D"},
		{"https://o.example.net/", "https://o.example.net/?auth_tkt=a%2Bb%2Fc%3D%3D"},
		{"https://o.example.net/p?", "https://o.example.net/p?auth_tkt=a%2Bb%2Fc%3D%3D"},
		{"https://o.example.net/p?x=1", "https://o.example.net/p?x=1&auth_tkt=a%2Bb%2Fc%3D%3D"},
		{"https://o.example.net/p?x=1#frag?y", "https://o.example.net/p?x=1&auth_tkt=a%2Bb%2Fc%3D%3D#frag?y"},
		{"https://o.example.net/p#f", "https://o.example.net/p?auth_tkt=a%2Bb%2Fc%3D%3D#f"},
		// an attacker's own ticket in back is dropped, escaped or not
		{"https://o.example.net/p?auth_tkt=evil&x=1&auth%5Ftkt=evil2&auth_tkt", "https://o.example.net/p?x=1&auth_tkt=a%2Bb%2Fc%3D%3D"},
	}
	for _, tt := range tests {
		if got := withTicket(tt.in, "auth_tkt", "a+b/c=="); got != tt.want {
			t.Errorf("withTicket(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedirectCheck(f *testing.F) {
	for _, s := range readCorpus(f) {
		f.Add(s)
	}
	f.Add("https://app.example.com/x")
	f.Add("/ok")
	rd := testRedirects(f)
	f.Fuzz(func(t *testing.T, in string) {
		// Reached at login.example.com, the portal may also send the
		// browser there, and nowhere else besides.
		if out, ok := rd.check(in, "login.example.com"); ok {
			assertOnList(t, in, out, "login.example.com", "login.example.com:80", "login.example.com:443")
		}
		out, ok := rd.check(in, "")
		if !ok {
			return
		}
		assertOnList(t, in, out)
		// Checking is idempotent: what we let out passes again unchanged.
		again, ok := rd.check(out.url, "")
		if !ok || again != out {
			t.Fatalf("check(check(%q)) = %+v, %v; want %+v", in, again, ok, out)
		}
		if out.urlTicket {
			w := withTicket(out.url, "auth_tkt", "v+/=")
			u, err := url.Parse(w)
			if err != nil || u.Query().Get("auth_tkt") != "v+/=" || len(u.Query()["auth_tkt"]) != 1 {
				t.Fatalf("withTicket(%q) = %q", out.url, w)
			}
		}
	})
}

// Every source of an allowed back URL, and a refusal: the host the request
// came to (on its port, or a default one when it named none), OwnHosts,
// OwnPorts on the request's host, URLTicketHosts and AllowedRedirects.
func TestRedirectCheckOwnHosts(t *testing.T) {
	rd := testRedirects(t)
	own, err := tkthttp.ParseHostList([]string{"wiki.example.com", ".apps.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	rd.own, rd.ownPorts = own, []string{"8081"}
	tests := []struct {
		self, in string
		ok       bool
	}{
		{"login.example.com", "https://login.example.com/x", true},
		{"login.example.com", "http://login.example.com/x", true},
		{"LOGIN.example.com", "https://login.example.com:443/x", true},
		{"login.example.com", "https://login.example.com:8443/x", false},
		{"login.example.com", "https://login.example.com:8081/x", true}, // the gate's port
		{"login.example.com:8443", "https://login.example.com:8443/a", true},
		{"login.example.com:8443", "https://login.example.com/a", false},
		{"login.example.com:443", "https://login.example.com/a", true},
		{"login.example.com:443", "http://login.example.com/a", false},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/p", true},
		{"127.0.0.1:8080", "http://127.0.0.1:8081/p", true},
		{"127.0.0.1:8080", "http://127.0.0.1:9000/p", false},
		{"[2001:db8::7]:8080", "http://[2001:db8::7]:8080/p", true},
		{"login.example.com", "https://login.example.com.evil.com/", false},
		{"login.example.com", "https://evil.com/", false},
		{"login.example.com", "https://evil.com:8081/", false}, // the gate's port on another host
		{"", "https://login.example.com/", false},
		{"bad host!", "https://login.example.com/", false},
		{"", "https://wiki.example.com:8443/", true}, // a rule's host, any port
		{"", "https://x.apps.example.com/", true},
		{"", "https://wiki.example.com.evil.com/", false},
		{"", "https://other.example.net/", true}, // url_ticket_hosts
		{"", "https://app.example.com/", true},   // allowed_redirects
	}
	for _, tt := range tests {
		if _, ok := rd.check(tt.in, tt.self); ok != tt.ok {
			t.Errorf("check(%q) reached at %q: %v, want %v", tt.in, tt.self, ok, tt.ok)
		}
	}
}

// A login returns to every host tktd knows to be its own without
// allowed_redirects; anything else is refused, with a log line and, on
// the form, a note that both name allowed_redirects.
func TestLoginBackToOwnHosts(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.AllowedRedirects = nil
		o.OwnHosts = []string{"wiki.example.com"}
		o.OwnPorts = []string{"8081"}
	})
	for _, back := range []string{
		"http://" + portalHost + "/app?x=1", // where the portal was reached
		"https://wiki.example.com/page",     // a forward-auth rule's host
		"http://" + portalHost + ":8081/",   // the gate, on the portal's host
		"https://other.example.net/cb",      // url_ticket_hosts
	} {
		w := f.login("alice", alicePass, back)
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, back) {
			t.Errorf("back %q: %d %q", back, w.Code, loc)
		}
	}
	if strings.Contains(f.logs.String(), "back URL refused") {
		t.Errorf("a back URL of ours was refused:\n%s", f.logs)
	}

	w := f.login("alice", alicePass, "https://app.example.com/x")
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/" {
		t.Errorf("back to a host not ours: %d %q, want 303 to /", w.Code, loc)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "back URL refused") || !strings.Contains(logs, "allowed_redirects") ||
		!strings.Contains(logs, "back_host=app.example.com") {
		t.Errorf("the refusal's log line does not name the host and allowed_redirects:\n%s", logs)
	}
	w = f.do(req{target: "/login?back=" + url.QueryEscape("https://app.example.com/x")})
	if body := w.Body.String(); !strings.Contains(body, `id="back-refused"`) || !strings.Contains(body, "app.example.com") ||
		!strings.Contains(body, "allowed_redirects") {
		t.Errorf("the form does not say the back URL is refused:\n%s", body)
	}
	if body := f.do(req{target: "/login?back=/x"}).Body.String(); strings.Contains(body, "back-refused") {
		t.Errorf("a note on an allowed back URL:\n%s", body)
	}
	if w := f.do(req{target: "/logout?back=" + url.QueryEscape("https://evil.example/")}); w.Header().Get("Location") != "" {
		t.Errorf("logout followed a back URL not ours: %q", w.Header().Get("Location"))
	}
	if !strings.Contains(f.logs.String(), "back_host=evil.example") {
		t.Errorf("logout's refusal is not logged with the setting:\n%s", f.logs)
	}
}

// The host a login may return to unlisted is the one in the request's
// Host header, never one a trusted proxy forwards (which may be the
// client's own X-Forwarded-Host, passed on).
func TestLoginBackNotToForwardedHost(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.AllowedRedirects = nil
		o.ClientAddrConfig = tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix(testClient + "/32")}}
	})
	form := url.Values{"user": {"alice"}, "password": {alicePass}, "back": {"https://evil.example/x"}}
	w := f.do(req{method: http.MethodPost, target: "/login", form: form, cookies: []*http.Cookie{probe()},
		header: map[string]string{"X-Forwarded-Host": "evil.example"}})
	if loc := w.Header().Get("Location"); loc != "/" {
		t.Errorf("back to the forwarded host: %d %q, want 303 to /", w.Code, loc)
	}
}
