package tkthttp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

const (
	liveSID  = "LIVELIVELIVELIVELIVELI"
	endedSID = "ENDEDENDEDENDEDENDEDEN"
)

// sessions is a Sessions over fixed sets: ended ids, ids Extend does not
// know, and an outage switch. It records what it was asked.
type sessions struct {
	ended   map[string]bool
	unknown map[string]bool
	down    bool

	mu       sync.Mutex
	checked  []string
	extended []string
}

func (s *sessions) Check(sid string) error {
	s.mu.Lock()
	s.checked = append(s.checked, sid)
	s.mu.Unlock()
	switch {
	case s.down:
		return errors.New("redis: connection refused")
	case s.ended[sid], sid == "":
		return tkthttp.ErrSessionEnded
	}
	return nil
}

func (s *sessions) Extend(_ context.Context, uid, sid string) error {
	s.mu.Lock()
	s.extended = append(s.extended, uid+" "+sid)
	s.mu.Unlock()
	if s.down || s.unknown[sid] || s.ended[sid] {
		return errors.New("no such session")
	}
	return nil
}

func withSID(tokens, sid string) ticket.Tokens { return ticket.Tokens(tokens).WithSession(sid) }

func TestSessions(t *testing.T) {
	issued := testNow.Add(-time.Minute)
	mint := func(tokens ticket.Tokens) string {
		return mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "alice", Tokens: tokens, Data: "d", Time: issued}, "", "")
	}
	live := "auth_tkt=" + mint(withSID("staff", liveSID))
	ended := "auth_tkt=" + mint(withSID("staff", endedSID))
	none := "auth_tkt=" + mint("staff")
	empty := "auth_tkt=" + mint("staff,tkt-sid:")
	json := map[string]string{"Accept": "application/json"}
	st := &sessions{ended: map[string]bool{endedSID: true}}
	down := &sessions{down: true}
	cfg := func(s tkthttp.Sessions, tokens ...string) tkthttp.Config {
		return tkthttp.Config{LoginURL: login, BearerTickets: true, Sessions: s, Ticket: ticket.Config{Tokens: tokens}}
	}
	liveID := wantID("alice", "staff", "d", issued)
	liveID.Session = liveSID
	wantLogin := outcome{Status: 307, Location: login + "?" + backURL, Cookies: []cookieSpec{deletedCookie("auth_tkt")}}
	runCases(t, []caseSpec{
		{name: "live: the id out of the tokens", cfg: cfg(st), req: reqSpec{cookie: live}, want: outcome{Status: 200, Identity: liveID}},
		{name: "live, token required", cfg: cfg(st, "staff"), req: reqSpec{cookie: live}, want: outcome{Status: 200, Identity: liveID}},
		{name: "ended", cfg: cfg(st), req: reqSpec{cookie: ended}, want: wantLogin},
		{name: "ended, api client", cfg: cfg(st), req: reqSpec{cookie: ended, header: json},
			want: outcome{Status: 401, Body: `{"error":"session ended"}` + "\n", Cookies: []cookieSpec{deletedCookie("auth_tkt")}}},
		{name: "ended, bearer", cfg: cfg(st), req: reqSpec{header: map[string]string{"Authorization": "Bearer " + strings.TrimPrefix(ended, "auth_tkt=")}},
			want: outcome{Status: 401, Body: `{"error":"session ended"}` + "\n"}},
		{name: "an empty id is no session", cfg: cfg(st), req: reqSpec{cookie: empty}, want: wantLogin},
		{name: "no session id: not asked", cfg: cfg(down), req: reqSpec{cookie: none},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "d", issued)}},
		{name: "state unknown: 503, the cookie kept", cfg: cfg(down), req: reqSpec{cookie: live, header: json},
			want: outcome{Status: 503, Body: `{"error":"session state unavailable"}` + "\n"}},
		// Without Sessions, the signature alone counts, as at Apache; the
		// id still stays out of the application's tokens.
		{name: "no Sessions", cfg: cfg(nil), req: reqSpec{cookie: ended},
			want: outcome{Status: 200, Identity: &tkthttp.Identity{Ticket: ticket.Ticket{UID: "alice", Tokens: "staff", Data: "d", Time: issued}, Session: endedSID}}},
	})
	if len(down.checked) == 0 || strings.Join(down.checked, ",") != liveSID {
		t.Errorf("Check asked about %q, want the live ticket's id alone", down.checked)
	}
}

