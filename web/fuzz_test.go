package web

import (
	"crypto/hmac"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// FuzzGuestPattern: a pattern either fails or expands to a name a ticket
// can carry.
func FuzzGuestPattern(f *testing.F) {
	for _, s := range []string{"guest", "%U", "g%8U", "%36U-x", "%", "%0U", "%99U"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		g, err := newGuestUser(GuestConfig{User: pattern})
		if err != nil {
			return
		}
		if n := g.name(); n == "" || strings.ContainsAny(n, "!\x00") {
			t.Fatalf("pattern %q gives %q", pattern, n)
		}
	})
}

// FuzzForwardAuthOriginal: whatever a proxy claims, /auth either refuses
// to judge it or judges a request with an origin-form target on a host
// the allow-list parser accepts, and never lets it through without a
// ticket.
func FuzzForwardAuthOriginal(f *testing.F) {
	for _, s := range [][3]string{
		{"https://app.example.com/p?q=1", "", "/auth/nginx"},
		{"", "/x?y=%2F", "/auth"},
		{"", "", "/auth/envoy/app/x"},
		{"http://evil.com@app.example.com/", "", "/auth/nginx"},
		{"https://[::1]:8443", "", "/auth/nginx"},
		{"", "//evil.com/", "/auth"},
		{"HTTP://APP.example.com?x", "/a/../b", "/auth/nginx"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	// No guest rule: a 200 is then a bug.
	fx := newFAFixture(f, func(o *ForwardAuthConfig) { o.Logger, o.Rules = nil, nil })
	f.Fuzz(func(t *testing.T, original, uri, path string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") {
			return
		}
		h := map[string]string{"X-Forwarded-For": testClient, "X-Forwarded-Host": "app.example.com"}
		if original != "" {
			h["X-Original-URL"] = original
		}
		if uri != "" {
			h["X-Forwarded-Uri"] = uri
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path, r.URL.RawQuery, _ = strings.Cut(path, "?")
		r.RequestURI = path
		r.RemoteAddr = proxyAddr + ":1"
		for k, v := range h {
			r.Header[http.CanonicalHeaderKey(k)] = []string{v}
		}
		st := fx.fa.state.Load()
		o := st.clients.Origin(r)
		orig, _, err := st.original(r, &o)
		if err == nil {
			if !validTarget(orig.RequestURI) || orig.URL.Path == "" || orig.URL.Path[0] != '/' {
				t.Fatalf("target %q path %q", orig.RequestURI, orig.URL.Path)
			}
			if p, ok := rulePath(orig.URL.Path); ok && (strings.Contains(p, "/../") || strings.Contains(p, "//") || strings.ContainsAny(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ\\")) {
				t.Fatalf("rule path %q of %q", p, orig.URL.Path)
			}
			if _, _, err := tkthttp.SplitAuthority(o.Host); err != nil {
				t.Fatalf("host %q: %v", o.Host, err)
			}
		}
		w := httptest.NewRecorder()
		fx.fa.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			t.Fatalf("no ticket, yet let in as %v", identity(w))
		}
	})
}

// FuzzMFAState: the login's second-step state parser takes anything and
// accepts only what sign made, for that client, in time.
func FuzzMFAState(f *testing.F) {
	key := mfaStateKey("fuzz secret 0123456789")
	now := time.Unix(1_800_000_000, 0)
	good := mfaState{User: "alice", Tokens: "staff", Client: "192.0.2.1", At: now.Unix()}.sign(key)
	for _, s := range []string{good, "", ".", "e30.", good + "x", strings.Replace(good, ".", "..", 1)} {
		f.Add(s)
	}
	client := netip.MustParseAddr("192.0.2.1")
	f.Fuzz(func(t *testing.T, raw string) {
		st, err := parseMFAState(raw, key, client, now)
		if err != nil {
			return
		}
		named := ticket.CheckUID(st.User) == nil
		if st.sign(key) == "" || st.Client != "192.0.2.1" || named == st.Discoverable || st.Discoverable && len(st.Ceremony) == 0 {
			t.Errorf("accepted %q as %+v", raw, st)
		}
		p, sig, _ := strings.Cut(raw, ".")
		if !hmac.Equal(mustB64(sig), stateMAC(key, p)) {
			t.Errorf("accepted %q without its MAC", raw)
		}
	})
}

func mustB64(s string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return b
}
