package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
)

// BenchmarkForwardAuthSessions is /auth's hot path with sessions on, a
// thousand of them ended: a ticket with a session (checked against the
// copy in memory, never Redis) beside one without (not asked about), to
// set against BenchmarkForwardAuth/nginx.
func BenchmarkForwardAuthSessions(b *testing.B) {
	s, r := sessionStore(b)
	ctx := context.Background()
	var ids []string
	for range 1000 {
		rec, err := s.Create(ctx, shared.Session{User: "bob"})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	if _, err := s.End(ctx, ids...); err != nil {
		b.Fatal(err)
	}
	live, err := s.Create(ctx, shared.Session{User: "alice"})
	if err != nil {
		b.Fatal(err)
	}
	f := newFAFixture(b, func(o *ForwardAuthConfig) {
		o.Logger = nil
		o.Sessions, o.Revocation = s, r
	})
	f.now = time.Now()
	for _, c := range []struct{ name, tokens string }{
		{"session", string(ticket.Tokens("staff,admin").WithSession(live.ID))},
		{"no-session", "staff,admin"},
	} {
		cookie := "auth_tkt=" + f.mint("alice", c.tokens, "uid=42", testClient, time.Minute)
		req := httptest.NewRequest(http.MethodGet, "http://tktd.internal:8080/auth/nginx", nil)
		req.RemoteAddr = proxyAddr + ":5123"
		req.Header.Set("X-Original-URL", "https://app.example.com/page?x=1")
		req.Header.Set("X-Forwarded-For", testClient)
		req.Header.Set("Cookie", cookie)
		b.Run(c.name, func(b *testing.B) {
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				f.fa.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK || w.h.Get("Remote-Groups") != "staff,admin" {
				b.Fatalf("status %d, groups %q", w.status, w.h.Get("Remote-Groups"))
			}
		})
	}
}
