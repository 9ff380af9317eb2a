package tkthttp_test

import (
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// hostLists are the allow-list entries every host setting is tested with:
// here, and in tktd's test that config check and serve agree on them.
func hostLists(t testing.TB) (good, bad []string) {
	t.Helper()
	var v struct{ Good, Bad []string }
	testenv.ReadJSON(t, "../../testdata/host-lists.json", &v)
	return v.Good, v.Bad
}

func TestParseHostList(t *testing.T) {
	hostListGood, hostListBad := hostLists(t)
	for _, e := range hostListGood {
		if _, err := tkthttp.ParseHostList([]string{e}); err != nil {
			t.Errorf("ParseHostList(%q): %v", e, err)
		}
	}
	for _, e := range hostListBad {
		_, err := tkthttp.ParseHostList([]string{e})
		if err == nil {
			t.Errorf("ParseHostList(%q): no error", e)
		} else if !strings.Contains(err.Error(), "\""+e+"\"") && e != "" {
			t.Errorf("ParseHostList(%q): %v does not name the entry", e, err)
		}
	}
	// Every bad entry is reported, not just the first.
	_, err := tkthttp.ParseHostList([]string{"ok.example", "a b", "ok2.example", "x.example."})
	if err == nil || !strings.Contains(err.Error(), `"a b"`) || !strings.Contains(err.Error(), `"x.example."`) {
		t.Errorf("two bad entries: %v", err)
	}
}

func TestHostListAllows(t *testing.T) {
	l, err := tkthttp.ParseHostList([]string{" App.Example.com ", "api.example.com:8443", ".trusted.example.org", "xn--bcher-kva.de", "[::1]", "10.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, port string
		want       bool
	}{
		{"app.example.com", "", true},
		{"app.example.com", "8443", true}, // no port in the entry: any port
		{"api.example.com", "8443", true},
		{"api.example.com", "443", false}, // a port in the entry: that one only
		{"api.example.com", "", false},
		{"trusted.example.org", "", true}, // a domain admits itself
		{"a.b.trusted.example.org", "1", true},
		{"eviltrusted.example.org", "", false},
		{"trusted.example.org.evil.com", "", false},
		{"xn--bcher-kva.de", "443", true},
		{"[::1]", "1", true},
		{"10.0.0.1", "8080", true},
		{"10.0.0.1", "", false},
		{"other.example.com", "", false},
	} {
		if got := l.Allows(c.host, c.port); got != c.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", c.host, c.port, got, c.want)
		}
	}
	for _, c := range []struct {
		authority string
		want      bool
	}{
		{"APP.example.com:9000", true},
		{"api.example.com:8443", true},
		{"api.example.com", false},
		{"x.trusted.example.org", true},
		{"app.example.com.", false}, // no list admits a host SplitAuthority refuses
		{"[::1]:80", true},
		{"app.example.com:", false},
		{"", false},
	} {
		if got := l.AllowsAuthority(c.authority); got != c.want {
			t.Errorf("AllowsAuthority(%q) = %v, want %v", c.authority, got, c.want)
		}
	}
	if l.Empty() || !l.HasPort() {
		t.Errorf("Empty() = %v, HasPort() = %v", l.Empty(), l.HasPort())
	}
	if none, _ := tkthttp.ParseHostList(nil); !none.Empty() || none.AllowsAuthority("app.example.com") {
		t.Error("an empty list admits something")
	}
}

// The middleware reads URLTicketHosts with ParseHostList: a port is
// allowed, a trailing dot is not.
func TestNewURLTicketHosts(t *testing.T) {
	hostListGood, hostListBad := hostLists(t)
	for _, h := range hostListGood {
		if _, err := tkthttp.New(withDefaults(tkthttp.Config{URLTicketHosts: []string{h}})); err != nil {
			t.Errorf("%q refused: %v", h, err)
		}
	}
	for _, h := range hostListBad {
		if _, err := tkthttp.New(withDefaults(tkthttp.Config{URLTicketHosts: []string{h}})); err == nil {
			t.Errorf("%q accepted", h)
		}
	}
}

// FuzzHostList: an allow-list entry either fails to parse or admits exactly
// what it names.
func FuzzHostList(f *testing.F) {
	good, bad := hostLists(f)
	for _, s := range append(good, bad...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		l, err := tkthttp.ParseHostList([]string{entry})
		if err != nil {
			return
		}
		e := strings.ToLower(strings.TrimSpace(entry))
		if d, ok := strings.CutPrefix(e, "."); ok {
			if !l.Allows(d, "") || !l.Allows("x."+d, "1") || l.Allows("x"+d, "") || l.HasPort() {
				t.Fatalf("domain %q misbehaves", e)
			}
			return
		}
		host, port, err := tkthttp.SplitAuthority(e)
		if err != nil || !l.Allows(host, port) || !l.AllowsAuthority(strings.TrimSpace(entry)) {
			t.Fatalf("entry %q: host %q port %q err %v", e, host, port, err)
		}
		if strings.ContainsAny(host, "@/\\%?#_ ") || strings.HasSuffix(host, ".") || l.HasPort() != (port != "") {
			t.Fatalf("entry %q: host %q port %q", e, host, port)
		}
	})
}

// FuzzSplitAuthority: what SplitAuthority accepts is host[:port] exactly,
// and no byte a browser could read as another part of a URL.
func FuzzSplitAuthority(f *testing.F) {
	good, bad := hostLists(f)
	for _, s := range append(good, bad...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		host, port, err := tkthttp.SplitAuthority(a)
		if err != nil {
			return
		}
		joined := host
		if port != "" {
			joined += ":" + port
		}
		if joined != a || host == "" || strings.ContainsAny(a, "@/\\%?# \t\r\n") || strings.HasSuffix(host, ".") {
			t.Fatalf("SplitAuthority(%q) = %q, %q", a, host, port)
		}
	})
}
