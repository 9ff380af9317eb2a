// Package redistest gives tests Redis servers: a key prefix of their own on
// the machine's Redis (Running), a private redis-server they can stop,
// freeze and thaw for outage tests (Start), and a private Redis Cluster
// of several masters (StartCluster); and a shared.Client on any of them
// (Open). The private servers are Debian's
// redis-server as child processes on free loopback ports, in the test's
// temporary directory, keeping nothing on disk, stopped by PID when the
// test ends.
//
// As everywhere in tkt's tests, a missing server or binary skips the test
// with the reason, and fails it in CI (testenv.Need).
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
)

// Addr is the machine's Redis: TKT_TEST_REDIS_ADDR, or 127.0.0.1:6379.
func Addr() string {
	if a := os.Getenv("TKT_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Running returns the URL of the machine's Redis (database 0) and a key
// prefix no other test uses ("tkt-test-<random>:"), after checking that it
// answers. The keys under the prefix are deleted when the test ends, so
// tests of several packages share the server without seeing each other.
func Running(tb testing.TB) (url, prefix string) {
	tb.Helper()
	url = "redis://" + Addr() + "/0"
	rdb := redis.NewClient(&redis.Options{Addr: Addr(), DialTimeout: 2 * time.Second, MaxRetries: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		testenv.Need(tb, "Redis at "+Addr()+" (TKT_TEST_REDIS_ADDR moves it)", err)
	}
	prefix = UniquePrefix()
	tb.Cleanup(func() {
		defer rdb.Close()
		if err := DeletePrefix(context.Background(), rdb, prefix); err != nil {
			tb.Errorf("redistest: deleting the keys under %q: %v", prefix, err)
		}
	})
	return url, prefix
}

// Open opens a shared.Client on cfg for the test, as a tktd instance
// would (a Redis away is no error), and closes it when the test ends.
func Open(tb testing.TB, cfg shared.Config) *shared.Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := shared.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// UniquePrefix is a key prefix no other test uses: "tkt-test-" and 12
// random hex digits, then a colon.
func UniquePrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "tkt-test-" + hex.EncodeToString(b) + ":"
}

// DeletePrefix deletes every key that starts with prefix, on every master
// of a cluster. The prefix must hold no glob characters (*?[\).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	return EachServer(ctx, rdb, del)
}

// EachServer calls fn with every master of a cluster, or with the one
// server, for what a cluster client does not spread itself (SCAN, KEYS).
func EachServer(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return nil
}
