package tkthttp

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseGuestUser(t *testing.T) {
	for _, c := range []struct {
		in   string
		want GuestUser
	}{
		{"guest", GuestUser{prefix: "guest"}},
		{"%U", GuestUser{n: 36}},
		{"g%8U", GuestUser{prefix: "g", n: 8}}, // the module drops the "g"
		{"guest-%12U-x", GuestUser{prefix: "guest-", suffix: "-x", n: 12}},
		{"%0U", GuestUser{n: 36}},
		{"%37U", GuestUser{n: 36}},
		{"%99999999999999999999U", GuestUser{n: 36}},
		{"100%", GuestUser{prefix: "100%"}},
		{"%%U", GuestUser{prefix: "%", n: 36}},
		{"a%5Ub%7U", GuestUser{prefix: "a", suffix: "b%7U", n: 5}}, // first only, as the module's regexec
		{"%x%3U", GuestUser{prefix: "%x", n: 3}},
	} {
		if got, err := ParseGuestUser(c.in); got != c.want || err != nil {
			t.Errorf("ParseGuestUser(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	// Names a ticket cannot carry are refused when the pattern is read.
	for _, bad := range []string{"", "a!b", "%U!", "gu\x00est", "guest\n", "g\t%U"} {
		if g, err := ParseGuestUser(bad); err == nil {
			t.Errorf("ParseGuestUser(%q) = %+v, want an error", bad, g)
		}
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for range 20 {
		if u := newUUID(); !uuid.Match(u[:]) {
			t.Fatalf("newUUID() = %s", u)
		}
	}
}

func TestStripParam(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"a=1":                            "a=1",
		"auth_tkt=x":                     "",
		"auth_tkt":                       "",
		"a=1&auth_tkt=x&b=2":             "a=1&b=2",
		"a=1&&auth_tkt=x&b=%2F;c":        "a=1&&b=%2F;c",
		"xauth_tkt=1&auth_tkt_x=2":       "xauth_tkt=1&auth_tkt_x=2",
		"auth_tkt=a&auth_tkt=b&c":        "c",
		"a=auth_tkt%3Dx&auth_tkt%3D=1":   "a=auth_tkt%3Dx&auth_tkt%3D=1",
		"a=1;auth_tkt=x":                 "a=1;auth_tkt=x", // ';' does not split, as in URL ticket lookup
		"auth_tkt=x&":                    "",
		"&auth_tkt=x":                    "",
		"q=%E2%82%AC&auth_tkt=x#notfrag": "q=%E2%82%AC",
	} {
		if got := stripParam(in, "auth_tkt"); got != want {
			t.Errorf("stripParam(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsAPIClient(t *testing.T) {
	got := map[string]bool{}
	for _, accept := range []string{
		"", "*/*", "application/json", "application/json; charset=utf-8", "application/problem+json",
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"text/html, application/json", "APPLICATION/JSON", "text/plain",
	} {
		r := &http.Request{Header: http.Header{}}
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		got[accept] = isAPIClient(r)
	}
	want := map[string]bool{
		"": false, "*/*": false, "application/json": true, "application/json; charset=utf-8": true, "application/problem+json": true,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": false,
		"text/html, application/json":                                     false, "APPLICATION/JSON": true, "text/plain": false,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if !isAPIClient(&http.Request{Header: http.Header{"X-Requested-With": {"fetch"}}}) {
		t.Error("X-Requested-With not taken for an API client")
	}
}
