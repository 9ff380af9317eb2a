package tkthttp_test

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Client addresses and forwarded headers: believed from trusted proxies
// only, so a client cannot pick the address its ticket is checked against,
// nor make the back URL or the cookie's Secure flag lie.
func TestHeaderSpoofing(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	at := func(ip string) string {
		return "auth_tkt=" + mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "alice"}, ip, "")
	}
	aliceID := wantID("alice", "", "", testNow.Add(-time.Minute))
	trusting := tkthttp.Config{LoginURL: login, ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: proxies}}
	fwd := tkthttp.Config{LoginURL: login, ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: proxies, ClientIPHeader: tkthttp.HeaderForwarded}}
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
	runCases(t, []caseSpec{
		{name: "xff-from-untrusted-ignored", cfg: trusting, req: reqSpec{cookie: at("203.0.113.5"), header: xff("203.0.113.5")},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "xff-from-untrusted-peer-counts", cfg: trusting, req: reqSpec{cookie: at("192.0.2.10"), header: xff("203.0.113.5")},
			want: outcome{Status: 200, Identity: aliceID}},
		{name: "xff-without-trusted-proxies-ignored", cfg: tkthttp.Config{LoginURL: login}, req: reqSpec{from: "10.0.0.1:1", cookie: at("203.0.113.5"), header: xff("203.0.113.5")},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "xff-from-trusted", cfg: trusting, req: reqSpec{from: "10.0.0.1:1", cookie: at("203.0.113.5"), header: xff("203.0.113.5")},
			want: outcome{Status: 200, Identity: aliceID}},
		// The client prepends a forged address; the proxy appends the real one.
		{name: "xff-right-most-untrusted", cfg: trusting, req: reqSpec{from: "10.0.0.1:1", cookie: at("198.51.100.7"), header: xff("203.0.113.5, 198.51.100.7, 10.1.1.1")},
			want: outcome{Status: 200, Identity: aliceID}},
		{name: "xff-forged-left-loses", cfg: trusting, req: reqSpec{from: "10.0.0.1:1", cookie: at("203.0.113.5"), header: xff("203.0.113.5, 198.51.100.7")},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "xff-ipv4-mapped", cfg: trusting, req: reqSpec{from: "[::ffff:10.0.0.1]:1", cookie: at("203.0.113.5"), header: xff("::ffff:203.0.113.5")},
			want: outcome{Status: 200, Identity: aliceID}},
		{name: "xff-garbage-means-unknown", cfg: trusting, req: reqSpec{from: "10.0.0.1:1", cookie: at("10.0.0.1"), header: xff("nonsense")},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "forwarded-from-trusted", cfg: fwd, req: reqSpec{from: "10.0.0.1:1", cookie: at("203.0.113.5"),
			header: map[string]string{"Forwarded": `for=198.51.100.1, for="203.0.113.5:4711";proto=https;host=app.example`}},
			want: outcome{Status: 200, Identity: aliceID}},
		// Only the configured header is read: a client-sent one of the other
		// kind would pass an X-Forwarded-For proxy untouched.
		{name: "forwarded-ignored-when-xff-configured", cfg: trusting, req: reqSpec{from: "10.0.0.1:1", cookie: at("203.0.113.5"),
			header: map[string]string{"Forwarded": "for=203.0.113.5", "X-Forwarded-For": "198.51.100.9"}},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "xff-ignored-when-forwarded-configured", cfg: fwd, req: reqSpec{from: "10.0.0.1:1", cookie: at("203.0.113.5"),
			header: map[string]string{"X-Forwarded-For": "203.0.113.5", "Forwarded": "for=198.51.100.9"}},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "forwarded-proto-host-from-untrusted-ignored", cfg: trusting, req: reqSpec{
			header: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "forwarded-proto-host-from-trusted", cfg: trusting, req: reqSpec{from: "10.0.0.1:1",
			header: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "www.example"}},
			want: outcome{Status: 307, Location: login + "?back=https%3A%2F%2Fwww.example%2Fp%3Fq%3D1"}},
		{name: "forwarded-host-invalid-dropped", cfg: trusting, req: reqSpec{from: "10.0.0.1:1",
			header: map[string]string{"X-Forwarded-Host": "evil.example/\r\nx"}},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "rfc7239-proto-host", cfg: fwd, req: reqSpec{from: "10.0.0.1:1",
			header: map[string]string{"Forwarded": `for=203.0.113.5;proto=https;host="www.example:8443"`}},
			want: outcome{Status: 307, Location: login + "?back=https%3A%2F%2Fwww.example%3A8443%2Fp%3Fq%3D1"}},
	})
}

