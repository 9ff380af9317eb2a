package ticket_test

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/ticket"
)

func TestMiddlewareGuest(t *testing.T) {
	timeouts := ticket.Config{Timeout: time.Hour}
	expired := "auth_tkt=" + mwMint(t, timeouts, ticket.Ticket{UID: "alice", Time: mwNow.Add(-2 * time.Hour)}, "", "")
	valid := "auth_tkt=" + mwMint(t, timeouts, ticket.Ticket{UID: "alice"}, "", "")
	hex := func(n int) string { return "[0-9a-f-]{" + strconv.Itoa(n) + "}" }
	for _, c := range []struct {
		name string
		cfg  ticket.MiddlewareConfig
		req  mwReq
		// user matches the guest name; "" with status 200 means the empty name.
		status  int
		user    string
		guest   bool
		cookies []string // names and values (mwTicketText or "" for a deletion) of Set-Cookie, as regexps
		loc     string
	}{
		{name: "default-name", cfg: ticket.MiddlewareConfig{GuestLogin: true}, status: 200, user: "guest", guest: true},
		{name: "login-url-too", cfg: ticket.MiddlewareConfig{GuestLogin: true, LoginURL: login}, status: 200, user: "guest", guest: true},
		{name: "uuid", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "visitor-%U-x"}, status: 200,
			user: "visitor-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-x", guest: true},
		{name: "uuid-prefix-12", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "guest-%12U"}, status: 200, user: "guest-" + hex(12), guest: true},
		// The module drops a one-character prefix ("g%8U" gives 8 hex digits).
		{name: "uuid-one-char-prefix-kept", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "g%8U"}, status: 200, user: "g" + hex(8), guest: true},
		{name: "uuid-length-clamped", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "%99U"}, status: 200, user: hex(36), guest: true},
		{name: "empty-name", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestEmpty: true}, status: 200, user: "", guest: true},
		{name: "guest-cookie", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "guest-%12U", GuestCookie: true}, status: 200,
			user: "guest-" + hex(12), guest: true, cookies: []string{`auth_tkt=ticket guest-` + hex(12) + `!!@` + strconv.Itoa(int(mwNow.Unix()))}},
		{name: "valid-ticket-wins", cfg: ticket.MiddlewareConfig{GuestLogin: true, Ticket: timeouts}, req: mwReq{cookie: valid}, status: 200, user: "alice"},
		{name: "expired-no-fallback", cfg: ticket.MiddlewareConfig{GuestLogin: true, Ticket: timeouts, LoginURL: login}, req: mwReq{cookie: expired},
			status: 307, loc: login + "?" + backURL, cookies: []string{"auth_tkt="}},
		{name: "expired-fallback", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestFallback: true, Ticket: timeouts, LoginURL: login}, req: mwReq{cookie: expired},
			status: 200, user: "guest", guest: true, cookies: []string{"auth_tkt="}},
		// The guest ticket replaces the expired one: no deletion besides it.
		{name: "expired-fallback-guest-cookie", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestFallback: true, GuestCookie: true, Ticket: timeouts}, req: mwReq{cookie: expired},
			status: 200, user: "guest", guest: true, cookies: []string{"auth_tkt=ticket guest!!@" + strconv.Itoa(int(mwNow.Unix()))}},
		{name: "bad-ticket-makes-guest", cfg: ticket.MiddlewareConfig{GuestLogin: true}, req: mwReq{cookie: "auth_tkt=nonsense"}, status: 200, user: "guest", guest: true},
		// A guest has no tokens: a location that requires one refuses it
		// before any guest ticket is issued.
		{name: "tokens-required", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestCookie: true, LoginURL: login, UnauthURL: login + "/unauth",
			Ticket: ticket.Config{Tokens: []string{"admin"}}}, status: 307, loc: login + "/unauth?" + backURL},
		{name: "tokens-required-expired-fallback", cfg: ticket.MiddlewareConfig{GuestLogin: true, GuestFallback: true,
			Ticket: ticket.Config{Timeout: time.Hour, Tokens: []string{"admin"}}}, req: mwReq{cookie: expired}, status: 403, cookies: []string{"auth_tkt="}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := mwServe(t, mwNew(t, c.cfg), c.cfg, c.req)
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
func TestMiddlewareGuestNamesDiffer(t *testing.T) {
	cfg := ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "g-%U"}
	m := mwNew(t, cfg)
	seen := map[string]bool{}
	for range 50 {
		got := mwServe(t, m, cfg, mwReq{})
		if got.Identity == nil || seen[got.Identity.UID] {
			t.Fatalf("repeated or missing guest name: %+v", got.Identity)
		}
		seen[got.Identity.UID] = true
	}
}

// The guest ticket, presented again, makes the same user a regular one.
func TestMiddlewareGuestCookieRoundTrip(t *testing.T) {
	cfg := ticket.MiddlewareConfig{GuestLogin: true, GuestUser: "guest-%8U", GuestCookie: true}
	m := mwNew(t, cfg)
	rec := mwServeRaw(m, mwReq{})
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	got := mwServe(t, m, cfg, mwReq{cookie: "auth_tkt=" + cookies[0].Value})
	want := mwOut{Status: 200, Identity: got.Identity}
	if got.Identity != nil {
		want.Identity = &ticket.Identity{Ticket: ticket.Ticket{UID: got.Identity.UID, Time: mwNow}}
	}
	if d := cmp.Diff(want, got); d != "" || got.Identity == nil || got.Identity.Guest {
		t.Errorf("(-want +got):\n%s", d)
	}
}
