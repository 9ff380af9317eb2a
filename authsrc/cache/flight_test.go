package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// newHeldCache returns a cache whose store holds every answer until release
// is called, and a count of requests waiting on a store call.
func newHeldCache(t *testing.T, cfg Config) (c *Cache, store *memStore, waiting *atomic.Int64, release func()) {
	store = newMemStore(testUsers())
	release = store.hold()
	t.Cleanup(release)
	c = New(store, cfg)
	waiting = new(atomic.Int64)
	c.joined = func() { waiting.Add(1) }
	return c, store, waiting, release
}

// loginAsync logs in on its own goroutine and returns where the outcome
// will arrive.
func loginAsync(ctx context.Context, c *Cache, user, pw string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(ctx, user, pw)
		done <- err
	}()
	return done
}

func TestConcurrentMissesShareOneCall(t *testing.T) {
	const n = 50
	tests := []struct {
		name     string
		user, pw string
		fault    error
		want     outcome
	}{
		{name: "accepted", user: "alice", pw: "alice-pw", want: accepted},
		{name: "rejected", user: "alice", pw: "wrong", want: invalid},
		// Not cached: only sharing the call explains a single store call.
		{name: "unavailable", user: "alice", pw: "alice-pw", fault: errDown, want: unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, store, waiting, release := newHeldCache(t, Config{})
			store.setErr(tt.fault)
			var results []<-chan error
			for range n {
				results = append(results, loginAsync(context.Background(), c, tt.user, tt.pw))
			}
			testenv.WaitFor(t, "all requests to wait on the store", 10*time.Second, func() bool { return waiting.Load() == n })
			release()
			got := map[outcome]int{}
			for _, r := range results {
				got[classify(<-r)]++
			}
			if diff := cmp.Diff(map[outcome]int{tt.want: n}, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if calls := store.calls.Load(); calls != 1 {
				t.Errorf("%d concurrent requests made %d store calls, want 1", n, calls)
			}
		})
	}
}

func TestDifferentPasswordsDoNotShareACall(t *testing.T) {
	c, store, waiting, release := newHeldCache(t, Config{})
	good := loginAsync(context.Background(), c, "alice", "alice-pw")
	bad := loginAsync(context.Background(), c, "alice", "wrong")
	other := loginAsync(context.Background(), c, "bob", "alice-pw")
	testenv.WaitFor(t, "three requests waiting", 10*time.Second, func() bool { return waiting.Load() == 3 })
	release()
	got := []outcome{classify(<-good), classify(<-bad), classify(<-other)}
	if diff := cmp.Diff([]outcome{accepted, invalid, invalid}, got); diff != "" {
		t.Errorf("outcomes good/bad/other (-want +got):\n%s", diff)
	}
	if calls := store.calls.Load(); calls != 3 {
		t.Errorf("%d store calls, want 3 (one per user and password)", calls)
	}
}

// The request that starts a store call may give up (a closed tab); the
// others waiting on the same call must still get the store's answer, not
// its "context canceled".
func TestFirstCallerCancelDoesNotFailOthers(t *testing.T) {
	const followers = 5
	c, store, waiting, release := newHeldCache(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := loginAsync(ctx, c, "alice", "alice-pw")
	testenv.WaitFor(t, "the first request to wait", 10*time.Second, func() bool { return waiting.Load() == 1 })
	var rest []<-chan error
	for range followers {
		rest = append(rest, loginAsync(context.Background(), c, "alice", "alice-pw"))
	}
	testenv.WaitFor(t, "the followers to wait", 10*time.Second, func() bool { return waiting.Load() == 1+followers })

	cancel()
	// The first caller returns at once, with the store still working.
	if err := <-first; classify(err) != unavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v, want unavailable wrapping context.Canceled", err)
	}
	release()
	for i, r := range rest {
		if err := <-r; err != nil {
			t.Errorf("follower %d: %v, want accepted", i, err)
		}
	}
	if calls := store.calls.Load(); calls != 1 {
		t.Errorf("%d store calls, want 1", calls)
	}
}

// A caller's own deadline is honoured even while the store call it waits on
// goes on; the answer that call brings back is still cached.
func TestCallerDeadline(t *testing.T) {
	c, store, _, release := newHeldCache(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Authenticate(ctx, "alice", "alice-pw")
	if classify(err) != unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want unavailable wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v, want about 50 ms", d)
	}
	release()
	// Either joins the call still under way or hits what it cached.
	if _, err := c.Authenticate(context.Background(), "alice", "alice-pw"); err != nil {
		t.Fatal(err)
	}
	if calls := store.calls.Load(); calls != 1 {
		t.Errorf("%d store calls, want 1", calls)
	}
}

func TestBackendTimeout(t *testing.T) {
	c, store, _, _ := newHeldCache(t, Config{BackendTimeout: 50 * time.Millisecond})
	_, err := c.Authenticate(context.Background(), "alice", "alice-pw")
	if classify(err) != unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want unavailable wrapping context.DeadlineExceeded", err)
	}
	if calls := store.calls.Load(); calls != 1 {
		t.Errorf("%d store calls, want 1", calls)
	}
}

// A store call that began before a password change and an Invalidate must
// neither be cached nor shared with requests that come after.
func TestInvalidateDuringCall(t *testing.T) {
	c, store, waiting, release := newHeldCache(t, Config{})
	before := loginAsync(context.Background(), c, "alice", "alice-pw")
	testenv.WaitFor(t, "the first request to wait", 10*time.Second, func() bool { return waiting.Load() == 1 })
	store.setPassword("alice", "new-pw")
	c.Invalidate("alice")
	after := loginAsync(context.Background(), c, "alice", "alice-pw")
	testenv.WaitFor(t, "the second request to wait", 10*time.Second, func() bool { return waiting.Load() == 2 })
	release()
	// The store accepted the old password when it was asked.
	if err := <-before; err != nil {
		t.Errorf("request before the change: %v, want accepted", err)
	}
	if err := <-after; classify(err) != invalid {
		t.Errorf("request after the change: %v, want invalid", err)
	}
	if _, err := c.Authenticate(context.Background(), "alice", "alice-pw"); classify(err) != invalid {
		t.Errorf("old password after the change: %v, want invalid (the stale answer was cached)", err)
	}
	if calls := store.calls.Load(); calls != 3 {
		t.Errorf("%d store calls, want 3", calls)
	}
}

// Many users, passwords and invalidations at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	store := newMemStore(testUsers())
	c := New(store, Config{MaxEntries: 2, NegativeTTL: time.Second})
	logins := []struct {
		user, pw string
		want     outcome
	}{
		{"alice", "alice-pw", accepted}, {"bob", "bob-pw", accepted}, {"carol", "carol-pw", accepted},
		{"alice", "bob-pw", invalid}, {"nobody", "x", invalid},
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l := logins[(g+i)%len(logins)]
				id, err := c.Authenticate(context.Background(), l.user, l.pw)
				if got := classify(err); got != l.want {
					t.Errorf("%s: %s (%v), want %s", l.user, got, err, l.want)
					return
				}
				if err == nil && id.User != l.user {
					t.Errorf("%s: got identity of %s", l.user, id.User)
				}
				switch i % 50 {
				case 7:
					c.Invalidate(l.user)
				case 31:
					c.Purge()
				}
			}
		})
	}
	wg.Wait()
}
