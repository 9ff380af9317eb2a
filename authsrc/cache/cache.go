// Package cache puts a credential cache in front of any authsrc.Source, the
// way Apache's mod_authn_socache does for slow stores (LDAP, SQL): after the
// store accepts a password, the same user with the same password is let in
// from memory until the entry expires.
//
// The cache keeps an HMAC-SHA256 of the password, never the password itself,
// under a key drawn at random in New, or derived from a secret every
// instance has (Config.MACKey, DeriveKey) when several share one store
// (Config.Shared, e.g. on Redis). Only the exact password the store
// accepted is a hit: any other password goes to the store, which decides, so
// a wrong password never gets in through the cache and a new password works
// at once after a change. "Store unavailable" is never remembered; "invalid
// credentials" only when Config.NegativeTTL asks for it, for a few seconds at
// most.
//
// It answers Lookup (who a user is now, asked before a ticket is
// refreshed) the same way: who the store said a user is for TTL, that
// there is no such user for a few seconds, "unavailable" never.
package cache

import (
	"context"
	"crypto/subtle"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tkt-sso/tkt/authsrc"
)

// Defaults for the zero Config, and the cap on NegativeTTL.
const (
	DefaultTTL            = 300 * time.Second // mod_authn_socache's default
	DefaultMaxEntries     = 10_000
	DefaultBackendTimeout = 30 * time.Second
	// MaxNegativeTTL caps how long a rejection is remembered: a user who
	// just had their password reset to the one they mistyped a moment ago
	// is locked out for at most this long (or until Invalidate).
	MaxNegativeTTL = 10 * time.Second
	// DefaultLookupNegativeTTL is how long Lookup remembers "no such user"
	// by default: long enough that a deleted user's browser, sending its
	// old ticket with every request, costs the store one question per
	// few seconds, short enough that a user added again is soon let
	// refresh.
	DefaultLookupNegativeTTL = 5 * time.Second
)

// Config tunes a Cache. The zero value is a working cache.
type Config struct {
	// Context names what the cache stands in front of (a store or rule
	// name). It is part of every key, so caches for different stores that
	// share a backing store never answer for each other.
	Context string
	// TTL is how long an accepted password is remembered; 0 means
	// DefaultTTL.
	TTL time.Duration
	// NegativeTTL is how long a rejected user and password pair is
	// remembered. 0 (or less) means rejections are not cached; more than
	// MaxNegativeTTL means MaxNegativeTTL.
	NegativeTTL time.Duration
	// LookupNegativeTTL is how long Lookup remembers that the store holds
	// no such user: 0 means DefaultLookupNegativeTTL, negative means not
	// at all, and more than MaxNegativeTTL means MaxNegativeTTL. Lookup
	// remembers who a user is for TTL.
	LookupNegativeTTL time.Duration
	// MaxEntries bounds the number of remembered users (least recently
	// used go first), and separately the number of remembered rejections,
	// of users looked up and of users found missing; 0 means
	// DefaultMaxEntries.
	MaxEntries int
	// BackendTimeout bounds a call to the store. The call is shared by
	// every request waiting for the same user and password, so it does not
	// end when the first of them gives up (each request still returns when
	// its own context ends); this bound keeps it from running forever. 0
	// means DefaultBackendTimeout.
	BackendTimeout time.Duration
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
	// Hooks reports cache events, e.g. to Prometheus counters.
	Hooks Hooks
	// Shared, when set, keeps the entries where several caches (tktd
	// instances) find them all (shared.CredentialCache, on Redis), each
	// kind of entry bounded by MaxEntries there; nil keeps them in this
	// process's memory. A shared store that cannot answer only costs
	// speed: every check is a miss meanwhile.
	Shared Shared
	// MACKey keys the hash of the passwords. nil draws a key at random
	// in New, which is this process's alone: caches that share a store
	// must share the key too, derived from a secret they all have
	// (DeriveKey), or no entry of one is a hit at another.
	MACKey []byte
}

// Hooks are called synchronously on the request's goroutine, so they must be
// quick and safe for concurrent use (a Prometheus counter's Inc is). A nil
// hook is skipped. They count password checks only, not lookups.
type Hooks struct {
	OnHit         func() // accepted from the cache
	OnNegativeHit func() // rejected from the cache (NegativeTTL > 0)
	OnMiss        func() // sent to the store, or joined a call already on its way
	OnEvict       func() // an entry pushed out, or kept out of a shared store, by the MaxEntries bound
}

// Cache is an authsrc.Source that remembers what the Source behind it said.
// It is safe for concurrent use.
type Cache struct {
	next   authsrc.Source
	cfg    Config
	prefix string // cfg.Context + "\x00"; keys are prefix + user
	mac    atomic.Pointer[macer]
	pos    store // accepted passwords
	neg    store // rejected passwords; nil unless cfg.NegativeTTL > 0
	found  store // users looked up
	gone   store // users looked up and missing; nil if not remembered

	flights singleflight.Group // password checks
	lookups singleflight.Group

	// mu orders writes from finished store calls against Invalidate and
	// Purge; gen counts those, so that a call which started before an
	// invalidation neither writes its (possibly stale) answer back nor
	// hands it to a request that arrives after. Hits read neither.
	mu  sync.Mutex
	gen atomic.Uint64

	// joined, when set by a test, runs once a request is waiting on a
	// store call, so tests can tell when N requests share one call.
	joined func()
}

