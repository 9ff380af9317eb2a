package tkthttp_test

import (
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Users and AllTokens narrow who gets in, for cookies, bearer tickets and
// guests alike; a valid ticket that fails them goes to the unauth URL.
func TestRequirement(t *testing.T) {
	timeouts := ticket.Config{Timeout: 2 * time.Hour, Refresh: 0.5}
	alice := "auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "alice", Tokens: "staff,admin"}, "", "")
	bob := "auth_tkt=" + mintCookie(t, timeouts, ticket.Ticket{UID: "bob", Tokens: "staff"}, "", "")
	users := tkthttp.Config{Ticket: timeouts, LoginURL: login, UnauthURL: "/denied", Users: []string{"alice", "carol"}}
	all := tkthttp.Config{Ticket: timeouts, LoginURL: login, AllTokens: []string{"staff", "admin"}}
	guests := users
	guests.GuestLogin = true
	denied := "/denied?" + backURL
	runCases(t, []caseSpec{
		{name: "user-listed", cfg: users, req: reqSpec{cookie: alice},
			want: outcome{Status: 200, Identity: wantID("alice", "staff,admin", "", testNow.Add(-time.Minute))}},
		{name: "user-not-listed", cfg: users, req: reqSpec{cookie: bob}, want: outcome{Status: 307, Location: denied}},
		{name: "all-tokens-held", cfg: all, req: reqSpec{cookie: alice},
			want: outcome{Status: 200, Identity: wantID("alice", "staff,admin", "", testNow.Add(-time.Minute))}},
		{name: "all-tokens-one-missing", cfg: all, req: reqSpec{cookie: bob},
			want: outcome{Status: 403, Body: "Forbidden: ticket lacks a required token\n"}},
		{name: "guest-meets-no-user-list", cfg: guests, req: reqSpec{}, want: outcome{Status: 307, Location: denied}},
		{name: "bearer-of-another-user", cfg: func() tkthttp.Config { c := users; c.BearerTickets = true; return c }(),
			req:  reqSpec{header: map[string]string{"Authorization": "Bearer " + bob[len("auth_tkt="):]}},
			want: outcome{Status: 403, Body: `{"error":"ticket lacks a required token"}` + "\n"}},
	})
	if _, err := tkthttp.New(tkthttp.Config{Ticket: ticket.Config{Secret: testSecret}, AllTokens: []string{"a,b"}}); err == nil {
		t.Error("a token with a comma accepted in AllTokens")
	}
}

func TestRequirementAdmits(t *testing.T) {
	tk := ticket.Ticket{UID: "alice", Tokens: "a,b"}
	for _, c := range []struct {
		q    tkthttp.Requirement
		want bool
	}{
		{tkthttp.Requirement{}, true},
		{tkthttp.Requirement{Tokens: []string{"x", "b"}}, true},
		{tkthttp.Requirement{Tokens: []string{"x"}}, false},
		{tkthttp.Requirement{AllTokens: []string{"a", "b"}}, true},
		{tkthttp.Requirement{AllTokens: []string{"a", "c"}}, false},
		{tkthttp.Requirement{Users: []string{"Alice"}}, false},
		{tkthttp.Requirement{Users: []string{"bob", "alice"}, Tokens: []string{"a"}, AllTokens: []string{"b"}}, true},
	} {
		if got := c.q.Admits(tk); got != c.want {
			t.Errorf("%+v admits alice(a,b): %v, want %v", c.q, got, c.want)
		}
	}
}
