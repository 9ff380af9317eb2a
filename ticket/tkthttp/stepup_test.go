package tkthttp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// A location with MaxAuthAge lets a recent login through, with its auth
// time and session id out of the tokens, and sends an older one (or a
// ticket that records none) back to the login page with reason=reauth,
// keeping the ticket.
func TestMaxAuthAge(t *testing.T) {
	issued := testNow.Add(-time.Minute)
	mint := func(tokens ticket.Tokens) string {
		return "auth_tkt=" + mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "alice", Tokens: tokens, Data: "d", Time: issued}, "", "")
	}
	authAgo := func(d time.Duration) ticket.Tokens {
		return ticket.Tokens("staff").WithAuthTime(testNow.Add(-d)).WithSession(liveSID)
	}
	recent, boundary, old := mint(authAgo(5*time.Minute)), mint(authAgo(15*time.Minute)), mint(authAgo(15*time.Minute+time.Second))
	none := mint("staff")
	json := map[string]string{"Accept": "application/json"}
	cfg := func(age time.Duration, tokens ...string) tkthttp.Config {
		return tkthttp.Config{LoginURL: login, MaxAuthAge: age, Ticket: ticket.Config{Tokens: tokens}}
	}
	id := func(d time.Duration) *tkthttp.Identity {
		w := wantID("alice", "staff", "d", issued)
		w.Session, w.AuthTime = liveSID, testNow.Add(-d)
		return w
	}
	stepUp := outcome{Status: 307, Location: login + "?reason=reauth&" + backURL}
	runCases(t, []caseSpec{
		{name: "recent", cfg: cfg(15 * time.Minute), req: reqSpec{cookie: recent}, want: outcome{Status: 200, Identity: id(5 * time.Minute)}},
		{name: "exactly max age", cfg: cfg(15 * time.Minute), req: reqSpec{cookie: boundary}, want: outcome{Status: 200, Identity: id(15 * time.Minute)}},
		{name: "a second older", cfg: cfg(15 * time.Minute), req: reqSpec{cookie: old}, want: stepUp},
		{name: "no auth time: infinitely old", cfg: cfg(15 * time.Minute), req: reqSpec{cookie: none}, want: stepUp},
		{name: "no max age: any login", cfg: cfg(0), req: reqSpec{cookie: old}, want: outcome{Status: 200, Identity: id(15*time.Minute + time.Second)}},
		{name: "api client", cfg: cfg(15 * time.Minute), req: reqSpec{cookie: old, header: json},
			want: outcome{Status: 401, Body: `{"error":"login too old: confirm it's you"}` + "\n"}},
		{name: "login URL with a query", cfg: tkthttp.Config{LoginURL: login + "?site=a", MaxAuthAge: time.Minute}, req: reqSpec{cookie: old},
			want: outcome{Status: 307, Location: login + "?site=a&reason=reauth&" + backURL}},
		{name: "no login URL", cfg: tkthttp.Config{MaxAuthAge: time.Minute}, req: reqSpec{cookie: old},
			want: outcome{Status: 401, Body: "Unauthorized: login too old: confirm it's you\n"}},
		// A missing token is not mended by signing in again: 403 first.
		{name: "old and lacking a token", cfg: cfg(time.Minute, "admin"), req: reqSpec{cookie: old}, want: outcome{Status: 403, Body: "Forbidden: ticket lacks a required token\n"}},
	})

	m := mustNew(t, tkthttp.Config{BearerTickets: true, MaxAuthAge: 15 * time.Minute})
	bearer := func(c string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + strings.TrimPrefix(c, "auth_tkt=")}
	}
	rec := serveRaw(m, reqSpec{header: bearer(old)})
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Bearer error="insufficient_user_authentication", error_description="login too old: confirm it's you", max_age=900` {
		t.Errorf("old bearer ticket: %d, WWW-Authenticate %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	if rec := serveRaw(m, reqSpec{header: bearer(recent)}); rec.Code != 200 {
		t.Errorf("recent bearer ticket: %d %s", rec.Code, rec.Body)
	}
	if _, err := tkthttp.New(withDefaults(tkthttp.Config{MaxAuthAge: -time.Second})); err == nil || !strings.Contains(err.Error(), "max auth age -1s is negative") {
		t.Errorf("negative max auth age: %v", err)
	}
}

// A session kept busy through the middleware is refreshed, its auth time
// and session id kept through Renew, until auth time + MaxLifetime; the
// last cookie ends exactly there, and the next request goes to log in.
func TestMaxLifetimeThroughMiddleware(t *testing.T) {
	const (
		timeout  = 10 * time.Minute
		lifetime = time.Hour
	)
	login0 := testNow
	now := login0
	renewals := 0
	cfg := tkthttp.Config{
		LoginURL: login,
		Ticket:   ticket.Config{Timeout: timeout, Refresh: 0.5, MaxLifetime: lifetime},
		Now:      func() time.Time { return now },
		// The store's word: other groups, and a try at forging the
		// reserved tokens, which Apply must not let through.
		Renew: func(_ context.Context, tk ticket.Ticket) (ticket.Ticket, error) {
			renewals++
			if tk.Tokens != "staff" && tk.Tokens != "staff,admin" {
				return ticket.Ticket{}, errors.New("Renew saw reserved tokens: " + string(tk.Tokens))
			}
			tk.Tokens = "staff,admin,tkt-auth:1,tkt-sid:forged"
			return tk, nil
		},
		Sessions: &sessions{},
	}
	m := mustNew(t, cfg)
	start := ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("staff").WithSession(liveSID), Time: login0}.Authenticated(login0)
	cookie := "auth_tkt=" + mintCookie(t, cfg.Ticket, start, "", "")
	refreshes := 0
	var lastEnd time.Time
	for ; ; now = now.Add(6 * time.Minute) {
		rec := serveRaw(m, reqSpec{cookie: cookie})
		if rec.Code != 200 {
			if rec.Code != 307 || !strings.HasPrefix(rec.Header().Get("Location"), login+"?") {
				t.Fatalf("at +%v: %d %q", now.Sub(login0), rec.Code, rec.Header().Get("Location"))
			}
			break
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name != "auth_tkt" {
				continue
			}
			cookie = "auth_tkt=" + c.Value
			refreshes++
			v, err := ticket.NewVerifier(ticket.Config{Secret: testSecret})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(c.Value, parseAddr(t, "192.0.2.10:1"), now)
			if err != nil {
				t.Fatal(err)
			}
			if at, ok := res.Tokens.AuthTime(); !ok || !at.Equal(login0) {
				t.Fatalf("refresh at +%v lost the auth time: %q", now.Sub(login0), res.Tokens)
			}
			if sid, _ := res.Tokens.Session(); sid != liveSID || res.Tokens.Groups() != "staff,admin" {
				t.Fatalf("refresh at +%v: tokens %q, want the store's groups, the session kept", now.Sub(login0), res.Tokens)
			}
			lastEnd = res.Time.Add(timeout)
			if lastEnd.After(login0.Add(lifetime)) {
				t.Fatalf("refresh at +%v: the ticket lives until +%v", now.Sub(login0), lastEnd.Sub(login0))
			}
		}
	}
	if refreshes < 5 || renewals != refreshes {
		t.Errorf("%d refreshes, %d renewals", refreshes, renewals)
	}
	if !lastEnd.Equal(login0.Add(lifetime)) {
		t.Errorf("the last ticket ends at +%v, want +%v", lastEnd.Sub(login0), lifetime)
	}
	if now.Before(login0.Add(lifetime)) {
		t.Errorf("sent to log in at +%v, before the cap", now.Sub(login0))
	}
}
