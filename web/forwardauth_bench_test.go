package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// benchWriter keeps only the status, so the benchmark measures the
// endpoint rather than httptest.ResponseRecorder.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }

// BenchmarkForwardAuth is /auth's hot path, one question of a proxy:
// nginx and traefik are a valid ticket in each style (200 with the
// identity headers), login a request without one, basic-cached HTTP Basic
// answered by a warm credential cache (the target: within 2x nginx's
// ticket check). verify is the ticket check alone on the same cookie, the
// floor the endpoint adds to.
func BenchmarkForwardAuth(b *testing.B) {
	_, cached := basicStore(b)
	f := newFAFixture(b, func(o *ForwardAuthConfig) {
		o.Logger = nil
		o.Basic = &BasicConfig{Passwords: basicPasswords(b, cached)}
		o.Rules = append(o.Rules, ForwardAuthRule{Paths: []string{"/api"}, Basic: true})
	})
	cookie := "auth_tkt=" + f.mint("alice", "staff,admin", "uid=42", testClient, time.Minute)
	ask := func(path string, h map[string]string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://tktd.internal:8080"+path, nil)
		r.RemoteAddr = proxyAddr + ":5123"
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, c := range []struct {
		name   string
		r      *http.Request
		status int
	}{
		{"nginx", ask("/auth/nginx", map[string]string{"X-Original-URL": "https://app.example.com/page?x=1", "X-Forwarded-For": testClient, "Cookie": cookie}), 200},
		{"traefik", ask("/auth", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/page?x=1",
			"X-Forwarded-Method": "GET", "X-Forwarded-For": testClient, "Cookie": cookie}), 200},
		{"login", ask("/auth/nginx", map[string]string{"X-Original-URL": "https://app.example.com/page?x=1", "X-Forwarded-For": testClient}), 401},
		{"basic-cached", ask("/auth/nginx", map[string]string{"X-Original-URL": "https://app.example.com/api/x", "X-Forwarded-For": testClient,
			"Authorization": basicAuthHeader("alice", alicePass)}), 200},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				f.fa.ServeHTTP(w, c.r)
			}
			if w.status != c.status {
				b.Fatalf("status %d, want %d", w.status, c.status)
			}
		})
	}
	b.Run("verify", func(b *testing.B) {
		v, err := ticket.NewVerifier(f.opts.Ticket)
		if err != nil {
			b.Fatal(err)
		}
		lines := []string{cookie}
		client := netip.MustParseAddr(testClient)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyCookies(lines, "auth_tkt", client, f.now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
