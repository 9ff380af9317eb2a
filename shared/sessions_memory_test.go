package shared_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/shared"
)

// A browser's User-Agent as records keep it: about the usual length.
const firefoxUA = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

// TestMemoryPerSession measures what a session costs Redis (MEMORY USAGE
// of its record, all of it sampled, and of the indexes over the
// sessions), and what an ended session costs until it expires, for
// docs/deployment.md; it fails only if a session costs far more than the
// documented figure.
func TestMemoryPerSession(t *testing.T) {
	d := running(t)
	// Memory, not speed: tens of thousands of calls on the machine's
	// Redis, which other packages' tests share, must not meet the
	// deployment's 300 ms bound per call.
	_, s := d.sessions(t, nil, func(c *shared.Config) { c.CallTimeout = 10 * time.Second })
	ctx := context.Background()
	usage := func(keys []string) int64 {
		cmds := make([]*redis.IntCmd, len(keys))
		if _, err := d.raw.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.MemoryUsage(ctx, k, 0)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, c := range cmds {
			sum += c.Val()
		}
		return sum
	}
	for _, c := range []struct {
		sessions, perUser int
	}{{1000, 1}, {10000, 1}, {10000, 5}} {
		t.Run(fmt.Sprintf("%d sessions, %d a user", c.sessions, c.perUser), func(t *testing.T) {
			d.raw.Del(ctx, d.sessionKey("ended"))
			var records, users, ids []string
			for i := range c.sessions {
				user := fmt.Sprintf("user%06d", i/c.perUser) // user ids of 10 bytes
				rec, err := s.Create(ctx, shared.Session{User: user, Tokens: "staff,admin", Client: "192.0.2.10", UserAgent: firefoxUA})
				if err != nil {
					t.Fatal(err)
				}
				records = append(records, d.sessionKey("s:"+rec.ID))
				ids = append(ids, rec.ID)
				if i%c.perUser == 0 {
					users = append(users, d.sessionKey("u:"+user))
				}
			}
			rec, idx := usage(records), usage(users)
			per := float64(rec+idx) / float64(c.sessions)
			t.Logf("%5d sessions (user ids of 10 bytes, a %d-byte user agent, tokens %q), %d a user: records %.0f bytes each, the user's index %.0f: %.0f bytes a session",
				c.sessions, len(firefoxUA), "staff,admin", c.perUser, float64(rec)/float64(c.sessions), float64(idx)/float64(c.sessions), per)
			if per > 600 {
				t.Errorf("%.0f bytes a session: more than the 350 to 450 docs/deployment.md says", per)
			}

			if _, err := s.End(ctx, ids...); err != nil {
				t.Fatal(err)
			}
			ended := usage([]string{d.sessionKey("ended")})
			t.Logf("%5d ended sessions: %.0f bytes each in Redis until they expire", c.sessions, float64(ended)/float64(c.sessions))
			for _, k := range users {
				d.raw.Del(ctx, k)
			}
		})
	}
}
