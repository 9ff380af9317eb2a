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

// TestVerifyAllocsLifetime: a portal ticket (auth time and session id
// among its tokens) under a MaxLifetime still costs one allocation, when
// it is young and when it is due for refresh (the cap is worked out).
func TestVerifyAllocsLifetime(t *testing.T) {
	portal := benchTicket.Authenticated(t0)
	portal.Tokens = portal.Tokens.WithSession(sid)
	for _, d := range ticket.Digests() {
		val := mustMint(t, ticket.Minter{Digest: d, Secret: benchSecret}, portal, local)
		v := mustVerifier(t, ticket.Config{Digest: d, Secret: benchSecret, Timeout: time.Hour, Refresh: 0.5, MaxLifetime: 12 * time.Hour})
		for _, now := range []time.Time{t0, t0.Add(50 * time.Minute)} {
			var res ticket.Result
			n := testing.AllocsPerRun(100, func() {
				var err error
				if res, err = v.Verify(val, local, now); err != nil {
					t.Fatal(err)
				}
			})
			if n != 1 {
				t.Errorf("%s at +%v: Verify allocates %v times, want 1", d, now.Sub(t0), n)
			}
			if due := now != t0; res.Refresh != due {
				t.Errorf("%s at +%v: refresh %v, want %v", d, now.Sub(t0), res.Refresh, due)
			}
		}
	}
}