// TLS at a trusted edge proxy counts as TLS: RequireTLS is met and the
// refreshed cookie is Secure. From anyone else the header means nothing.
func TestTLSAtTheEdge(t *testing.T) {
	cfg := tkthttp.Config{RequireTLS: true, ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		Ticket: ticket.Config{Timeout: 2 * time.Hour, Refresh: 1}}
	cookie := "auth_tkt=" + mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "alice"}, "203.0.113.5", "")
	hdr := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
	got := serve(t, mustNew(t, cfg), cfg, reqSpec{from: "10.9.9.9:1", cookie: cookie, header: hdr})
	if got.Status != 200 || len(got.Cookies) != 1 || !got.Cookies[0].Secure {
		t.Errorf("via a trusted TLS edge: %+v", got)
	}
	got = serve(t, mustNew(t, cfg), cfg, reqSpec{from: "203.0.113.5:1", cookie: cookie, header: hdr})
	if got.Status != 307 || !strings.HasPrefix(got.Location, "https://") {
		t.Errorf("claimed TLS from a client: %+v", got)
	}
}

func TestIdentityHeaders(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"Remote-User", "remote_user", "REMOTE-GROUPS", "Remote-Data", "X-Other"} {
		h[k] = []string{"spoofed"}
	}
	id := tkthttp.Identity{Ticket: ticket.Ticket{UID: "jürgen", Tokens: "a,b", Data: "x=1; y"}}
	if err := (tkthttp.IdentityHeaders{}).Set(h, id); err != nil {
		t.Fatal(err)
	}
	want := http.Header{"Remote-User": {"jürgen"}, "Remote-Groups": {"a,b"}, "Remote-Data": {"x=1; y"}, "X-Other": {"spoofed"}}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	named := tkthttp.IdentityHeaders{User: "x-user", Groups: "X-Tokens", Data: "X-Data"}
	h = http.Header{"X_user": {"spoofed"}, "Remote-User": {"kept"}}
	named.Strip(h)
	if d := cmp.Diff(http.Header{"Remote-User": {"kept"}}, h); d != "" {
		t.Errorf("Strip (-want +got):\n%s", d)
	}

	h = http.Header{"Remote-User": {"spoofed"}}
	err := (tkthttp.IdentityHeaders{}).Set(h, tkthttp.Identity{Ticket: ticket.Ticket{UID: "alice", Data: "line1\nline2"}})
	if !errors.Is(err, tkthttp.ErrHeaderValue) {
		t.Errorf("data with a newline: err = %v, want ErrHeaderValue", err)
	}
	if len(h) != 0 {
		t.Errorf("after a refused Set, headers %v remain: the spoofed one must be gone too", h)
	}
}

func TestNewReportsEveryError(t *testing.T) {
	_, err := tkthttp.New(tkthttp.Config{
		CookieName:       "auth tkt",
		BackCookieName:   "b;c",
		CookieDomain:     "exa mple.com",
		CookiePath:       "app",
		CookieExpires:    -1,
		SameSite:         http.SameSiteNoneMode,
		LoginURL:         "javascript:alert(1)",
		TimeoutURL:       "//evil.example/x",
		UnauthURL:        "https://x.example/#frag",
		QuerySeparator:   "|",
		GuestCookie:      true,
		URLTicketHosts:   []string{"https://x"},
		ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{{}}, ClientIPHeader: "X-Real-IP"},
	})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"no secret", "cookie name", "back cookie name", "cookie domain", "cookie path", "cookie expiry",
		"SameSite=None", "login URL", "timeout URL", "unauth URL", "query separator", "guest", "URL ticket host", "trusted proxy", "client IP header"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := tkthttp.New(tkthttp.Config{Ticket: ticket.Config{Secret: "a secret of 16+ bytes"}}); err != nil {
		t.Errorf("zero config plus a secret: %v", err)
	}
}
