package shared_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
)

// keys lists the keys under the deployment's prefix that start with
// sub, on every master of a cluster.
func (d deployment) keys(t *testing.T, sub string) []string {
	t.Helper()
	var mu sync.Mutex // ForEachMaster calls at once
	var out []string
	err := redistest.EachServer(context.Background(), d.raw, func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, d.base.KeyPrefix+sub+"*").Result()
		mu.Lock()
		defer mu.Unlock()
		out = append(out, ks...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A bucket gives burst tokens, then says how long until the next; a token
// given back can be taken again; a bucket full again, or dropped, has no
// key; no user name shows in a key, whatever it holds; and all of it on
// one server and on a Cluster alike.
func TestThrottleBuckets(t *testing.T) {
	for name, open := range map[string]func(*testing.T) deployment{"server": running, "cluster": cluster} {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			c, _ := d.instance(t, nil, nil)
			th := c.Throttle()
			ctx := context.Background()
			now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			const user = "Jürgen {x}:*\n日本"
			for i := range 3 {
				if wait, err := th.Take(ctx, "pair", user, 3, 3*time.Minute, now); wait != 0 || err != nil {
					t.Fatalf("take %d: %v, %v", i, wait, err)
				}
			}
			if wait, err := th.Take(ctx, "pair", user, 3, 3*time.Minute, now); wait != time.Minute || err != nil {
				t.Fatalf("an empty bucket: wait %v, %v; want 1m (3 tokens over 3m)", wait, err)
			}
			if wait, _ := th.Take(ctx, "pair", user, 3, 3*time.Minute, now.Add(20*time.Second)); wait != 40*time.Second {
				t.Errorf("20s later: wait %v, want 40s", wait)
			}
			keys := d.keys(t, "throttle:")
			if len(keys) != 1 || !strings.HasPrefix(keys[0], d.base.KeyPrefix+"throttle:pair:") || len(keys[0]) != len(d.base.KeyPrefix)+len("throttle:pair:")+22 {
				t.Fatalf("keys %q: want one, throttle:pair: and 22 characters of hash", keys)
			}
			// Expiry: when the bucket is full again, 3m from now (the
			// test's clock is only used for the difference).
			if ttl := d.raw.PTTL(ctx, keys[0]).Val(); ttl <= 2*time.Minute || ttl > 3*time.Minute {
				t.Errorf("TTL %v, want 3m", ttl)
			}
			if err := th.Give(ctx, "pair", user, 3, 3*time.Minute, now); err != nil {
				t.Fatal(err)
			}
			if wait, err := th.Take(ctx, "pair", user, 3, 3*time.Minute, now); wait != 0 || err != nil {
				t.Errorf("after a give back: %v, %v", wait, err)
			}
			for range 3 {
				th.Give(ctx, "pair", user, 3, 3*time.Minute, now)
			}
			if keys := d.keys(t, "throttle:"); len(keys) != 0 {
				t.Errorf("a bucket full again kept its key: %q", keys)
			}
			// Another kind, another key: and a dropped bucket is full.
			th.Take(ctx, "net", user, 1, time.Hour, now)
			if wait, _ := th.Take(ctx, "net", user, 1, time.Hour, now); wait != time.Hour {
				t.Errorf("net bucket: wait %v", wait)
			}
			if wait, _ := th.Take(ctx, "pair", user, 1, time.Hour, now); wait != 0 {
				t.Errorf("the pair bucket shares the net bucket's key: wait %v", wait)
			}
			th.Drop(ctx, "net", user)
			if wait, _ := th.Take(ctx, "net", user, 1, time.Hour, now); wait != 0 {
				t.Errorf("a dropped bucket: wait %v", wait)
			}
			if _, err := th.Take(ctx, "Pair}", user, 1, time.Hour, now); err == nil {
				t.Error("a kind with other than lower-case letters was taken")
			}
		})
	}
}

