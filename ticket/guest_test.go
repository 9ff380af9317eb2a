package ticket_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

var guestTicket = ticket.Ticket{UID: "guest-3f2a", Tokens: ticket.GuestToken, Time: t0}

// The guest token is reserved: no location may require it (it would
// admit anyone), and validators pass on the user's groups without it.
func TestGuestTokenReserved(t *testing.T) {
	if err := ticket.CheckRequiredToken(ticket.GuestToken); !errors.Is(err, ticket.ErrInvalid) {
		t.Errorf("CheckRequiredToken(%q) = %v, want ErrInvalid", ticket.GuestToken, err)
	}
	if err := ticket.CheckRequiredToken("tkt-guests"); err != nil {
		t.Errorf("CheckRequiredToken(tkt-guests) = %v: only the token itself is reserved", err)
	}
	if _, err := ticket.NewVerifier(ticket.Config{Secret: benchSecret, Tokens: []string{ticket.GuestToken}}); err == nil {
		t.Error("NewVerifier takes the guest token as a required token")
	}
	if got, want := ticket.Tokens(ticket.GuestToken).WithAuthTime(t0), ticket.Tokens(ticket.GuestToken+","+authTok); got != want {
		t.Errorf("WithAuthTime on a guest's tokens = %q, want %q: a guest stays one", got, want)
	}
	for _, c := range []struct{ tokens, groups string }{
		{ticket.GuestToken, ""},
		{"staff," + ticket.GuestToken, "staff"},
		{ticket.GuestToken + ",staff", "staff"},
		{"staff," + ticket.GuestToken + ",tkt-sid:" + sid, "staff"},
		{"tkt-guests,staff", "tkt-guests,staff"},
	} {
		if got := ticket.Tokens(c.tokens).Groups(); string(got) != c.groups {
			t.Errorf("Tokens(%q).Groups() = %q, want %q", c.tokens, got, c.groups)
		}
		if got, want := ticket.Tokens(c.tokens).Guest(), c.tokens != "tkt-guests,staff"; got != want {
			t.Errorf("Tokens(%q).Guest() = %v, want %v", c.tokens, got, want)
		}
	}
}

// A guest's ticket is no login where guests are not let in: refused
// before its time is looked at, with nothing of it in the Result, and
// among cookies it counts as none. Where guests are let in it verifies.
func TestVerifyGuestTicket(t *testing.T) {
	m := ticket.Minter{Secret: benchSecret}
	val := mustMint(t, m, guestTicket, local)
	strict := mustVerifier(t, ticket.Config{Secret: benchSecret, Timeout: time.Hour})
	for _, now := range []time.Time{t0, t0.Add(2 * time.Hour)} {
		res, err := strict.Verify(val, local, now)
		if !errors.Is(err, ticket.ErrGuest) || res != (ticket.Result{}) {
			t.Errorf("at +%v without Guests: %+v, %v; want a zero Result and ErrGuest", now.Sub(t0), res, err)
		}
	}
	if _, err := strict.VerifyCookies([]string{"auth_tkt=" + val}, "auth_tkt", local, t0); err != ticket.ErrNoTicket {
		t.Errorf("VerifyCookies, a guest cookie alone: %v, want ErrNoTicket", err)
	}
	user := mustMint(t, m, benchTicket, local)
	if res, err := strict.VerifyCookies([]string{"auth_tkt=" + val + "; auth_tkt=" + user}, "auth_tkt", local, t0); err != nil || res.UID != benchTicket.UID {
		t.Errorf("VerifyCookies, a guest cookie before a user's: %q, %v; want the user's", res.UID, err)
	}
	guests := mustVerifier(t, ticket.Config{Secret: benchSecret, Timeout: time.Hour, Guests: true})
	res, err := guests.Verify(val, local, t0)
	if err != nil || res.UID != guestTicket.UID || !res.Tokens.Guest() {
		t.Errorf("with Guests: %+v, %v; want the guest's ticket", res, err)
	}
	if _, err := guests.Verify(val, local, t0.Add(2*time.Hour)); !errors.Is(err, ticket.ErrExpired) {
		t.Errorf("with Guests, 2h later: %v, want ErrExpired", err)
	}
	if _, err := guests.Verify(user, local, t0); err != nil {
		t.Errorf("with Guests, a user's ticket: %v", err)
	}
}

// Verifying a guest's ticket allocates as an ordinary one does, once,
// whether it is let in or refused.
func TestVerifyAllocsGuest(t *testing.T) {
	val := mustMint(t, ticket.Minter{Secret: benchSecret}, guestTicket, local)
	for _, guests := range []bool{true, false} {
		v := mustVerifier(t, ticket.Config{Secret: benchSecret, Timeout: time.Hour, Refresh: 0.5, Guests: guests})
		n := testing.AllocsPerRun(100, func() { v.Verify(val, local, t0) })
		if n != 1 {
			t.Errorf("Guests %v: Verify allocates %v times, want 1", guests, n)
		}
	}
}