// A ticket due for refresh keeps its session id, whatever the renewal
// says; its session is extended first, and a session that cannot be
// extended costs the refresh, never the request.
func TestSessionsReissue(t *testing.T) {
	timeouts := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	old := ticket.Ticket{UID: "alice", Tokens: withSID("staff,admin", liveSID), Data: "d", Time: testNow.Add(-90 * time.Minute)}
	cookie := "auth_tkt=" + mintCookie(t, timeouts, old, "", "")
	// A renewal sees no session token, and cannot make one up.
	renew := func(_ context.Context, got ticket.Ticket) (ticket.Ticket, error) {
		if sid, _ := got.Tokens.Session(); sid != "" {
			return ticket.Ticket{}, errors.New("the renewal saw the session token")
		}
		return ticket.Ticket{UID: "alice", Tokens: withSID("staff", "MADEUPMADEUPMADEUPMADE"), Data: "new"}, nil
	}
	reissued := func(tokens ticket.Tokens, data string) []cookieSpec {
		return []cookieSpec{baseCookie("auth_tkt", ticketText(ticket.Ticket{UID: "alice", Tokens: tokens, Data: data, Time: testNow}))}
	}
	id := func(tokens, data string) *tkthttp.Identity {
		w := wantID("alice", tokens, data, old.Time)
		w.Session = liveSID
		return w
	}
	st := &sessions{unknown: map[string]bool{}}
	unknown := &sessions{unknown: map[string]bool{liveSID: true}}
	runCases(t, []caseSpec{
		{name: "as it is", cfg: tkthttp.Config{Ticket: timeouts, Sessions: st}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: id("staff,admin", "d"), Cookies: reissued(old.Tokens, "d")}},
		{name: "renewed", cfg: tkthttp.Config{Ticket: timeouts, Sessions: st, Renew: renew}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: id("staff", "new"), Cookies: reissued(withSID("staff", liveSID), "new")}},
		{name: "renewed without Sessions", cfg: tkthttp.Config{Ticket: timeouts, Renew: renew}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: id("staff", "new"), Cookies: reissued(withSID("staff", liveSID), "new")}},
		{name: "session gone: not re-issued", cfg: tkthttp.Config{Ticket: timeouts, Sessions: unknown, Renew: renew}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 200, Identity: id("staff,admin", "d")}},
	})
	if want := "alice " + liveSID; len(st.extended) != 2 || st.extended[0] != want || st.extended[1] != want {
		t.Errorf("Extend asked %q, want %q twice", st.extended, want)
	}

	// PrepareReissue, for front ends that re-issue tickets themselves.
	ctx := context.Background()
	if got, err := tkthttp.PrepareReissue(ctx, renew, st, old); err != nil || got.Tokens != withSID("staff", liveSID) || !got.Time.Equal(old.Time) {
		t.Errorf("PrepareReissue: %+v, %v", got, err)
	}
	if _, err := tkthttp.PrepareReissue(ctx, nil, unknown, old); err == nil {
		t.Error("PrepareReissue of a session Extend does not know: no error")
	}
	plain := old
	plain.Tokens = "staff"
	if got, err := tkthttp.PrepareReissue(ctx, nil, &sessions{down: true}, plain); err != nil || got != plain {
		t.Errorf("PrepareReissue of a ticket without a session: %+v, %v; want it as it is, Sessions not asked", got, err)
	}
}

// The errors of a Sessions check are those of a revocation, with words of
// their own.
func TestSessionErrors(t *testing.T) {
	if !errors.Is(tkthttp.ErrSessionEnded, tkthttp.ErrRevoked) || tkthttp.ErrSessionEnded.Error() != "session ended" {
		t.Errorf("ErrSessionEnded: %v", tkthttp.ErrSessionEnded)
	}
	if !errors.Is(tkthttp.ErrSessionsUnavailable, tkthttp.ErrRevocationUnavailable) || errors.Is(tkthttp.ErrSessionsUnavailable, tkthttp.ErrRevoked) {
		t.Errorf("ErrSessionsUnavailable: %v", tkthttp.ErrSessionsUnavailable)
	}
}

// CheckRevoked is the middleware's question, for front ends that read
// tickets themselves: the revocation first, then the session.
func TestCheckRevoked(t *testing.T) {
	issued := testNow.Add(-time.Minute)
	alice := ticket.Ticket{UID: "alice", Tokens: withSID("staff", endedSID), Time: issued}
	revoked := marks{user: map[string]time.Time{"alice": testNow}}
	st := &sessions{ended: map[string]bool{endedSID: true}}
	for _, c := range []struct {
		name string
		r    tkthttp.Revocation
		s    tkthttp.Sessions
		t    ticket.Ticket
		want error
	}{
		{"neither", nil, nil, alice, nil},
		{"revoked", revoked, st, alice, tkthttp.ErrRevoked},
		{"session ended", marks{}, st, alice, tkthttp.ErrSessionEnded},
		{"no session", marks{}, &sessions{down: true}, ticket.Ticket{UID: "alice", Tokens: "staff", Time: issued}, nil},
		{"revocation down", marks{down: true}, st, alice, tkthttp.ErrRevocationUnavailable},
		{"sessions down", marks{}, &sessions{down: true}, alice, tkthttp.ErrSessionsUnavailable},
	} {
		err := tkthttp.CheckRevoked(c.r, c.s, c.t)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
