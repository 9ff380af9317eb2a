package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The portal finds its client with tkthttp.ClientAddrConfig, whose parsing
// is tested in package ticket; these tests check what the portal does with
// the answer. Ticket binding through a proxy: TestTrustedProxyClientIP.

// The per-address throttle counts the client behind the proxies, not the
// proxies: one client cannot lock out everyone behind the same proxy, nor
// escape its lock by arriving through another one.
func TestThrottleKeysForwardedClient(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		o.Throttle = ThrottleConfig{MaxFailures: 100, MaxIPFailures: 2, Window: time.Hour}
	})
	post := func(proxy, xff, user, pw string) int {
		t.Helper()
		return f.do(req{method: http.MethodPost, target: "/login", form: url.Values{"user": {user}, "password": {pw}},
			cookies: []*http.Cookie{probe()}, remote: proxy + ":1", header: map[string]string{"X-Forwarded-For": xff}}).Code
	}
	for i, proxy := range []string{"10.0.0.1", "10.0.0.2"} {
		if code := post(proxy, "203.0.113.5", "user"+strconv.Itoa(i), "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i, code)
		}
	}
	for _, c := range []struct {
		name, proxy, xff string
		want             int
	}{
		{"same client, third proxy", "10.0.0.3", "203.0.113.5", http.StatusTooManyRequests},
		{"same client, forged left part", "10.0.0.1", "198.51.100.9, 203.0.113.5", http.StatusTooManyRequests},
		{"other client, same proxy", "10.0.0.1", "203.0.113.6", http.StatusSeeOther},
		{"the proxy itself", "10.0.0.1", "", http.StatusSeeOther},
	} {
		if code := post(c.proxy, c.xff, "bob", bobPass); code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, code, c.want)
		}
	}
}

// The ticket cookie is Secure when the client's browser spoke TLS: to us,
// or to a trusted proxy that says so. A trusted proxy that says "http"
// wins over a TLS hop between it and us: the browser is on a plain page
// and would refuse a Secure cookie, so the login would never stick.
func TestSecureCookieFollowsClientScheme(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	for _, c := range []struct {
		name, remote, proto string
		tls, want           bool
	}{
		{"direct TLS", "192.0.2.1:1", "", true, true},
		{"direct TLS, client's header ignored", "192.0.2.1:1", "http", true, true},
		{"direct plain, client's header ignored", "192.0.2.1:1", "https", false, false},
		{"trusted TLS edge", "10.0.0.1:1", "https", false, true},
		{"trusted plain edge, TLS hop to us", "10.0.0.1:1", "http", true, false},
		{"trusted proxy without the header, TLS to us", "10.0.0.1:1", "", true, true},
	} {
		hdr := map[string]string{}
		if c.proto != "" {
			hdr["X-Forwarded-Proto"] = c.proto
		}
		w := f.do(req{method: http.MethodPost, target: "/login", form: url.Values{"user": {"bob"}, "password": {bobPass}},
			cookies: []*http.Cookie{probe()}, remote: c.remote, tls: c.tls, header: hdr})
		ck := setCookie(w, "auth_tkt")
		if ck == nil {
			t.Errorf("%s: status %d, no ticket cookie", c.name, w.Code)
			continue
		}
		if ck.Secure != c.want {
			t.Errorf("%s: Secure = %v, want %v", c.name, ck.Secure, c.want)
		}
	}
}

// A trusted proxy that names the client in a way nobody can read leaves
// the client unknown: the login is refused, with the reason, before the
// store is asked, where it used to mint a ticket bound to nobody.
func TestLoginRefusesUnknownClient(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	for _, xff := range []string{"junk", "203.0.113.5, garbage", "unknown"} {
		w := f.do(req{method: http.MethodPost, target: "/login", form: url.Values{"user": {"alice"}, "password": {alicePass}},
			cookies: []*http.Cookie{probe()}, remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": xff}})
		if w.Code != http.StatusBadRequest || reasonOf(w.Body.String()) != string(reasonNoClient) {
			t.Errorf("X-Forwarded-For %q: status %d, reason %q", xff, w.Code, reasonOf(w.Body.String()))
		}
		for _, c := range w.Result().Cookies() {
			if c.Name == "auth_tkt" {
				t.Errorf("X-Forwarded-For %q: a ticket was issued", xff)
			}
		}
	}
	if n := f.src.calls.Load(); n != 0 {
		t.Errorf("the store was asked %d times", n)
	}
	if !strings.Contains(f.logs.String(), "trusted_proxies") {
		t.Errorf("the log does not name the setting: %s", f.logs.String())
	}
	// With the address ignored, there is nothing to bind: the login works.
	g := newFixture(t, func(o *Config) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		o.Ticket.IgnoreIP = true
	})
	w := g.do(req{method: http.MethodPost, target: "/login", form: url.Values{"user": {"alice"}, "password": {alicePass}},
		cookies: []*http.Cookie{probe()}, remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": "junk"}})
	if w.Code != http.StatusSeeOther {
		t.Errorf("ignore_ip: status %d", w.Code)
	}
}
