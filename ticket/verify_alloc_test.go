package ticket_test

import (
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// TestVerifyAllocs: verifying an ordinary cookie allocates exactly once, for
// the copy of the ticket's body that the Result keeps, for every digest
// type and whichever secret matches (every one is tried).
func TestVerifyAllocs(t *testing.T) {
	for _, d := range ticket.Digests() {
		val := mustMint(t, ticket.Minter{Digest: d, Secret: benchSecret}, benchTicket, local)
		for _, c := range []ticket.Config{
			{Digest: d, Secret: benchSecret, Timeout: 2 * time.Hour, Refresh: 0.5},
			{Digest: d, Secret: "a newer secret of 32 bytes......", OldSecrets: []string{benchSecret, "an older secret of 32 bytes....."}},
		} {
			v := mustVerifier(t, c)
			n := testing.AllocsPerRun(100, func() {
				if _, err := v.Verify(val, local, t0); err != nil {
					t.Fatal(err)
				}
			})
			if n != 1 {
				t.Errorf("%s with %d old secrets: Verify allocates %v times, want 1", d, len(c.OldSecrets), n)
			}
		}
	}
}
