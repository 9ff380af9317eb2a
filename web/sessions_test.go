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
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// sessionStore follows the sessions in the machine's Redis, under a key
// prefix of the test's own, as a tktd instance does; with its revocations,
// for "sign out everywhere".
func sessionStore(t testing.TB) (*shared.Sessions, *shared.Revocations) {
	t.Helper()
	url, prefix := redistest.Running(t)
	c, err := shared.Open(context.Background(), shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.Sessions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, c.Revocations(context.Background())
}

// sessionFixture is a portal with sessions (and revocation) on, its clock
// the real one: records are kept in real time.
func sessionFixture(t *testing.T) (*fixture, *shared.Sessions) {
	s, r := sessionStore(t)
	f := newFixture(t, func(o *Config) {
		o.Sessions = s
		o.Revocation = r
		o.Revoke = func(ctx context.Context, user string, at time.Time) error {
			_, err := r.Revoke(ctx, user, at)
			return err
		}
		o.Now = time.Now
	})
	f.now = time.Now()
	return f, s
}

// browserLogin logs alice in as a browser with a User-Agent, and returns
// her ticket cookie and the session it carries.
func browserLogin(t *testing.T, f *fixture, ua string) (*http.Cookie, string) {
	t.Helper()
	form := url.Values{"user": {"alice"}, "password": {alicePass}}
	w := f.do(req{method: http.MethodPost, target: "/login", form: form, cookies: []*http.Cookie{probe()}, header: map[string]string{"User-Agent": ua}})
	c := setCookie(w, "auth_tkt")
	if w.Code != http.StatusSeeOther || c == nil {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	res := verifyAs(t, f, c.Value, testClient)
	sid, _ := res.Tokens.Session()
	if ticket.CheckSessionID(sid) != nil || res.Tokens.Groups() != "admin,staff" {
		t.Fatalf("the ticket's tokens %q: want alice's groups and a session id", res.Tokens)
	}
	return c, sid
}

// A login records a session with the client's address and user agent,
// whose id the ticket carries; the portal shows the user's groups
// without it; logout ends it, and the ticket, replayed, is nobody's.
func TestPortalSessions(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method+" /logout", func(t *testing.T) {
			f, s := sessionFixture(t)
			ctx := context.Background()
			c, sid := browserLogin(t, f, "Mozilla/5.0 (X11) Firefox/140.0")
			recs, err := s.List(ctx, "alice")
			if err != nil || len(recs) != 1 {
				t.Fatalf("List: %+v, %v", recs, err)
			}
			if r := recs[0]; r.ID != sid || r.UserAgent != "Mozilla/5.0 (X11) Firefox/140.0" || r.Client != testClient || r.Tokens != "admin,staff" {
				t.Errorf("the record: %+v", r)
			}
			home := f.do(req{target: "/", cookies: []*http.Cookie{c}}).Body.String()
			if !strings.Contains(home, "signed in as") || strings.Contains(home, "tkt-sid") || !strings.Contains(home, `<span class="token">admin</span>`) {
				t.Errorf("home page: %s", home)
			}

			w := f.do(req{method: method, target: "/logout", form: url.Values{}, cookies: []*http.Cookie{c}})
			if w.Code != http.StatusOK || reasonOf(w.Body.String()) != string(reasonLoggedOut) {
				t.Fatalf("logout: %d %q", w.Code, reasonOf(w.Body.String()))
			}
			if got := s.Check(sid); !errors.Is(got, tkthttp.ErrSessionEnded) {
				t.Errorf("Check after logout: %v", got)
			}
			if recs, _ := s.List(ctx, "alice"); len(recs) != 0 {
				t.Errorf("records after logout: %+v", recs)
			}
			// The ticket, replayed, is nobody's.
			w = f.do(req{target: "/login", cookies: []*http.Cookie{c}})
			if reasonOf(w.Body.String()) != string(reasonEnded) {
				t.Errorf("GET /login with the ended session's ticket: reason %q", reasonOf(w.Body.String()))
			}
			if strings.Contains(f.do(req{target: "/", cookies: []*http.Cookie{c}}).Body.String(), "signed in as") {
				t.Error("home page with the ended session's ticket")
			}
		})
	}
}

