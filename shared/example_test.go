package shared_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/tkt-sso/tkt/shared"
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
