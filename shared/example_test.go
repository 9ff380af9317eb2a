package shared_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/netip"
	"time"

	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/web"
)

// A tktd instance opens the shared state once, follows the revocation
// marks, and hands the Revocations to its ticket middleware
// (tkthttp.Config.Revocation); /readyz asks Check.
func ExampleClient_Revocations() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := shared.Open(ctx, shared.Config{
		URL:           "redis://127.0.0.1:6379/0",
		TicketTimeout: 2 * time.Hour, // marks expire 2h + max skew after they are made
		Logger:        slog.Default(),
	})
	if err != nil {
		log.Fatal(err) // a bad configuration; an unreachable Redis is no error
	}
	defer c.Close()
	revocations := c.Revocations(ctx) // waits for the first copy, within ctx

	// "Sign out everywhere": alice's tickets issued until now are refused
	// by every instance within a second.
	m, err := revocations.Revoke(ctx, "alice", time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("refused until", m.Expires)

	// The hot path, on every request: memory only.
	if err := revocations.Check("alice", time.Now().Add(-time.Hour)); err != nil {
		fmt.Println(err)
	}
}

// Several instances check passwords as one: the login throttle counts
// every instance's failures in the same buckets, and the credential cache
// in front of a slow store shares its entries, hashed under a key every
// instance derives from the ticket secret.
func ExampleClient_Throttle() {
	ctx := context.Background()
	c, err := shared.Open(ctx, shared.Config{URL: "redis://127.0.0.1:6379/0", Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	users, err := htpasswd.New(htpasswd.Config{Path: "/etc/tkt/htpasswd"})
	if err != nil {
		log.Fatal(err)
	}
	const ticketSecret = "the secret every instance signs tickets with"
	cached := cache.New(users, cache.Config{Context: "basic", Shared: c.CredentialCache(), MACKey: cache.DeriveKey(ticketSecret)})
	passwords, err := web.NewPasswords(web.PasswordConfig{Source: cached, Throttle: web.ThrottleConfig{Store: c.Throttle()}})
	if err != nil {
		log.Fatal(err)
	}
	_, err = passwords.Check(ctx, "alice", "correct horse", netip.MustParseAddr("192.0.2.1"), time.Now())
	fmt.Println(err)
}

// A tktd instance follows the ended sessions and hands the Sessions to
// its ticket middleware (tkthttp.Config.Sessions); the login page records
// a session and puts its id into the ticket, and logout ends it.
func ExampleClient_Sessions() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := shared.Open(ctx, shared.Config{URL: "redis://127.0.0.1:6379/0", TicketTimeout: 2 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	sessions, err := c.Sessions(ctx) // waits for the first copy, within ctx
	if err != nil {
		log.Fatal(err) // ticket timeout 0: records would never expire
	}

	// At login: the record, and its id in the ticket.
	s, err := sessions.Create(ctx, shared.Session{User: "alice", Tokens: "staff", Client: "192.0.2.10", UserAgent: "curl/8.0"})
	if err != nil {
		log.Fatal(err)
	}
	t := ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("staff").WithSession(s.ID), Time: time.Now()}
	_ = t // minted and set as the cookie

	// At logout: every instance refuses the ticket within a second.
	if _, err := sessions.End(ctx, s.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sessions.Check(s.ID))
}
