package ticket_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware rather than httptest.ResponseRecorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkMiddleware is a validator's hot path through the middleware:
// valid is a request with a good ticket reaching the handler (the
// identity put into its context); refresh adds minting a new cookie;
// login is the redirect of a request without a ticket.
func BenchmarkMiddleware(b *testing.B) {
	cfg := ticket.MiddlewareConfig{
		Ticket:   ticket.Config{Secret: benchSecret, Timeout: 2 * time.Hour, Refresh: 0.5},
		LoginURL: "https://login.example/login",
		Now:      func() time.Time { return t0 },
	}
	m, err := ticket.NewMiddleware(cfg)
	if err != nil {
		b.Fatal(err)
	}
	seen := ""
	h := m.Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		id, _ := ticket.IdentityFrom(r.Context())
		seen = id.UID
	}))
	young, old := benchTicket, benchTicket
	young.Time, old.Time = t0.Add(-time.Minute), t0.Add(-90*time.Minute)
	for _, c := range []struct {
		name, cookie, want string
	}{
		{"valid", "auth_tkt=" + mustMint(b, ticket.Minter{Digest: ticket.MD5, Secret: benchSecret}, young, local), benchTicket.UID},
		{"refresh", "auth_tkt=" + mustMint(b, ticket.Minter{Digest: ticket.MD5, Secret: benchSecret}, old, local), benchTicket.UID},
		{"login", "", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/app/page?x=1", nil)
			r.RemoteAddr = local.String() + ":40000"
			if c.cookie != "" {
				r.Header.Set("Cookie", "other=1; "+c.cookie)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				seen = ""
				clear(w.h)
				h.ServeHTTP(w, r)
			}
			if seen != c.want {
				b.Fatalf("handler saw %q, want %q", seen, c.want)
			}
		})
	}
}
