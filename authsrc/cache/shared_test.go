package cache

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
)

// The Redis store is one a cache takes.
var _ Shared = (*shared.CredentialCache)(nil)

// forEachStore runs test with the cache's entries in this process's
// memory (shared nil) and on Redis: shared gives each test a
// shared.CredentialCache under a key prefix of its own. The two must
// answer alike.
func forEachStore(t *testing.T, test func(t *testing.T, shared func(*testing.T) Shared)) {
	t.Run("memory", func(t *testing.T) { test(t, nil) })
	t.Run("redis", func(t *testing.T) {
		test(t, func(t *testing.T) Shared {
			url, prefix := redistest.Running(t)
			return redistest.Open(t, shared.Config{URL: url, KeyPrefix: prefix}).CredentialCache()
		})
	})
}

// instances are two caches, as in two tktd instances, in front of one
// store, keeping their entries in one Redis; with the same MAC key unless
// otherKey.
type instances struct {
	a, b  *Cache
	store *memStore
	ca    *counts
	cb    *counts
	raw   redis.UniversalClient
	pfx   string
}

func newInstances(t *testing.T, base shared.Config, cfg Config, otherKey bool) *instances {
	t.Helper()
	in := &instances{store: newMemStore(testUsers()), ca: &counts{}, cb: &counts{}, pfx: base.KeyPrefix}
	open := func(secret string, n *counts) *Cache {
		c := cfg
		c.Shared = redistest.Open(t, base).CredentialCache()
		c.MACKey = DeriveKey(secret)
		c.Hooks = n.hooks()
		return New(in.store, c)
	}
	in.a = open("the ticket secret, 0123456789", in.ca)
	second := "the ticket secret, 0123456789"
	if otherKey {
		second = "another ticket secret, 0123456789"
	}
	in.b = open(second, in.cb)
	if base.URL != "" {
		opt, _ := redis.ParseURL(base.URL)
		in.raw = redis.NewClient(opt)
	} else {
		in.raw = redis.NewClusterClient(&redis.ClusterOptions{Addrs: base.Addrs})
	}
	t.Cleanup(func() { in.raw.Close() })
	return in
}