// A network is known for a user for the time Remember was given, and no
// longer.
func TestThrottleKnown(t *testing.T) {
	d := running(t)
	c, _ := d.instance(t, nil, nil)
	th := c.Throttle()
	ctx := context.Background()
	now := time.Now()
	if ok, err := th.Known(ctx, "alice\x00192.0.2.1", time.Hour, now); ok || err != nil {
		t.Fatalf("before any login: %v, %v", ok, err)
	}
	if err := th.Remember(ctx, "alice\x00192.0.2.1", time.Hour, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key   string
		after time.Duration
		want  bool
	}{{"alice\x00192.0.2.1", 0, true}, {"alice\x00192.0.2.1", 59 * time.Minute, true}, {"alice\x00192.0.2.1", time.Hour, false}, {"alice\x00192.0.2.2", 0, false}} {
		if ok, err := th.Known(ctx, c.key, time.Hour, now.Add(c.after)); ok != c.want || err != nil {
			t.Errorf("Known(%q) %v later: %v, %v; want %v", c.key, c.after, ok, err, c.want)
		}
	}
	keys := d.keys(t, "throttle:known:")
	if len(keys) != 1 {
		t.Fatalf("keys %q", keys)
	}
	if ttl := d.raw.PTTL(ctx, keys[0]).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL %v, want 1h", ttl)
	}
}

// Redis hangs: the first call gives up after the request timeout, the
// next ones do not wait at all (ErrUnreachable) until Redis answers
// again, which a probe finds within a second or so; one line is logged
// each way; Close leaves no goroutine behind.
func TestThrottleOutage(t *testing.T) {
	d, srv := private(t)
	before := runtime.NumGoroutine()
	log, logs := textLog()
	c, r := d.instance(t, log, nil)
	r.Close() // this test is about the throttle's own calls
	th := c.Throttle()
	ctx := context.Background()
	now := time.Now()
	if _, err := th.Take(ctx, "pair", "alice", 3, time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer srv.Thaw()
	start := time.Now()
	_, err := th.Take(ctx, "pair", "alice", 3, time.Minute, now)
	if took := time.Since(start); err == nil || took > 600*time.Millisecond {
		t.Errorf("first call while frozen: %v after %v; want an error within the request timeout (250ms)", err, took)
	}
	for range 100 {
		start := time.Now()
		_, err := th.Take(ctx, "pair", "alice", 3, time.Minute, now)
		if !errors.Is(err, shared.ErrUnreachable) || time.Since(start) > 50*time.Millisecond {
			t.Fatalf("a later call while frozen: %v after %v; want ErrUnreachable at once", err, time.Since(start))
		}
	}
	if n := th.Fallbacks(); n != 101 {
		t.Errorf("%d fallbacks counted, want 101", n)
	}
	time.Sleep(500 * time.Millisecond)
	if err := srv.Thaw(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	testenv.WaitFor(t, "the throttle back on Redis", 5*time.Second, func() bool {
		_, err := th.Take(ctx, "pair", "bob", 3, time.Minute, now)
		return err == nil
	})
	t.Logf("back on Redis %v after it resumed", time.Since(start))
	// The first call, read by Redis when it resumed, was past its
	// deadline: one token taken, not two.
	if wait, _ := th.Take(ctx, "pair", "alice", 2, time.Minute, now); wait != 0 {
		t.Errorf("alice's bucket holds the late call's token too: wait %v", wait)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "redis unreachable") || !strings.Contains(lines[1], "redis reachable again") {
		t.Errorf("want one line when Redis went away and one when it came back, got:\n%s", logs)
	}
	closeAll(t, before, c)
}

// TestMemoryPerThrottleKey measures what the throttle costs Redis, for
// docs/deployment.md: MEMORY USAGE of a bucket's key and of a known
// network's.
func TestMemoryPerThrottleKey(t *testing.T) {
	d := running(t)
	c, _ := d.instance(t, nil, nil)
	th := c.Throttle()
	ctx := context.Background()
	now := time.Now()
	if _, err := th.Take(ctx, "pair", "alice\x00192.0.2.1", 5, 15*time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if err := th.Remember(ctx, "alice\x00192.0.2.1", 30*24*time.Hour, now); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"throttle:pair:", "throttle:known:"} {
		keys := d.keys(t, sub)
		if len(keys) != 1 {
			t.Fatalf("%s keys: %q", sub, keys)
		}
		n, err := d.raw.MemoryUsage(ctx, keys[0], 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s key of %d bytes (prefix %q): %d bytes", sub, len(keys[0]), d.base.KeyPrefix, n)
		if n > 150 {
			t.Errorf("%s: %d bytes, more than docs/deployment.md says", sub, n)
		}
	}
}