// New returns a cache in front of next.
func New(next authsrc.Source, cfg Config) *Cache {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	cfg.NegativeTTL = min(max(cfg.NegativeTTL, 0), MaxNegativeTTL)
	if cfg.LookupNegativeTTL == 0 {
		cfg.LookupNegativeTTL = DefaultLookupNegativeTTL
	}
	cfg.LookupNegativeTTL = min(cfg.LookupNegativeTTL, MaxNegativeTTL)
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.BackendTimeout <= 0 {
		cfg.BackendTimeout = DefaultBackendTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Cache{next: next, cfg: cfg, prefix: cfg.Context + "\x00"}
	c.mac.Store(newMacer(cfg.MACKey))
	newStore := func(kind string, onEvict func()) store {
		if cfg.Shared != nil {
			return newSharedStore(cfg.Shared, kind, cfg, onEvict)
		}
		return newLRUStore(cfg.MaxEntries, onEvict)
	}
	c.pos = newStore("pos", cfg.Hooks.OnEvict)
	c.found = newStore("found", nil)
	if cfg.NegativeTTL > 0 {
		// A store of its own, so that a spray of wrong passwords pushes
		// out other rejections, never the users who got in.
		c.neg = newStore("neg", cfg.Hooks.OnEvict)
	}
	if cfg.LookupNegativeTTL > 0 {
		c.gone = newStore("gone", nil)
	}
	return c
}

// Authenticate answers from the cache when user last got in with exactly this
// password within TTL, and asks the store behind otherwise.
func (c *Cache) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	if err := authsrc.CheckInput(ctx, user, password); err != nil {
		return authsrc.Identity{}, err
	}
	key := c.prefix + user
	sum := c.mac.Load().sum(key, password)
	if id, ok, err := c.cached(ctx, key, sum); ok {
		if err == nil {
			call(c.cfg.Hooks.OnHit)
		} else {
			call(c.cfg.Hooks.OnNegativeHit)
		}
		return id, err
	}
	call(c.cfg.Hooks.OnMiss)
	return c.fetch(ctx, key, sum, user, password)
}

// cached is the cache's answer for key and the password whose digest is
// sum, if it holds one: the identity, or ErrInvalidCredentials from the
// negative cache.
func (c *Cache) cached(ctx context.Context, key string, sum digest) (authsrc.Identity, bool, error) {
	now := c.cfg.Now()
	if e, ok := c.pos.get(ctx, key); ok && e.matches(sum, now) {
		return cloneIdentity(e.id), true, nil
	}
	if c.neg != nil {
		if e, ok := c.neg.get(ctx, key); ok && e.matches(sum, now) {
			return authsrc.Identity{}, true, authsrc.ErrInvalidCredentials
		}
	}
	return authsrc.Identity{}, false, nil
}

// Invalidate forgets user, e.g. after a password change, a lock-out or a
// logout-everywhere: their passwords and what a lookup said of them. A
// store call already under way for user is not written back.
func (c *Cache) Invalidate(user string) {
	key := c.prefix + user
	c.forget(func(ctx context.Context, s store) { s.remove(ctx, key) })
}

// Purge forgets every user. With a shared store, it is this cache that
// forgets: it no longer trusts the entries written so far, by any
// instance.
func (c *Cache) Purge() {
	c.forget(func(ctx context.Context, s store) { s.purge(ctx) })
}

// Rekey hashes passwords under key from now on (Config.MACKey: the
// secret it derives from changed) and forgets every user, whose entries
// could not match anyway.
func (c *Cache) Rekey(key []byte) {
	c.mac.Store(newMacer(key))
	c.Purge()
}

// forget applies drop to each of the cache's stores.
func (c *Cache) forget(drop func(context.Context, store)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	for _, s := range []store{c.pos, c.neg, c.found, c.gone} {
		if s != nil {
			// A shared store bounds its own calls.
			drop(context.Background(), s)
		}
	}
}

// matches reports whether e is still fresh and holds sum. The hashes are
// compared in constant time: how long the comparison takes must not tell an
// attacker how much of a guess was right.
func (e entry) matches(sum digest, now time.Time) bool {
	return now.Before(e.expires) && subtle.ConstantTimeCompare(e.sum[:], sum[:]) == 1
}

// cloneIdentity copies the groups, so a caller that changes the slice it got
// cannot change what the cache answers next time.
func cloneIdentity(id authsrc.Identity) authsrc.Identity {
	id.Groups = slices.Clone(id.Groups)
	return id
}

func call(hook func()) {
	if hook != nil {
		hook()
	}
}
