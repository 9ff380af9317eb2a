package ticket_test

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// A portal mints a ticket for the user it has just checked, bound to the
// client's address; a validator that knows the secret verifies it, with
// nothing else to ask. The clock is fixed so the output is too.
func Example() {
	cfg := ticket.Config{
		Digest:  ticket.HMACSHA256,
		Secret:  "a long random secret, shared by portal and validators",
		Timeout: 2 * time.Hour,
		Refresh: 0.5,
		Tokens:  []string{"staff"}, // any one of the required tokens admits
	}
	v, err := ticket.NewVerifier(cfg)
	if err != nil {
		panic(err)
	}
	client := netip.MustParseAddr("192.0.2.7")
	login := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

	raw, err := v.Mint(ticket.Ticket{UID: "alice", Tokens: "staff,admin", Data: "Alice Example", Time: login}, client)
	if err != nil {
		panic(err)
	}
	cookie := ticket.Encode(raw) // the value of the auth_tkt cookie

	r, err := v.Verify(cookie, client, login.Add(30*time.Minute))
	fmt.Println(r.UID, r.Tokens.List(), r.Data, err, r.ShouldReissue())

	// Past half its life the ticket is due for a new time: re-issue it.
	r, err = v.Verify(cookie, client, login.Add(90*time.Minute))
	fmt.Println(err, r.ShouldReissue())

	// From another address, or after the timeout, it is refused.
	_, err = v.Verify(cookie, netip.MustParseAddr("198.51.100.1"), login.Add(time.Minute))
	fmt.Println(errors.Is(err, ticket.ErrBadSignature))
	_, err = v.Verify(cookie, client, login.Add(3*time.Hour))
	fmt.Println(errors.Is(err, ticket.ErrExpired))
	// Output:
	// alice [staff admin] Alice Example <nil> false
	// <nil> true
	// true
	// true
}

// A Minter makes tickets that Apache's mod_auth_tkt and its Perl, Python
// and PHP libraries read: here an MD5 ticket, the module's default, that
// ignores the client's address.
func ExampleMinter() {
	m := ticket.Minter{Digest: ticket.MD5, Secret: "the TKTAuthSecret of the Apache servers"}
	raw, err := m.Mint(ticket.Ticket{UID: "bob", Tokens: "finance", Time: time.Unix(1_800_000_000, 0)}, netip.IPv4Unspecified())
	if err != nil {
		panic(err)
	}
	fmt.Println(raw)
	// Output:
	// 1a33845c69d1cf26811eda514a6d714b6b49d200bob!finance!
}

// VerifyCookies tries every auth_tkt cookie of a request in turn, so that
// a stale cookie of a parent domain does not lock the user out.
func ExampleVerifier_VerifyCookies() {
	v, err := ticket.NewVerifier(ticket.Config{Digest: ticket.SHA256, Secret: "a secret of 32 random bytes, really", Timeout: time.Hour})
	if err != nil {
		panic(err)
	}
	client := netip.MustParseAddr("192.0.2.7")
	now := time.Unix(1_800_000_000, 0)
	raw, _ := v.Mint(ticket.Ticket{UID: "carol", Time: now.Add(-time.Minute)}, client)
	header := []string{"theme=dark; auth_tkt=stale; auth_tkt=" + ticket.Encode(raw)}

	r, err := v.VerifyCookies(header, ticket.DefaultCookieName, client, now)
	fmt.Println(r.UID, err)
	// Output:
	// carol <nil>
}

// Inspect reads a ticket without the secret, for debugging: nothing it
// says is verified.
func ExampleInspect() {
	in, err := ticket.Inspect("MWEzMzg0NWM2OWQxY2YyNjgxMWVkYTUxNGE2ZDcxNGI2YjQ5ZDIwMGJvYiFmaW5hbmNlIQ==")
	if err != nil {
		panic(err)
	}
	fmt.Println(in.UID, in.Tokens, in.Time.UTC())
	// Output:
	// bob finance 2027-01-15 08:00:00 +0000 UTC
}
