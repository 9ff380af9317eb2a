package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
)

func testUsers() map[string]memUser {
	return map[string]memUser{
		"alice": {password: "alice-pw", groups: []string{"admins", "staff"}, data: "Alice A."},
		"bob":   {password: "bob-pw", groups: []string{"staff"}},
		"carol": {password: "carol-pw"},
	}
}

// step is one thing that happens to a cache and its store, in order.
type step struct {
	do       string // "" (log in), "advance", "passwd", "invalidate", "purge", "fail", "recover"
	user, pw string
	d        time.Duration // for "advance"
	err      error         // for "fail": what the store answers from now on
	want     outcome       // for logins
	calls    int64         // store calls so far, after this step
}

func login(user, pw string, want outcome, calls int64) step {
	return step{user: user, pw: pw, want: want, calls: calls}
}

func TestAuthenticate(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		steps      []step
		hooks      hookCounts
		memoryOnly bool // a shared store bounds its entries its own way
	}{{
		name: "miss then hit",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			login("alice", "alice-pw", accepted, 1),
			login("alice", "alice-pw", accepted, 1),
		},
		hooks: hookCounts{Hits: 2, Misses: 1},
	}, {
		name: "wrong password is never a hit",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			login("alice", "alice-pw ", invalid, 2),
			login("alice", "ALICE-PW", invalid, 3),
			login("alice", "alice-pw ", invalid, 4), // rejections are not cached by default
			login("alice", "alice-pw", accepted, 4), // and do not push out the good entry
		},
		hooks: hookCounts{Hits: 1, Misses: 4},
	}, {
		name: "users do not share entries",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			login("bob", "alice-pw", invalid, 2),
			login("bob", "bob-pw", accepted, 3),
			login("alice", "bob-pw", invalid, 4),
		},
		hooks: hookCounts{Misses: 4},
	}, {
		name: "entries expire after TTL",
		cfg:  Config{TTL: time.Minute},
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			{do: "advance", d: time.Minute - time.Nanosecond, calls: 1},
			login("alice", "alice-pw", accepted, 1),
			{do: "advance", d: time.Nanosecond, calls: 1},
			login("alice", "alice-pw", accepted, 2),
			login("alice", "alice-pw", accepted, 2),
		},
		hooks: hookCounts{Hits: 2, Misses: 2},
	}, {
		name: "zero TTL means 300 s",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			{do: "advance", d: 299 * time.Second, calls: 1},
			login("alice", "alice-pw", accepted, 1),
			{do: "advance", d: time.Second, calls: 1},
			login("alice", "alice-pw", accepted, 2),
		},
		hooks: hookCounts{Hits: 1, Misses: 2},
	}, {
		name: "new password works at once and retires the old one",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			{do: "passwd", user: "alice", pw: "new-pw", calls: 1},
			login("alice", "new-pw", accepted, 2),
			login("alice", "alice-pw", invalid, 3),
			login("alice", "new-pw", accepted, 3),
		},
		hooks: hookCounts{Hits: 1, Misses: 3},
	}, {
		// Like mod_authn_socache, the old password is remembered until the
		// TTL ends unless the password change calls Invalidate.
		name: "old password lasts until Invalidate",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			{do: "passwd", user: "alice", pw: "new-pw", calls: 1},
			login("alice", "alice-pw", accepted, 1),
			{do: "invalidate", user: "alice", calls: 1},
			login("alice", "alice-pw", invalid, 2),
			login("alice", "new-pw", accepted, 3),
		},
		hooks: hookCounts{Hits: 1, Misses: 3},
	}, {
		name: "invalidate forgets one user",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			login("bob", "bob-pw", accepted, 2),
			{do: "invalidate", user: "alice", calls: 2},
			login("bob", "bob-pw", accepted, 2),
			login("alice", "alice-pw", accepted, 3),
		},
		hooks: hookCounts{Hits: 1, Misses: 3},
	}, {
		name: "purge forgets everyone",
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			login("bob", "bob-pw", accepted, 2),
			{do: "purge", calls: 2},
			login("alice", "alice-pw", accepted, 3),
			login("bob", "bob-pw", accepted, 4),
		},
		hooks: hookCounts{Misses: 4},
	}, {
		name: "unavailable is never cached",
		cfg:  Config{NegativeTTL: 10 * time.Second},
		steps: []step{
			{do: "fail", err: errDown},
			login("alice", "alice-pw", unavailable, 1),
			login("alice", "alice-pw", unavailable, 2),
			login("alice", "wrong", unavailable, 3),
			{do: "recover", calls: 3},
			login("alice", "alice-pw", accepted, 4),
			login("alice", "wrong", invalid, 5),
		},
		hooks: hookCounts{Misses: 5},
	}, {
		name: "an error matching both sentinels is not cached as a rejection",
		cfg:  Config{NegativeTTL: 10 * time.Second},
		steps: []step{
			{do: "fail", err: fmt.Errorf("%w, %w", authsrc.ErrInvalidCredentials, authsrc.ErrUnavailable)},
			login("alice", "alice-pw", unavailable, 1),
			{do: "recover", calls: 1},
			login("alice", "alice-pw", accepted, 2),
		},
		hooks: hookCounts{Misses: 2},
	}, {
		name: "a store error outside the contract fails closed",
		steps: []step{
			{do: "fail", err: errors.New("driver: bad connection")},
			login("alice", "alice-pw", unavailable, 1),
			login("alice", "alice-pw", unavailable, 2),
		},
		hooks: hookCounts{Misses: 2},
	}, {
		name: "negative cache holds one rejected password per user",
		cfg:  Config{NegativeTTL: 5 * time.Second},
		steps: []step{
			login("alice", "wrong-1", invalid, 1),
			login("alice", "wrong-1", invalid, 1),
			login("alice", "alice-pw", accepted, 2), // a rejection is keyed by its password
			login("alice", "wrong-2", invalid, 3),
			login("alice", "wrong-2", invalid, 3),
			login("nobody", "wrong-2", invalid, 4), // and by its user
			{do: "advance", d: 5 * time.Second, calls: 4},
			login("alice", "wrong-2", invalid, 5),
		},
		hooks: hookCounts{NegativeHits: 2, Misses: 5},
	}, {
		name: "negative TTL is capped at 10 s",
		cfg:  Config{NegativeTTL: time.Hour},
		steps: []step{
			login("alice", "wrong", invalid, 1),
			{do: "advance", d: MaxNegativeTTL - time.Nanosecond, calls: 1},
			login("alice", "wrong", invalid, 1),
			{do: "advance", d: time.Nanosecond, calls: 1},
			login("alice", "wrong", invalid, 2),
		},
		hooks: hookCounts{NegativeHits: 1, Misses: 2},
	}, {
		// The price of a negative cache, bounded by the cap: a password
		// just set to one that was rejected a moment ago is refused until
		// the rejection expires or the change calls Invalidate.
		name: "invalidate forgets rejections too",
		cfg:  Config{NegativeTTL: 10 * time.Second},
		steps: []step{
			login("alice", "new-pw", invalid, 1),
			{do: "passwd", user: "alice", pw: "new-pw", calls: 1},
			login("alice", "new-pw", invalid, 1),
			{do: "invalidate", user: "alice", calls: 1},
			login("alice", "new-pw", accepted, 2),
		},
		hooks: hookCounts{NegativeHits: 1, Misses: 2},
	}, {
		name: "LRU bound pushes out the least recently used",
		cfg:  Config{MaxEntries: 2},
		steps: []step{
			login("alice", "alice-pw", accepted, 1),
			login("bob", "bob-pw", accepted, 2),
			login("alice", "alice-pw", accepted, 2), // alice is now the most recent
			login("carol", "carol-pw", accepted, 3), // pushes out bob
			login("alice", "alice-pw", accepted, 3),
			login("bob", "bob-pw", accepted, 4), // pushes out carol
			login("carol", "carol-pw", accepted, 5),
		},
		hooks:      hookCounts{Hits: 2, Misses: 5, Evictions: 3},
		memoryOnly: true,
	}, {
		name: "rejected input never reaches the store",
		cfg:  Config{NegativeTTL: 10 * time.Second},
		steps: []step{
			login("alice", "", invalid, 0),
			login("", "alice-pw", invalid, 0),
			login("alice\x00", "alice-pw", invalid, 0),
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
				var n counts
				cfg := tt.cfg
				if shared != nil {
					cfg.Shared = shared(t)
				}
				cfg.Now, cfg.Hooks = clk.Now, n.hooks()
				c := New(store, cfg)
				for i, s := range tt.steps {
					switch s.do {
					case "":
						id, err := c.Authenticate(context.Background(), s.user, s.pw)
						if got := classify(err); got != s.want {
							t.Fatalf("step %d: login %s: %s (%v), want %s", i, s.user, got, err, s.want)
						}
						if err == nil {
							u := testUsers()[s.user]
							want := authsrc.Identity{User: s.user, Groups: u.groups, Data: u.data}
							if diff := cmp.Diff(want, id); diff != "" {
								t.Errorf("step %d: identity (-want +got):\n%s", i, diff)
							}
						}
					case "advance":
						clk.advance(s.d)
					case "passwd":
						store.setPassword(s.user, s.pw)
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
				if diff := cmp.Diff(tt.hooks, n.snapshot()); diff != "" {
					t.Errorf("hook counts (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestCallerCannotChangeCachedGroups(t *testing.T) {
	c := New(newMemStore(testUsers()), Config{})
	for _, ask := range []func() (authsrc.Identity, error){
		func() (authsrc.Identity, error) { return c.Authenticate(context.Background(), "alice", "alice-pw") },
		func() (authsrc.Identity, error) { return c.Lookup(context.Background(), "alice") },
	} {
		for i := range 3 { // the store's answer, then two hits
			id, err := ask()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"admins", "staff"}, id.Groups); diff != "" {
				t.Fatalf("answer %d: groups (-want +got):\n%s", i, diff)
			}
			id.Groups[0] = "root"
		}
	}
}

func TestErrorsHoldNoPassword(t *testing.T) {
	const pw = "s3cret-password"
	store := newMemStore(testUsers())
	store.setErr(errors.New("driver: bad connection"))
	c := New(store, Config{Context: "sql users"})
	_, err := c.Authenticate(context.Background(), "alice", pw)
	if err == nil {
		t.Fatal("no error from a broken store")
	}
	if msg := err.Error(); !errors.Is(err, authsrc.ErrUnavailable) || strings.Contains(msg, pw) {
		t.Errorf("err = %q: want unavailable, without the password", msg)
	}
}

func TestDigestBindsContextUserAndPassword(t *testing.T) {
	m := newMacer(nil)
	pairs := [][2]string{
		{"ctx\x00alice", "pw"},
		{"ctx\x00alice", "pw2"},
		{"ctx\x00bob", "pw"},
		{"other\x00alice", "pw"},
		{"ctx\x00alic", "epw"}, // moving the boundary changes the input
	}
	seen := map[digest]int{}
	for i, p := range pairs {
		d := m.sum(p[0], p[1])
		if j, dup := seen[d]; dup {
			t.Errorf("pairs %d and %d hash alike", j, i)
		}
		seen[d] = i
		if again := m.sum(p[0], p[1]); again != d {
			t.Errorf("pair %d: hash not stable", i)
		}
	}
	if newMacer(nil).sum(pairs[0][0], pairs[0][1]) == m.sum(pairs[0][0], pairs[0][1]) {
		t.Error("two caches share a key: the hash is not keyed per process")
	}
}

// FuzzWrongPasswordNeverHits checks the one rule a credential cache must not
// break, for any user name and pair of passwords, through the positive and
// the negative cache.
func FuzzWrongPasswordNeverHits(f *testing.F) {
	f.Add("alice", "alice-pw", "alice-pw ")
	f.Add("ü*)(uid=*", "pässwort", "PÄSSWORT")
	f.Add("bob", "x", "x")
	f.Fuzz(func(t *testing.T, user, good, other string) {
		if authsrc.CheckInput(context.Background(), user, good) != nil {
			return
		}
		c := New(newMemStore(map[string]memUser{user: {password: good}}), Config{NegativeTTL: 10 * time.Second})
		try := func(pw string, want outcome) {
			t.Helper()
			if _, err := c.Authenticate(context.Background(), user, pw); classify(err) != want {
				t.Fatalf("Authenticate(%q, %q) = %v, want %s", user, pw, err, want)
			}
		}
		try(good, accepted)
		wantOther := invalid
		if other == good {
			wantOther = accepted
		}
		try(other, wantOther) // from the store
		try(other, wantOther) // from the cache, positive or negative
		try(good, accepted)
	})
}
