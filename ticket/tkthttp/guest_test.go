package tkthttp_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

func TestGuest(t *testing.T) {
	timeouts := ticket.Config{Timeout: time.Hour}
	expired := "auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "alice", Time: testNow.Add(-2 * time.Hour)}, "", "")
	valid := "auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "alice"}, "", "")
	hex := func(n int) string { return "[0-9a-f-]{" + strconv.Itoa(n) + "}" }
	for _, c := range []struct {
		name string
		cfg  tkthttp.Config
		req  reqSpec
		// user matches the guest name; "" with status 200 means the empty name.
		status  int
		user    string
		guest   bool
		cookies []string // names and values (ticketText or "" for a deletion) of Set-Cookie, as regexps
		loc     string
	}{
		{name: "default-name", cfg: tkthttp.Config{GuestLogin: true}, status: 200, user: "guest", guest: true},
		{name: "login-url-too", cfg: tkthttp.Config{GuestLogin: true, LoginURL: login}, status: 200, user: "guest", guest: true},
		{name: "uuid", cfg: tkthttp.Config{GuestLogin: true, GuestUser: "visitor-%U-x"}, status: 200,
			user: "visitor-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-x", guest: true},
		{name: "uuid-prefix-12", cfg: tkthttp.Config{GuestLogin: true, GuestUser: "guest-%12U"}, status: 200, user: "guest-" + hex(12), guest: true},
		// The module drops a one-character prefix ("g%8U" gives 8 hex digits).
		{name: "uuid-one-char-prefix-kept", cfg: tkthttp.Config{GuestLogin: true, GuestUser: "g%8U"}, status: 200, user: "g" + hex(8), guest: true},
		{name: "uuid-length-clamped", cfg: tkthttp.Config{GuestLogin: true, GuestUser: "%99U"}, status: 200, user: hex(36), guest: true},
		{name: "empty-name", cfg: tkthttp.Config{GuestLogin: true, GuestEmpty: true}, status: 200, user: "", guest: true},
		{name: "guest-cookie", cfg: tkthttp.Config{GuestLogin: true, GuestUser: "guest-%12U", GuestCookie: true}, status: 200,
			user: "guest-" + hex(12), guest: true, cookies: []string{`auth_tkt=ticket guest-` + hex(12) + `!tkt-guest!@` + strconv.Itoa(int(testNow.Unix()))}},
		{name: "valid-ticket-wins", cfg: tkthttp.Config{GuestLogin: true, Ticket: timeouts}, req: reqSpec{cookie: valid}, status: 200, user: "alice"},
		{name: "expired-no-fallback", cfg: tkthttp.Config{GuestLogin: true, Ticket: timeouts, LoginURL: login}, req: reqSpec{cookie: expired},
			status: 307, loc: login + "?" + backURL, cookies: []string{"auth_tkt="}},
		{name: "expired-fallback", cfg: tkthttp.Config{GuestLogin: true, GuestFallback: true, Ticket: timeouts, LoginURL: login}, req: reqSpec{cookie: expired},
			status: 200, user: "guest", guest: true, cookies: []string{"auth_tkt="}},
		// The guest ticket replaces the expired one: no deletion besides it.
		{name: "expired-fallback-guest-cookie", cfg: tkthttp.Config{GuestLogin: true, GuestFallback: true, GuestCookie: true, Ticket: timeouts}, req: reqSpec{cookie: expired},
			status: 200, user: "guest", guest: true, cookies: []string{"auth_tkt=ticket guest!tkt-guest!@" + strconv.Itoa(int(testNow.Unix()))}},
		{name: "bad-ticket-makes-guest", cfg: tkthttp.Config{GuestLogin: true}, req: reqSpec{cookie: "auth_tkt=nonsense"}, status: 200, user: "guest", guest: true},
		// A guest has no tokens: a location that requires one refuses it
		// before any guest ticket is issued.
		{name: "tokens-required", cfg: tkthttp.Config{GuestLogin: true, GuestCookie: true, LoginURL: login, UnauthURL: login + "/unauth",
			Ticket: ticket.Config{Tokens: []string{"admin"}}}, status: 307, loc: login + "/unauth?" + backURL},
		{name: "tokens-required-expired-fallback", cfg: tkthttp.Config{GuestLogin: true, GuestFallback: true,
			Ticket: ticket.Config{Timeout: time.Hour, Tokens: []string{"admin"}}}, req: reqSpec{cookie: expired}, status: 403, cookies: []string{"auth_tkt="}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := serve(t, mustNew(t, c.cfg), c.cfg, c.req)
			if got.Status != c.status || got.Location != c.loc {
				t.Fatalf("status %d, Location %q; want %d, %q", got.Status, got.Location, c.status, c.loc)
			}
			var cookies []string
			for _, ck := range got.Cookies {
				cookies = append(cookies, ck.Name+"="+ck.Value)
			}
			if len(cookies) != len(c.cookies) {
				t.Fatalf("cookies %q, want %q", cookies, c.cookies)
			}
			for i := range cookies {
				if !regexp.MustCompile("^" + c.cookies[i] + "$").MatchString(cookies[i]) {
					t.Errorf("cookie %q, want %q", cookies[i], c.cookies[i])
				}
			}
			if c.status != 200 {
				return
			}
			if got.Identity == nil {
				t.Fatal("next handler did not run")
			}
			if !regexp.MustCompile("^"+c.user+"$").MatchString(got.Identity.UID) || got.Identity.Guest != c.guest {
				t.Errorf("identity %+v, want user %q, guest %v", got.Identity, c.user, c.guest)
			}
			if c.guest && (got.Identity.Tokens != "" || got.Identity.Data != "") {
				t.Errorf("guest with tokens or data: %+v", got.Identity)
			}
		})
	}
}

