package web

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/shared"
)

// The Redis store is one a portal takes.
var _ ThrottleStore = (*shared.Throttle)(nil)

// forEachThrottleStore runs test with the throttle in this instance's
// memory (store nil) and on Redis (shared.Throttle, under a key prefix of
// the test's own): the two must answer alike.
func forEachThrottleStore(t *testing.T, test func(t *testing.T, store ThrottleStore)) {
	t.Run("memory", func(t *testing.T) { test(t, nil) })
	t.Run("redis", func(t *testing.T) {
		url, prefix := redistest.Running(t)
		test(t, redisThrottle(t, shared.Config{URL: url, KeyPrefix: prefix}))
	})
}

// redisThrottle opens a Client on cfg for the test and returns its
// Throttle.
func redisThrottle(t testing.TB, cfg shared.Config) *shared.Throttle {
	t.Helper()
	return redistest.Open(t, cfg).Throttle()
}

// acceptAll is a user store that takes any password at once: what the
// benchmark below measures is the throttle around it.
type acceptAll struct{}

func (acceptAll) Authenticate(_ context.Context, user, _ string) (authsrc.Identity, error) {
	return authsrc.Identity{User: user}, nil
}

// BenchmarkThrottledCheck is what the throttle adds to a successful
// password check, in memory and on Redis (the calls of a login from a
// network the user is known on: the network's and the pair's buckets,
// the known check, the give back and the drop, the remembering).
func BenchmarkThrottledCheck(b *testing.B) {
	for name, store := range map[string]func(*testing.B) ThrottleStore{
		"memory": func(*testing.B) ThrottleStore { return nil },
		"redis": func(b *testing.B) ThrottleStore {
			url, prefix := redistest.Running(b)
			return redisThrottle(b, shared.Config{URL: url, KeyPrefix: prefix})
		},
	} {
		b.Run(name, func(b *testing.B) {
			p, err := NewPasswords(PasswordConfig{Source: acceptAll{}, Throttle: ThrottleConfig{Store: store(b)}})
			if err != nil {
				b.Fatal(err)
			}
			ctx, client := context.Background(), netip.MustParseAddr(testClient)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Check(ctx, "alice", "pw", client, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
