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
func TestSessionCheckAllocs(t *testing.T) {
	s := benchSessions(t, 1000)
	for _, sid := range []string{"LIVELIVELIVELIVELIVELI", endedID(500), "malformed"} {
		if n := testing.AllocsPerRun(1000, func() { s.Check(sid) }); n != 0 {
			t.Errorf("Check(%s): %v allocations", sid, n)
		}
	}
}

// BenchmarkSessionCheck is the hot path of every request whose ticket
// carries a session id, with sessions on.
func BenchmarkSessionCheck(b *testing.B) {
	for _, n := range []int{0, 1000, 100000} {
		b.Run(fmt.Sprintf("ended=%d", n), func(b *testing.B) {
			s := benchSessions(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Check("LIVELIVELIVELIVELIVELI"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ended", func(b *testing.B) {
		s := benchSessions(b, 1000)
		sid := endedID(500)
		b.ReportAllocs()
		for b.Loop() {
			if s.Check(sid) == nil {
				b.Fatal("not ended")
			}
		}
	})
}

// endedID is the i-th id benchSessions ends.
func endedID(i int) string { return fmt.Sprintf("ENDED%017d", i) }

// benchSessions is an instance whose copy holds n ended ids, written
// straight into the machine's Redis and read at once.
func benchSessions(tb testing.TB, n int) *shared.Sessions {
	tb.Helper()
	url, prefix := redistest.Running(tb)
	opt, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	raw := redis.NewClient(opt)
	defer raw.Close()
	ctx := context.Background()
	at := float64(time.Now().Unix())
	for i := 0; i < n; i += 1000 {
		zs := make([]redis.Z, 0, 1000)
		for j := i; j < min(n, i+1000); j++ {
			zs = append(zs, redis.Z{Score: at, Member: endedID(j)})
		}
		if err := raw.ZAdd(ctx, prefix+"{sessions}:ended", zs...).Err(); err != nil {
			tb.Fatal(err)
		}
	}
	c, err := shared.Open(ctx, shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	s, err := c.Sessions(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if st := s.Status(); st.Ended != n {
		tb.Fatalf("%d ended ids in the copy, want %d", st.Ended, n)
	}
	return s
}
