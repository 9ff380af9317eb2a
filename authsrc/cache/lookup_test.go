package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// lookupStep is one thing that happens to a cache and its store, in
// order: a lookup (do ""), or a change.
type lookupStep struct {
	do    string // "", "advance", "delete", "groups", "invalidate", "purge", "fail", "recover"
	user  string
	d     time.Duration
	err   error
	want  outcome
	calls int64 // store calls so far, after this step
}

func lookup(user string, want outcome, calls int64) lookupStep {
	return lookupStep{user: user, want: want, calls: calls}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		steps      []lookupStep
		memoryOnly bool
	}{{
		name: "miss then hit, until TTL",
		cfg:  Config{TTL: time.Minute},
		steps: []lookupStep{
			lookup("alice", accepted, 1),
			lookup("alice", accepted, 1),
			{do: "advance", d: time.Minute - time.Nanosecond, calls: 1},
			lookup("alice", accepted, 1),
			{do: "advance", d: time.Nanosecond, calls: 1},
			lookup("alice", accepted, 2),
		},
	}, {
		// The price of the cache, bounded by TTL: a deleted user is found
		// until the entry expires, unless the deletion calls Invalidate.
		name: "a deleted user is found until TTL, not longer",
		cfg:  Config{TTL: time.Minute},
		steps: []lookupStep{
			lookup("alice", accepted, 1),
			{do: "delete", user: "alice", calls: 1},
			lookup("alice", accepted, 1),
			{do: "advance", d: time.Minute, calls: 1},
			lookup("alice", noSuchUser, 2),
		},
	}, {
		name: "invalidate forgets a lookup at once",
		steps: []lookupStep{
			lookup("alice", accepted, 1),
			lookup("bob", accepted, 2),
			{do: "delete", user: "alice", calls: 2},
			{do: "invalidate", user: "alice", calls: 2},
			lookup("alice", noSuchUser, 3),
			lookup("bob", accepted, 3),
		},
	}, {
		name: "purge forgets every lookup, found or missing",
		steps: []lookupStep{
			lookup("alice", accepted, 1),
			lookup("nobody", noSuchUser, 2),
			{do: "purge", calls: 2},
			lookup("alice", accepted, 3),
			lookup("nobody", noSuchUser, 4),
		},
	}, {
		name: "no such user is remembered for 5 s by default",
		steps: []lookupStep{
			lookup("nobody", noSuchUser, 1),
			lookup("nobody", noSuchUser, 1),
			{do: "advance", d: DefaultLookupNegativeTTL - time.Nanosecond, calls: 1},
			lookup("nobody", noSuchUser, 1),
			{do: "advance", d: time.Nanosecond, calls: 1},
			lookup("nobody", noSuchUser, 2),
		},
	}, {
		name: "no such user, not remembered",
		cfg:  Config{LookupNegativeTTL: -1},
		steps: []lookupStep{
			lookup("nobody", noSuchUser, 1),
			lookup("nobody", noSuchUser, 2),
		},
	}, {
		name: "no such user is remembered 10 s at most",
		cfg:  Config{LookupNegativeTTL: time.Hour},
		steps: []lookupStep{
			lookup("nobody", noSuchUser, 1),
			{do: "advance", d: MaxNegativeTTL, calls: 1},
			lookup("nobody", noSuchUser, 2),
		},
	}, {
		name: "unavailable is never remembered",
		steps: []lookupStep{
			{do: "fail", err: errDown},
			lookup("alice", unavailable, 1),
			lookup("alice", unavailable, 2),
			{do: "recover", calls: 2},
			lookup("alice", accepted, 3),
		},
	}, {
		name: "an answer outside the contract fails closed, and is not remembered",
		steps: []lookupStep{
			{do: "fail", err: authsrc.ErrInvalidCredentials},
			lookup("alice", unavailable, 1),
			lookup("alice", unavailable, 2),
		},
	}, {
		name: "lookups and password checks keep apart",
		steps: []lookupStep{
			{do: "login", user: "alice", calls: 1},
			lookup("alice", accepted, 2),
			{do: "login", user: "alice", calls: 2},
		},
	}, {
		name: "names no store holds never reach it",
		steps: []lookupStep{
			lookup("", noSuchUser, 0),
			lookup("alice\x00", noSuchUser, 0),
		},
	}}
	forEachStore(t, func(t *testing.T, shared func(*testing.T) Shared) {
		for _, tt := range tests {
			if shared != nil && tt.memoryOnly {
				continue
			}
			t.Run(tt.name, func(t *testing.T) {
				store := newMemStore(testUsers())
				clk := newClock()
				cfg := tt.cfg
				if shared != nil {
					cfg.Shared = shared(t)
				}
				cfg.Now = clk.Now
				c := New(store, cfg)
				for i, s := range tt.steps {
					switch s.do {
					case "":
						id, err := c.Lookup(context.Background(), s.user)
						if got := classify(err); got != s.want {
							t.Fatalf("step %d: lookup %s: %s (%v), want %s", i, s.user, got, err, s.want)
						}
						if err == nil {
							u := testUsers()[s.user]
							if d := cmp.Diff(authsrc.Identity{User: s.user, Groups: u.groups, Data: u.data}, id); d != "" {
								t.Errorf("step %d: identity (-want +got):\n%s", i, d)
							}
						}
					case "login":
						if _, err := c.Authenticate(context.Background(), s.user, s.user+"-pw"); err != nil {
							t.Fatalf("step %d: login: %v", i, err)
						}
					case "advance":
						clk.advance(s.d)
					case "delete":
						store.deleteUser(s.user)
					case "invalidate":
						c.Invalidate(s.user)
					case "purge":
						c.Purge()
					case "fail":
						store.setErr(s.err)
					case "recover":
						store.setErr(nil)
					default:
						t.Fatalf("step %d: unknown action %q", i, s.do)
					}
					if got := store.calls.Load(); got != s.calls {
						t.Fatalf("step %d (%s %s): %d store calls, want %d", i, s.do, s.user, got, s.calls)
					}
				}
			})
		}
	})
}

