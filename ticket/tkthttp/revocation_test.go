package tkthttp_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// marks is a Revocation over fixed marks: a mark per user, one for all,
// and an outage switch.
type marks struct {
	user map[string]time.Time
	all  time.Time
	down bool
}

func (m marks) Check(uid string, issued time.Time) error {
	if m.down {
		return errors.New("redis: connection refused")
	}
	if at, ok := m.user[uid]; ok && issued.Before(at) || issued.Before(m.all) {
		return tkthttp.ErrRevoked
	}
	return nil
}

func TestRevocation(t *testing.T) {
	const login = "https://login.example/login"
	issued := testNow.Add(-time.Minute)
	alice := ticket.Ticket{UID: "alice", Tokens: "staff", Time: issued}
	cookie := "auth_tkt=" + mintCookie(t, ticket.Config{}, alice, "", "")
	bearer := map[string]string{"Authorization": "Bearer " + mintCookie(t, ticket.Config{}, alice, "", "")}
	json := map[string]string{"Accept": "application/json"}
	after := marks{user: map[string]time.Time{"alice": issued.Add(time.Second)}}
	before := marks{user: map[string]time.Time{"alice": issued.Add(-time.Second)}}
	everyone := marks{all: issued.Add(time.Second)}
	other := marks{user: map[string]time.Time{"bob": testNow}}
	cfg := func(r tkthttp.Revocation) tkthttp.Config {
		return tkthttp.Config{LoginURL: login, BearerTickets: true, Revocation: r}
	}
	wantLogin := outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fapp.example%2Fp%3Fq%3D1", Cookies: []cookieSpec{deletedCookie("auth_tkt")}}
	runCases(t, []caseSpec{
		{name: "mark after the ticket", cfg: cfg(after), req: reqSpec{cookie: cookie}, want: wantLogin},
		{name: "mark for everyone", cfg: cfg(everyone), req: reqSpec{cookie: cookie}, want: wantLogin},
		{name: "mark before the ticket", cfg: cfg(before), req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "", issued)}},
		{name: "another user's mark", cfg: cfg(other), req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "", issued)}},
		{name: "api client", cfg: cfg(after), req: reqSpec{cookie: cookie, header: json},
			want: outcome{Status: 401, Body: `{"error":"ticket revoked"}` + "\n", Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "bearer", cfg: cfg(after), req: reqSpec{header: bearer},
			want: outcome{Status: 401, Body: `{"error":"ticket revoked"}` + "\n"}},
		{name: "state unknown: 503, the cookie kept", cfg: cfg(marks{down: true}), req: reqSpec{cookie: cookie, header: json},
			want: outcome{Status: 503, Body: `{"error":"revocation state unavailable"}` + "\n"}},
		{name: "state unknown, bearer", cfg: cfg(marks{down: true}), req: reqSpec{header: bearer},
			want: outcome{Status: 503, Body: `{"error":"revocation state unavailable"}` + "\n"}},
		{name: "no ticket: nothing to ask", cfg: cfg(marks{down: true}), req: reqSpec{},
			want: outcome{Status: 307, Location: login + "?back=http%3A%2F%2Fapp.example%2Fp%3Fq%3D1"}},
	})

	// A revoked URL ticket is not taken, and sets no cookie.
	m := mustNew(t, tkthttp.Config{LoginURL: login, URLTicketHosts: []string{"app.example"}, Revocation: after})
	w := serveRaw(m, reqSpec{url: "http://app.example/p?auth_tkt=" + mintCookie(t, ticket.Config{}, alice, "", "")})
	if w.Code != 307 || !strings.HasPrefix(w.Header().Get("Location"), login) || strings.Contains(w.Header().Get("Set-Cookie"), "auth_tkt=M") {
		t.Errorf("a revoked URL ticket: %d %q %q", w.Code, w.Header().Get("Location"), w.Header().Get("Set-Cookie"))
	}
}