// values returns the keys under the prefix (on every master) and their
// values.
func (in *instances) values(t *testing.T) map[string]string {
	t.Helper()
	var mu sync.Mutex // ForEachMaster calls at once
	out := map[string]string{}
	err := redistest.EachServer(context.Background(), in.raw, func(ctx context.Context, c *redis.Client) error {
		keys, err := c.Keys(ctx, in.pfx+"*").Result()
		for _, k := range keys {
			if v, err := c.Get(ctx, k).Result(); err == nil {
				mu.Lock()
				out[k] = v
				mu.Unlock()
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A password one instance checked is a hit at the other, a wrong one
// never is; rejections and lookups are shared too; an instance with
// another key (another ticket secret) finds nothing; Redis holds no
// password and no user name, entries expire with their TTL. On one
// server and on a Cluster.
func TestSharedAcrossInstances(t *testing.T) {
	for name, base := range map[string]func(*testing.T) shared.Config{
		"server": func(t *testing.T) shared.Config {
			url, prefix := redistest.Running(t)
			return shared.Config{URL: url, KeyPrefix: prefix}
		},
		"cluster": func(t *testing.T) shared.Config {
			return shared.Config{Addrs: redistest.StartCluster(t, 3).Addrs, Cluster: true, KeyPrefix: redistest.UniquePrefix()}
		},
	} {
		t.Run(name, func(t *testing.T) {
			in := newInstances(t, base(t), Config{Context: "ldap", TTL: time.Minute, NegativeTTL: 10 * time.Second}, false)
			ctx := context.Background()
			for _, c := range []struct {
				cache     *Cache
				user, pw  string
				want      outcome
				calls     int64
				situation string
			}{
				{in.a, "alice", "alice-pw", accepted, 1, "A checks alice"},
				{in.b, "alice", "alice-pw", accepted, 1, "B: a hit"},
				{in.b, "alice", "alice-pw ", invalid, 2, "B, another password: the store"},
				{in.a, "alice", "alice-pw ", invalid, 2, "A: B's rejection, a negative hit"},
				{in.b, "bob", "alice-pw", invalid, 3, "B, alice's password for bob"},
			} {
				_, err := c.cache.Authenticate(ctx, c.user, c.pw)
				if got := classify(err); got != c.want || in.store.calls.Load() != c.calls {
					t.Fatalf("%s: %s (%v), %d store calls; want %s, %d", c.situation, got, err, in.store.calls.Load(), c.want, c.calls)
				}
			}
			if _, err := in.a.Lookup(ctx, "carol"); err != nil {
				t.Fatal(err)
			}
			if id, err := in.b.Lookup(ctx, "carol"); err != nil || id.User != "carol" || in.store.calls.Load() != 4 {
				t.Errorf("B's lookup after A's: %+v, %v, %d store calls; want a hit", id, err, in.store.calls.Load())
			}
			if got := in.cb.snapshot(); got.Hits != 1 || got.Misses != 2 {
				t.Errorf("B's hooks %+v", got)
			}
			values := in.values(t)
			if len(values) == 0 {
				t.Fatal("nothing in Redis")
			}
			for k, v := range values {
				for _, secret := range []string{"alice-pw", "alice", "carol", "ldap"} {
					if strings.Contains(k, secret) {
						t.Errorf("key %q shows %q", k, secret)
					}
				}
				if strings.Contains(v, "alice-pw") {
					t.Errorf("the password in Redis, under %q", k)
				}
				ttl := in.raw.PTTL(ctx, k).Val()
				if ttl <= 0 || ttl > 2*time.Minute {
					t.Errorf("key %q: TTL %v", k, ttl)
				}
			}
		})
	}
	t.Run("another key", func(t *testing.T) {
		url, prefix := redistest.Running(t)
		in := newInstances(t, shared.Config{URL: url, KeyPrefix: prefix}, Config{Context: "ldap"}, true)
		for _, c := range []*Cache{in.a, in.b} {
			if _, err := c.Authenticate(context.Background(), "alice", "alice-pw"); err != nil {
				t.Fatal(err)
			}
		}
		if n := in.store.calls.Load(); n != 2 {
			t.Errorf("%d store calls, want 2: caches under different keys share nothing", n)
		}
	})
}

// Purge makes an instance trust no entry written so far, whoever wrote
// it (each instance purges at its own reload); Rekey too.
func TestSharedPurge(t *testing.T) {
	url, prefix := redistest.Running(t)
	in := newInstances(t, shared.Config{URL: url, KeyPrefix: prefix}, Config{Context: "ldap"}, false)
	ctx := context.Background()
	login := func(c *Cache) {
		t.Helper()
		if _, err := c.Authenticate(ctx, "alice", "alice-pw"); err != nil {
			t.Fatal(err)
		}
	}
	login(in.a)
	in.b.Purge()
	login(in.b) // A's entry, written before B's purge: the store
	login(in.a) // B's new entry
	if n := in.store.calls.Load(); n != 2 {
		t.Errorf("%d store calls, want 2", n)
	}
	in.a.Rekey(DeriveKey("a new ticket secret, 0123456789"))
	login(in.a)
	if n := in.store.calls.Load(); n != 3 {
		t.Errorf("after Rekey: %d store calls, want 3", n)
	}
}

// The entries of a space are bounded: past MaxEntries in a window, new
// ones are not kept (OnEvict says so), and every check stays right.
func TestSharedBound(t *testing.T) {
	url, prefix := redistest.Running(t)
	in := newInstances(t, shared.Config{URL: url, KeyPrefix: prefix}, Config{Context: "ldap", MaxEntries: 2}, false)
	ctx := context.Background()
	users := []string{"alice", "bob", "carol"}
	for _, c := range []*Cache{in.a, in.b} {
		for _, u := range users {
			if _, err := c.Authenticate(ctx, u, u+"-pw"); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries := 0
	for k := range in.values(t) {
		if !strings.HasPrefix(k, prefix+"cache:q:") {
			entries++
		}
	}
	if entries != 2 {
		t.Errorf("%d entries in Redis, want 2 (MaxEntries)", entries)
	}
	if a, b := in.ca.snapshot(), in.cb.snapshot(); a.Evictions != 1 || b.Hits != 2 || b.Evictions != 1 {
		t.Errorf("hooks: A %+v, B %+v; want A to keep carol out, B to hit alice and bob", a, b)
	}
}

// Redis hangs: every check goes to the store (right answers, the first
// within the request timeout, the next ones without waiting), one line is
// logged each way, and the cache is shared again once Redis resumes.
func TestSharedOutage(t *testing.T) {
	srv := redistest.Start(t)
	var logs testenv.SyncBuffer
	store := newMemStore(testUsers())
	client := redistest.Open(t, shared.Config{URL: srv.URL, CallTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c := New(store, Config{Context: "ldap", Shared: client.CredentialCache(), MACKey: DeriveKey("secret 0123456789")})
	ctx := context.Background()
	check := func(pw string, want outcome) time.Duration {
		t.Helper()
		start := time.Now()
		_, err := c.Authenticate(ctx, "alice", pw)
		if got := classify(err); got != want {
			t.Fatalf("password %q: %s (%v), want %s", pw, got, err, want)
		}
		return time.Since(start)
	}
	check("alice-pw", accepted)
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer srv.Thaw()
	calls := store.calls.Load()
	slowest := check("alice-pw", accepted)
	for range 20 {
		slowest = max(slowest, check("alice-pw", accepted))
		check("wrong", invalid)
	}
	t.Logf("the slowest check while Redis hangs took %v (request timeout 250ms)", slowest)
	if slowest > time.Second {
		t.Errorf("a check took %v while Redis hangs", slowest)
	}
	if n := store.calls.Load() - calls; n != 41 {
		t.Errorf("%d store calls while Redis hangs, want 41: every check a miss", n)
	}
	if err := srv.Thaw(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the cache shared again", 5*time.Second, func() bool {
		before := store.calls.Load()
		check("alice-pw", accepted)
		return store.calls.Load() == before
	})
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "redis unreachable") || !strings.Contains(lines[1], "redis reachable again") {
		t.Errorf("want one line when Redis went away and one when it came back, got:\n%s", logs.String())
	}
}

// TestMemoryPerEntry measures what an entry costs Redis, for
// docs/deployment.md: MEMORY USAGE of the key of a user with two groups
// and some data, and of a rejection.
func TestMemoryPerEntry(t *testing.T) {
	url, prefix := redistest.Running(t)
	in := newInstances(t, shared.Config{URL: url, KeyPrefix: prefix}, Config{Context: "ldap ldap://10.0.0.5", NegativeTTL: 10 * time.Second}, false)
	ctx := context.Background()
	in.a.Authenticate(ctx, "alice", "alice-pw")
	in.a.Authenticate(ctx, "bob", "wrong")
	for k, v := range in.values(t) {
		if strings.HasPrefix(k, prefix+"cache:q:") {
			continue
		}
		n, err := in.raw.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("entry: key of %d bytes (prefix %q), value of %d bytes: %d bytes", len(k), prefix, len(v), n)
		if n > 250 {
			t.Errorf("%d bytes, more than docs/deployment.md says", n)
		}
	}
}

func TestDeriveKey(t *testing.T) {
	const secret = "the ticket secret, 0123456789"
	k := DeriveKey(secret)
	if len(k) != 32 || string(k) == secret || !bytes.Equal(k, DeriveKey(secret)) {
		t.Fatalf("DeriveKey: %x", k)
	}
	if bytes.Equal(k, DeriveKey(secret+"x")) {
		t.Error("two secrets, one key")
	}
	a, b := newMacer(k), newMacer(DeriveKey(secret))
	if a.sum("ldap\x00alice", "pw") != b.sum("ldap\x00alice", "pw") {
		t.Error("two macers under one key disagree")
	}
}

func TestEntryCodec(t *testing.T) {
	written := time.Unix(1_750_000_000, 123)
	for _, e := range []entry{
		{sum: digest{1, 2, 3}, id: authsrc.Identity{User: "Jürgen", Groups: []string{"admins", "", "日本"}, Data: "x\x00y"}, expires: written.Add(time.Minute)},
		{sum: digest{9}, expires: written},
		{id: authsrc.Identity{User: "carol"}, expires: written.Add(time.Hour)},
		{expires: written.Add(5 * time.Second)},
	} {
		b := encodeEntry(e, written)
		got, w, err := decodeEntry(b)
		if err != nil || !w.Equal(written) {
			t.Fatalf("decode(encode(%+v)): %v, written %v", e, err, w)
		}
		if diff := cmp.Diff(e, got, cmp.AllowUnexported(entry{})); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		for i := range b {
			if _, _, err := decodeEntry(b[:i]); err == nil {
				t.Errorf("%+v cut at %d of %d bytes: decoded", e, i, len(b))
			}
		}
	}
}

// FuzzDecodeEntry: whatever a shared store hands back, decoding it never
// panics, and what decodes encodes to bytes that decode the same.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(entry{sum: digest{1}, id: authsrc.Identity{User: "alice", Groups: []string{"a"}}, expires: time.Unix(1, 0)}, time.Unix(0, 5)))
	f.Add([]byte{1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, written, err := decodeEntry(b)
		if err != nil {
			return
		}
		again, w, err := decodeEntry(encodeEntry(e, written))
		if err != nil || !w.Equal(written) || !cmp.Equal(e, again, cmp.AllowUnexported(entry{})) {
			t.Errorf("%x decodes to %+v, which encodes to what decodes to %+v, %v", b, e, again, err)
		}
	})
}
