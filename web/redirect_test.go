package web

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
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
		got, ok := rd.check(tt.in)
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
// allow-listed host, in a form browsers cannot read otherwise.
func assertOnList(t *testing.T, in string, out target) {
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
	if !onTestList(u.Hostname(), u.Port()) {
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
		out, ok := rd.check(in)
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
		out, ok := rd.check(in)
		if !ok {
			return
		}
		assertOnList(t, in, out)
		// Checking is idempotent: what we let out passes again unchanged.
		again, ok := rd.check(out.url)
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
