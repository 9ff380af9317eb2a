package shared_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestMemoryPerMark measures what a mark costs Redis (MEMORY USAGE of the
// key, all of it sampled, over the marks), for docs/deployment.md; it
// fails only if a mark costs far more than the documented figure.
func TestMemoryPerMark(t *testing.T) {
	d := running(t)
	_, r := d.instance(t, nil, nil)
	ctx := context.Background()
	made := 0
	for _, n := range []int{100, 1000, 10000} {
		for ; made < n; made++ {
			user := fmt.Sprintf("user%06d", made)
			var err error
			if made < 100 {
				_, err = r.Revoke(ctx, user, time.Now())
			} else { // the same member and score, faster
				err = d.raw.ZAdd(ctx, d.key(), redis.Z{Score: float64(time.Now().Unix()), Member: user}).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		bytes, err := d.raw.MemoryUsage(ctx, d.key(), 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		per := float64(bytes) / float64(n)
		t.Logf("%6d marks (user ids of 10 bytes): %8d bytes, %.1f bytes a mark", n, bytes, per)
		if n > 128 && per > 150 {
			t.Errorf("%.1f bytes a mark: more than the 100 to 115 docs/deployment.md says", per)
		}
	}
}
