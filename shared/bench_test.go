package shared_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/shared"
)

// Check reads the local copy: no allocation, whatever it answers.
func TestCheckAllocs(t *testing.T) {
	d := running(t)
	_, r := d.instance(t, nil, nil)
	ctx := context.Background()
	now := time.Now()
	for _, u := range []string{"alice", "bob"} {
		if _, err := r.Revoke(ctx, u, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		uid    string
		issued time.Time
	}{{"carol", now}, {"alice", now}, {"alice", now.Add(-time.Hour)}} {
		if n := testing.AllocsPerRun(1000, func() { r.Check(c.uid, c.issued) }); n != 0 {
			t.Errorf("Check(%s): %v allocations", c.uid, n)
		}
	}
}

// BenchmarkCheck is the hot path of every request with revocation on.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{0, 1000, 100000} {
		b.Run(fmt.Sprintf("marks=%d", n), func(b *testing.B) {
			r := benchRevocations(b, n)
			issued := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Check("user-not-revoked", issued); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("revoked", func(b *testing.B) {
		r := benchRevocations(b, 1000)
		issued := time.Now().Add(-time.Hour)
		b.ReportAllocs()
		for b.Loop() {
			if r.Check("user500", issued) == nil {
				b.Fatal("not revoked")
			}
		}
	})
}

// benchRevocations is an instance whose copy holds n user marks, written
// straight into the machine's Redis and read at once.
func benchRevocations(b *testing.B, n int) *shared.Revocations {
	b.Helper()
	url, prefix := redistest.Running(b)
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	raw := redis.NewClient(opt)
	defer raw.Close()
	ctx := context.Background()
	key := prefix + "{revocations}"
	at := float64(time.Now().Unix())
	for i := 0; i < n; i += 1000 {
		zs := make([]redis.Z, 0, 1000)
		for j := i; j < min(n, i+1000); j++ {
			zs = append(zs, redis.Z{Score: at, Member: fmt.Sprintf("user%d", j)})
		}
		if err := raw.ZAdd(ctx, key, zs...).Err(); err != nil {
			b.Fatal(err)
		}
	}
	c, err := shared.Open(ctx, shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	r := c.Revocations(ctx)
	if st := r.Status(); st.Marks != n {
		b.Fatalf("%d marks in the copy, want %d", st.Marks, n)
	}
	return r
}
