package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// revocations follows revocation marks in the machine's Redis, under a key
// prefix of the test's own, as a tktd instance does.
func revocations(t *testing.T) *shared.Revocations {
	t.Helper()
	url, prefix := redistest.Running(t)
	c, err := shared.Open(context.Background(), shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.Revocations(context.Background())
}

// The portal takes a revoked ticket for none, says why, and offers "sign
// out everywhere", which revokes the user's every ticket so far.
func TestPortalRevocation(t *testing.T) {
	r := revocations(t)
	f := newFixture(t, func(o *Config) {
		o.Revocation = r
		o.Revoke = func(ctx context.Context, user string, at time.Time) error {
			_, err := r.Revoke(ctx, user, at)
			return err
		}
	})
	// The fixture's clock is fixed; marks are recorded in real time, so the
	// tickets are minted a little before now.
	f.now = time.Now()
	old := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice", Tokens: "staff", Time: time.Now().Add(-time.Minute)}, testSecret))

	w := f.do(req{target: "/", cookies: []*http.Cookie{old}})
	if !strings.Contains(w.Body.String(), "Sign out everywhere") || !strings.Contains(w.Body.String(), "alice") {
		t.Fatalf("home page before: %s", w.Body.String())
	}
	form := url.Values{"everywhere": {"1"}}
	w = f.do(req{method: http.MethodPost, target: "/logout", form: form, cookies: []*http.Cookie{old}})
	if w.Code != http.StatusOK || reasonOf(w.Body.String()) != string(reasonLoggedOut) || setCookie(w, "auth_tkt") == nil {
		t.Fatalf("sign out everywhere: %d %q", w.Code, reasonOf(w.Body.String()))
	}
	testenv.WaitFor(t, "alice's tickets revoked", time.Second, func() bool {
		return errors.Is(r.Check("alice", time.Now().Add(-time.Minute)), tkthttp.ErrRevoked)
	})
	// Another device's ticket, issued before, is now nobody's.
	w = f.do(req{target: "/login", cookies: []*http.Cookie{old}})
	if w.Code != http.StatusOK || reasonOf(w.Body.String()) != string(reasonRevoked) {
		t.Errorf("GET /login with a revoked ticket: %d, reason %q", w.Code, reasonOf(w.Body.String()))
	}
	if w := f.do(req{target: "/", cookies: []*http.Cookie{old}}); strings.Contains(w.Body.String(), "signed in as") {
		t.Errorf("home page with a revoked ticket: %s", w.Body.String())
	}
	// A new login is not touched by the mark.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // the mark covers its own second
	f.now = time.Now()
	if w := f.login("alice", alicePass, ""); w.Code != http.StatusSeeOther || setCookie(w, "auth_tkt") == nil {
		t.Fatalf("login after: %d", w.Code)
	} else if w := f.do(req{target: "/", cookies: []*http.Cookie{setCookie(w, "auth_tkt")}}); !strings.Contains(w.Body.String(), "signed in as") {
		t.Errorf("home page with the new ticket: %s", w.Body.String())
	}
}

// When the revocation cannot be recorded the user is told so, and is
// signed out here all the same; a portal without shared state offers no
// "sign out everywhere".
func TestSignOutEverywhereFails(t *testing.T) {
	f := newFixture(t, func(o *Config) {
		o.Revoke = func(context.Context, string, time.Time) error { return errors.New("redis: connection refused") }
	})
	tkt := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	w := f.do(req{method: http.MethodPost, target: "/logout", form: url.Values{"everywhere": {"1"}}, cookies: []*http.Cookie{tkt}})
	if w.Code != http.StatusServiceUnavailable || reasonOf(w.Body.String()) != string(reasonNoEverywhere) || setCookie(w, "auth_tkt") == nil {
		t.Errorf("Revoke failing: %d %q, cookie deleted %v", w.Code, reasonOf(w.Body.String()), setCookie(w, "auth_tkt") != nil)
	}
	if !strings.Contains(f.logs.String(), "connection refused") {
		t.Errorf("log: %s", f.logs.String())
	}

	g := newFixture(t, nil)
	tkt = ticketCookie(g.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	if w := g.do(req{target: "/", cookies: []*http.Cookie{tkt}}); strings.Contains(w.Body.String(), "everywhere") {
		t.Error("a portal without Revoke offers sign out everywhere")
	}
	w = g.do(req{method: http.MethodPost, target: "/logout", form: url.Values{"everywhere": {"1"}}, cookies: []*http.Cookie{tkt}})
	if w.Code != http.StatusServiceUnavailable || reasonOf(w.Body.String()) != string(reasonNoEverywhere) {
		t.Errorf("everywhere=1 without Revoke: %d %q", w.Code, reasonOf(w.Body.String()))
	}
	// GET /logout never revokes: a link cannot end someone's sessions.
	calls := 0
	h := newFixture(t, func(o *Config) {
		o.Revoke = func(context.Context, string, time.Time) error { calls++; return nil }
	})
	tkt = ticketCookie(h.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	h.do(req{target: "/logout?everywhere=1", cookies: []*http.Cookie{tkt}})
	if calls != 0 {
		t.Error("GET /logout?everywhere=1 revoked")
	}
}