// Sign out everywhere ends every session of the user (and revokes her
// tickets), not other users'.
func TestPortalSessionsEverywhere(t *testing.T) {
	f, s := sessionFixture(t)
	ctx := context.Background()
	c1, sid1 := browserLogin(t, f, "laptop")
	_, sid2 := browserLogin(t, f, "phone")
	bob, err := s.Create(ctx, shared.Session{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	w := f.do(req{method: http.MethodPost, target: "/logout", form: url.Values{"everywhere": {"1"}}, cookies: []*http.Cookie{c1}})
	if w.Code != http.StatusOK || reasonOf(w.Body.String()) != string(reasonLoggedOut) {
		t.Fatalf("sign out everywhere: %d %q\n%s", w.Code, reasonOf(w.Body.String()), f.logs)
	}
	for _, sid := range []string{sid1, sid2} {
		if !errors.Is(s.Check(sid), tkthttp.ErrSessionEnded) {
			t.Errorf("alice's session %s stands", sid)
		}
	}
	if err := s.Check(bob.ID); err != nil {
		t.Errorf("bob's session: %v", err)
	}
	if !strings.Contains(f.logs.String(), "sessions=2") {
		t.Errorf("log: %s", f.logs)
	}
}

// A ticket due for refresh keeps its session id when re-issued, with its
// groups as the store gives them now; the session is seen again. A ticket
// without a session id (tktctl mint, Apache's login page) is taken as it
// is.
func TestPortalSessionsRefresh(t *testing.T) {
	f, s := sessionFixture(t)
	ctx := context.Background()
	rec, err := s.Create(ctx, shared.Session{User: "alice", Tokens: "staff,admin"})
	if err != nil {
		t.Fatal(err)
	}
	f.opts.Renew = func(context.Context, ticket.Ticket) (ticket.Ticket, error) {
		return ticket.Ticket{UID: "alice", Tokens: "staff"}, nil
	}
	if err := f.p.Reload(f.opts); err != nil {
		t.Fatal(err)
	}
	old := ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("staff,admin").WithSession(rec.ID), Time: time.Now().Add(-90 * time.Minute)}
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // last seen moves on
	w := f.do(req{target: "/", cookies: []*http.Cookie{ticketCookie(f.ticketFor(old, testSecret))}})
	c := setCookie(w, "auth_tkt")
	if c == nil {
		t.Fatalf("not refreshed: %s", w.Body)
	}
	f.now = time.Now()
	res := verifyAs(t, f, c.Value, testClient)
	if sid, groups := res.Tokens.Session(); sid != rec.ID || groups != "staff" {
		t.Errorf("the refreshed ticket's tokens: %q, want staff and session %s", res.Tokens, rec.ID)
	}
	if recs, err := s.List(ctx, "alice"); err != nil || len(recs) != 1 || !recs[0].LastSeen.After(rec.LastSeen) {
		t.Errorf("the record after the refresh: %+v, %v; want last seen after %v", recs, err, rec.LastSeen)
	}

	plain := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice", Tokens: "staff"}, testSecret))
	if home := f.do(req{target: "/", cookies: []*http.Cookie{plain}}).Body.String(); !strings.Contains(home, "signed in as") {
		t.Errorf("a ticket without a session id: %s", home)
	}
	if w := f.do(req{method: http.MethodPost, target: "/logout", form: url.Values{}, cookies: []*http.Cookie{plain}}); w.Code != http.StatusOK {
		t.Errorf("logout with a ticket without a session id: %d", w.Code)
	}
}

// failingSessions is a session store whose Redis is away.
type failingSessions struct{ *shared.Sessions }

var errRedisDown = errors.New("redis: connection refused")

func (failingSessions) Create(context.Context, shared.Session) (shared.Session, error) {
	return shared.Session{}, errRedisDown
}
func (failingSessions) End(context.Context, ...string) ([]shared.Session, error) {
	return nil, errRedisDown
}
func (failingSessions) EndUser(context.Context, string) ([]shared.Session, error) {
	return nil, errRedisDown
}

// When the session cannot be recorded the login fails (a ticket that
// logout could not end is not handed out); when it cannot be ended the
// user is told, and signed out in the browser all the same.
func TestPortalSessionsUnavailable(t *testing.T) {
	s, _ := sessionStore(t)
	f := newFixture(t, func(o *Config) { o.Sessions = failingSessions{s} })
	w := f.login("alice", alicePass, "")
	if w.Code != http.StatusServiceUnavailable || reasonOf(w.Body.String()) != string(reasonNoSession) || setCookie(w, "auth_tkt") != nil {
		t.Errorf("login without a session store: %d %q", w.Code, reasonOf(w.Body.String()))
	}
	if !strings.Contains(f.logs.String(), "result=unavailable") || !strings.Contains(f.logs.String(), "connection refused") {
		t.Errorf("log: %s", f.logs)
	}
	withSID := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("staff").WithSession("LIVELIVELIVELIVELIVELI")}, testSecret))
	w = f.do(req{target: "/logout", cookies: []*http.Cookie{withSID}})
	if w.Code != http.StatusServiceUnavailable || reasonOf(w.Body.String()) != string(reasonNoLogout) || setCookie(w, "auth_tkt") == nil {
		t.Errorf("logout without a session store: %d %q, cookie deleted %v", w.Code, reasonOf(w.Body.String()), setCookie(w, "auth_tkt") != nil)
	}
	w = f.do(req{method: http.MethodPost, target: "/logout", form: url.Values{"everywhere": {"1"}}, cookies: []*http.Cookie{withSID}})
	if w.Code != http.StatusServiceUnavailable || reasonOf(w.Body.String()) != string(reasonNoEverywhere) {
		t.Errorf("sign out everywhere without a session store: %d %q", w.Code, reasonOf(w.Body.String()))
	}
	// Guests get no session: the login works.
	g := newFixture(t, func(o *Config) { o.Sessions = failingSessions{s}; o.Guest = GuestConfig{Enabled: true} })
	w = g.do(req{method: http.MethodPost, target: "/login", form: url.Values{"guest": {"1"}}, cookies: []*http.Cookie{probe()}})
	if c := setCookie(w, "auth_tkt"); w.Code != http.StatusSeeOther || c == nil || strings.Contains(string(verifyAs(t, g, c.Value, testClient).Tokens), "tkt-sid") {
		t.Errorf("guest login with sessions on: %d", w.Code)
	}
}