// Renew: a ticket due for re-issue is renewed with the user's tokens and
// data as they are now, or not re-issued at all; the request goes on with
// what the renewal says.
func TestRenew(t *testing.T) {
	timeouts := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	old := ticket.Ticket{UID: "alice", Tokens: "staff,admin", Data: "d", Time: testNow.Add(-90 * time.Minute)}
	cookie := "auth_tkt=" + mintCookie(t, timeouts, old, "", "")
	now := ticket.Ticket{UID: "alice", Tokens: "staff", Data: "new data"}
	renewTo := func(t ticket.Ticket, err error) tkthttp.Renew {
		return func(_ context.Context, got ticket.Ticket) (ticket.Ticket, error) {
			if got.UID != "alice" || got.Tokens != "staff,admin" {
				return ticket.Ticket{}, errors.New("asked about the wrong ticket")
			}
			return t, err
		}
	}
	reissued := func(t ticket.Ticket) []cookieSpec {
		t.Time = testNow
		c := baseCookie("auth_tkt", ticketText(t))
		return []cookieSpec{c}
	}
	admin := ticket.Config{Timeout: timeouts.Timeout, Refresh: timeouts.Refresh, Tokens: []string{"admin"}}
	runCases(t, []caseSpec{
		{name: "renewed", cfg: tkthttp.Config{Ticket: timeouts, Renew: renewTo(now, nil)}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "new data", old.Time), Cookies: reissued(now)}},
		{name: "user gone: not re-issued", cfg: tkthttp.Config{Ticket: timeouts, Renew: renewTo(ticket.Ticket{}, errors.New("no such user"))}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: wantID("alice", "staff,admin", "d", old.Time)}},
		{name: "renewal drops the required token", cfg: tkthttp.Config{Ticket: admin, Renew: renewTo(now, nil)}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 403, Body: "Forbidden: ticket lacks a required token\n", Cookies: reissued(now)}},
		{name: "another user id is refused", cfg: tkthttp.Config{Ticket: timeouts, Renew: renewTo(ticket.Ticket{UID: "mallory"}, nil)}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: wantID("alice", "staff,admin", "d", old.Time)}},
	})
	// A renewal that fails is Renew's to report: the middleware's own
	// line is at debug level, not one warning per request.
	var logs strings.Builder
	quiet := tkthttp.Config{Ticket: timeouts, Renew: renewTo(ticket.Ticket{}, errors.New("no such user")),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if w := serveRaw(mustNew(t, quiet), reqSpec{cookie: cookie}); w.Code != http.StatusOK || logs.Len() > 0 {
		t.Errorf("a refused renewal: %d, logged above debug: %q", w.Code, logs.String())
	}

	// Not due for refresh: Renew is not asked.
	asked := false
	m := mustNew(t, tkthttp.Config{Ticket: timeouts, Renew: func(context.Context, ticket.Ticket) (ticket.Ticket, error) {
		asked = true
		return ticket.Ticket{}, nil
	}})
	young := old
	young.Time = testNow.Add(-time.Minute)
	if w := serveRaw(m, reqSpec{cookie: "auth_tkt=" + mintCookie(t, timeouts, young, "", "")}); w.Code != http.StatusOK || asked {
		t.Errorf("a young ticket: %d, Renew asked: %v", w.Code, asked)
	}
}

// Apply is what the middleware does with a Renew, for front ends that
// re-issue tickets themselves: nothing without one; otherwise its answer
// with the old ticket's time, unless it names another user.
func TestRenewApply(t *testing.T) {
	ctx := context.Background()
	old := ticket.Ticket{UID: "alice", Tokens: "a", Data: "d", Time: testNow.Add(-time.Hour)}
	if got, err := tkthttp.Renew(nil).Apply(ctx, old); err != nil || got != old {
		t.Errorf("nil Renew: %+v, %v; want the ticket as it is", got, err)
	}
	to := func(n ticket.Ticket) tkthttp.Renew {
		return func(context.Context, ticket.Ticket) (ticket.Ticket, error) { return n, nil }
	}
	got, err := to(ticket.Ticket{UID: "alice", Tokens: "b", Time: testNow}).Apply(ctx, old)
	if want := (ticket.Ticket{UID: "alice", Tokens: "b", Time: old.Time}); err != nil || got != want {
		t.Errorf("renewed: %+v, %v; want %+v", got, err, want)
	}
	if _, err := to(ticket.Ticket{UID: "mallory"}).Apply(ctx, old); err == nil {
		t.Error("a renewal naming another user was taken")
	}
}
