package tkthttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware rather than httptest.ResponseRecorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkAuthenticate is a validator's hot path through the middleware:
// valid is a request with a good ticket reaching the handler (the
// identity put into its context); refresh adds minting a new cookie;
// login is the redirect of a request without a ticket.
func BenchmarkAuthenticate(b *testing.B) {
	cfg := tkthttp.Config{
		Ticket:   ticket.Config{Secret: testSecret, Timeout: 2 * time.Hour, Refresh: 0.5},
		LoginURL: "https://login.example/login",
		Now:      func() time.Time { return testNow },
	}
	m, err := tkthttp.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	seen := ""
	h := m.Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		id, _ := tkthttp.IdentityFrom(r.Context())
		seen = id.UID
	}))
	const client = "192.0.2.10"
	young := ticket.Ticket{UID: "alice@example.com", Tokens: "finance,admin", Data: "Alice Example", Time: testNow.Add(-time.Minute)}
	old := young
	old.Time = testNow.Add(-90 * time.Minute)
	for _, c := range []struct {
		name, cookie, want string
	}{
		{"valid", "auth_tkt=" + mintCookie(b, cfg.Ticket, young, client, ""), young.UID},
		{"refresh", "auth_tkt=" + mintCookie(b, cfg.Ticket, old, client, ""), old.UID},
		{"login", "", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/app/page?x=1", nil)
			r.RemoteAddr = client + ":40000"
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
