package shared_test

import (
	"context"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/shared"
)

// benchClient is a Client on the machine's Redis under a prefix of the
// benchmark's own.
func benchClient(b *testing.B) *shared.Client {
	b.Helper()
	url, prefix := redistest.Running(b)
	return redistest.Open(b, shared.Config{URL: url, KeyPrefix: prefix})
}

// BenchmarkThrottle is what the shared throttle adds to a login: a Take
// (one script call), and its give back after a success.
func BenchmarkThrottle(b *testing.B) {
	th := benchClient(b).Throttle()
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := th.Take(ctx, "pair", "alice\x00192.0.2.1", 5, 15*time.Minute, now); err != nil {
			b.Fatal(err)
		}
		if err := th.Give(ctx, "pair", "alice\x00192.0.2.1", 5, 15*time.Minute, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCredentialCacheGet is what a credential cache hit on Redis
// costs HTTP Basic: one GET of an entry of the usual size.
func BenchmarkCredentialCacheGet(b *testing.B) {
	cc := benchClient(b).CredentialCache()
	ctx := context.Background()
	if _, err := cc.Set(ctx, "pos\x00basic", "basic\x00alice", make([]byte, 80), time.Minute, 10); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v, err := cc.Get(ctx, "pos\x00basic", "basic\x00alice"); v == nil || err != nil {
			b.Fatal(v, err)
		}
	}
}
