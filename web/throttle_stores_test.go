package web

import (
	"context"
	"testing"
	"time"

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
func redisThrottle(t *testing.T, cfg shared.Config) *shared.Throttle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := shared.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.Throttle()
}