// A store that cannot look users up makes every lookup fail closed.
func TestLookupUnsupported(t *testing.T) {
	c := New(passwordOnly{newMemStore(testUsers())}, Config{})
	_, err := c.Lookup(context.Background(), "alice")
	if !errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, authsrc.ErrLookupUnsupported) {
		t.Errorf("err = %v, want unavailable: lookup unsupported", err)
	}
}

// passwordOnly hides memStore's Lookup.
type passwordOnly struct{ authsrc.Source }

// A page's burst of requests with one ticket due for refresh asks the store
// once; an Invalidate while that call is under way keeps its (possibly
// stale) answer out of the cache.
func TestLookupFlights(t *testing.T) {
	const n = 20
	c, store, waiting, release := newHeldCache(t, Config{})
	var results []<-chan error
	for range n {
		results = append(results, lookupAsync(c, "alice"))
	}
	testenv.WaitFor(t, "the lookups to wait on the store", 10*time.Second, func() bool { return waiting.Load() == n })
	store.deleteUser("alice") // decided already: the answer in transit says alice exists
	c.Invalidate("alice")
	release()
	for i, r := range results {
		if err := <-r; err != nil {
			t.Errorf("lookup %d: %v", i, err)
		}
	}
	if calls := store.calls.Load(); calls != 1 {
		t.Errorf("%d concurrent lookups made %d store calls, want 1", n, calls)
	}
	if _, err := c.Lookup(context.Background(), "alice"); classify(err) != noSuchUser {
		t.Errorf("after the invalidation: %v, want the store's new answer", err)
	}
}

func lookupAsync(c *Cache, user string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Lookup(context.Background(), user)
		done <- err
	}()
	return done
}