// Each guest gets a name of its own.
func TestGuestNamesDiffer(t *testing.T) {
	cfg := tkthttp.Config{GuestLogin: true, GuestUser: "g-%U"}
	m := mustNew(t, cfg)
	seen := map[string]bool{}
	for range 50 {
		got := serve(t, m, cfg, reqSpec{})
		if got.Identity == nil || seen[got.Identity.UID] {
			t.Fatalf("repeated or missing guest name: %+v", got.Identity)
		}
		seen[got.Identity.UID] = true
	}
}

// The guest ticket, presented again, keeps the guest's name, and the
// guest stays a guest: the ticket's guest token is not among its tokens.
func TestGuestCookieRoundTrip(t *testing.T) {
	cfg := tkthttp.Config{GuestLogin: true, GuestUser: "guest-%8U", GuestCookie: true}
	m := mustNew(t, cfg)
	cookie := guestCookie(t, m)
	got := serve(t, m, cfg, reqSpec{cookie: cookie})
	want := outcome{Status: 200, Identity: got.Identity}
	if got.Identity != nil {
		want.Identity = &tkthttp.Identity{Ticket: ticket.Ticket{UID: got.Identity.UID, Time: testNow}, Guest: true}
	}
	if d := cmp.Diff(want, got); d != "" || got.Identity == nil {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// guestCookie is the Cookie header of the guest ticket m issues.
func guestCookie(t *testing.T, m *tkthttp.Middleware) string {
	t.Helper()
	cookies := serveRaw(m, reqSpec{}).Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	return "auth_tkt=" + cookies[0].Value
}

// A guest ticket is no login where guests are not let in: the browser is
// sent to log in as with no ticket (the cookie stays: it is good where it
// came from), a bearer guest ticket is refused, and a rule that needs a
// token refuses it as no ticket too, not as a user without the token.
func TestGuestTicketElsewhere(t *testing.T) {
	cookie := guestCookie(t, mustNew(t, tkthttp.Config{GuestLogin: true, GuestUser: "guest-%8U", GuestCookie: true}))
	runCases(t, []caseSpec{
		{name: "no-tokens-needed", cfg: tkthttp.Config{LoginURL: login}, req: reqSpec{cookie: cookie},
			want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "tokens-needed", cfg: tkthttp.Config{LoginURL: login, UnauthURL: login + "/unauth", Ticket: ticket.Config{Tokens: []string{"staff"}}},
			req: reqSpec{cookie: cookie}, want: outcome{Status: 307, Location: login + "?" + backURL}},
		{name: "guest-ticket-and-users", cfg: tkthttp.Config{LoginURL: login}, req: reqSpec{cookie: cookie + "; auth_tkt=" +
			mintCookie(t, ticket.Config{}, ticket.Ticket{UID: "alice", Tokens: "staff"}, "", "")},
			want: outcome{Status: 200, Identity: wantID("alice", "staff", "", testNow.Add(-time.Minute))}},
	})
	m := mustNew(t, tkthttp.Config{BearerTickets: true})
	value := strings.TrimPrefix(cookie, "auth_tkt=")
	got := serve(t, m, tkthttp.Config{}, reqSpec{header: map[string]string{"Authorization": "Bearer " + value}})
	if got.Status != 401 || got.Identity != nil {
		t.Errorf("bearer guest ticket: %d, %+v; want 401", got.Status, got.Identity)
	}
}

// A guest ticket due for refresh is re-issued as a guest's.
func TestGuestTicketRefresh(t *testing.T) {
	cfg := tkthttp.Config{GuestLogin: true, Ticket: ticket.Config{Timeout: time.Hour, Refresh: 0.5}}
	old := "auth_tkt=" + mintCookie(t, cfg.Ticket, ticket.Ticket{UID: "guest-0123abcd", Tokens: ticket.GuestToken, Time: testNow.Add(-40 * time.Minute)}, "", "")
	got := serve(t, mustNew(t, cfg), cfg, reqSpec{cookie: old})
	if got.Identity == nil || !got.Identity.Guest || got.Identity.UID != "guest-0123abcd" || got.Identity.Tokens != "" {
		t.Fatalf("identity %+v, want the guest", got.Identity)
	}
	want := ticketText(ticket.Ticket{UID: "guest-0123abcd", Tokens: ticket.GuestToken, Time: testNow})
	if len(got.Cookies) != 1 || got.Cookies[0].Value != want {
		t.Errorf("cookies %+v, want one saying %q", got.Cookies, want)
	}
}

// Match knows every name Generate makes, and nothing else.
func TestGuestUserMatch(t *testing.T) {
	for _, c := range []struct {
		pattern string
		match   []string
		other   []string
	}{
		{"guest", []string{"guest"}, []string{"", "guest1", "Guest", "xguest"}},
		{"visitor-%U-x", nil, []string{"visitor--x", "visitor-0123456789abcdef-x", "visitor-ABCDEF12-3456-4789-8abc-def012345678-x",
			"visitor-0123456701234-4567-89ab-0123456789ab-x"}},
		{"g%8U", []string{"g0123abcd"}, []string{"g0123abc", "g0123abcde", "g0123ABCD", "g0123-bcd", "0123abcd"}},
		{"%12U@guests", []string{"0123abcd-4ef@guests"}, []string{"0123abcd4ef0@guests", "0123abcd-4ef"}},
	} {
		g, err := tkthttp.ParseGuestUser(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			c.match = append(c.match, g.Generate())
		}
		for _, uid := range c.match {
			if !g.Match(uid) {
				t.Errorf("%q: Match(%q) = false, want true", c.pattern, uid)
			}
		}
		for _, uid := range c.other {
			if g.Match(uid) {
				t.Errorf("%q: Match(%q) = true, want false", c.pattern, uid)
			}
		}
	}
}