// /auth refuses a ticket whose session has ended, and tells the proxy the
// user's groups without the session token; HTTP Basic with issue_ticket
// records a session for the ticket it sends.
func TestForwardAuthSessions(t *testing.T) {
	s, _ := sessionStore(t)
	ctx := context.Background()
	_, cached := basicStore(t)
	f := newFAFixture(t, func(o *ForwardAuthConfig) {
		o.Sessions = s
		o.Basic = &BasicConfig{Passwords: basicPasswords(t, cached), IssueTicket: true, Sessions: s}
		o.Rules = []ForwardAuthRule{{Paths: []string{"/api"}, Basic: true}}
	})
	f.now = time.Now()
	rec, err := s.Create(ctx, shared.Session{User: "alice", Tokens: "staff,admin"})
	if err != nil {
		t.Fatal(err)
	}
	tkt := f.mint("alice", string(ticket.Tokens("staff,admin").WithSession(rec.ID)), "", testClient, time.Minute)
	w := f.nginx("https://app.example.com/page", tkt)
	if w.Code != http.StatusOK || strings.Join(identity(w), "|") != "alice|staff,admin|" {
		t.Fatalf("a live session: %d %q", w.Code, identity(w))
	}
	if _, err := s.End(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if w := f.nginx("https://app.example.com/page", tkt); w.Code != http.StatusUnauthorized {
		t.Errorf("an ended session: %d", w.Code)
	}
	if w := f.nginx("https://app.example.com/page", f.mint("alice", "staff", "", testClient, time.Minute)); w.Code != http.StatusOK {
		t.Errorf("a ticket without a session id: %d", w.Code)
	}

	h := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/api/x",
		"X-Forwarded-For": testClient, "Accept": "application/json", "Authorization": basicAuthHeader("bob", bobPass), "User-Agent": "backup-script/1.0"}
	w = f.ask("/auth", proxyAddr, h)
	c := setCookieOf(w, "auth_tkt")
	if w.Code != http.StatusOK || c == "" || identity(w)[0] != "bob" {
		t.Fatalf("HTTP Basic: %d %q", w.Code, identity(w))
	}
	recs, err := s.List(ctx, "bob")
	if err != nil || len(recs) != 1 || recs[0].UserAgent != "backup-script/1.0" {
		t.Fatalf("bob's sessions: %+v, %v", recs, err)
	}
	if w := f.nginx("https://app.example.com/page", c); w.Code != http.StatusOK {
		t.Errorf("HTTP Basic's ticket: %d", w.Code)
	}
	if _, err := s.EndUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if w := f.nginx("https://app.example.com/page", c); w.Code != http.StatusUnauthorized {
		t.Errorf("HTTP Basic's ticket after its session ended: %d", w.Code)
	}
}

// setCookieOf is the value of the Set-Cookie called name, "" for none.
func setCookieOf(w interface{ Result() *http.Response }, name string) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// A store's group named like a session token is no token: whoever names
// groups would otherwise hand out sessions.
func TestGroupsNamedLikeSessions(t *testing.T) {
	tokens, skipped := tokensOf([]string{"staff", "tkt-sid:AAAAAAAAAAAAAAAAAAAAAA", "admin"})
	if tokens != "staff,admin" || len(skipped) != 1 {
		t.Errorf("tokensOf: %q, skipped %q", tokens, skipped)
	}
}
