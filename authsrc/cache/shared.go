package cache

import (
	"context"
	"sync/atomic"
	"time"
)

// Shared is a store that several caches, in several processes, keep their
// entries in (shared.CredentialCache, on Redis), so that a password one
// tktd instance checked is a hit at every other. Config.Shared sets one.
//
// Entries are opaque bytes, named by a space (what the cache remembers,
// and for which context: its bound applies per space) and a key (the
// context and user name); both are arbitrary UTF-8 the store must keep
// from reaching other keys. A store that cannot answer returns an error,
// at once or within a short timeout: the cache takes it for a miss, and
// the user store is asked.
type Shared interface {
	// Get returns the entry, or nil without an error when there is none.
	Get(ctx context.Context, space, key string) ([]byte, error)
	// Set keeps value for ttl, unless limit entries were set in the
	// space lately (false): a store need not bound them exactly, only
	// keep their number in proportion to limit.
	Set(ctx context.Context, space, key string, value []byte, ttl time.Duration, limit int) (bool, error)
	// Delete forgets the entry.
	Delete(ctx context.Context, space, key string) error
}

// sharedStore is a store in a Shared: entries encoded with the time they
// were written, so that Purge can disown those written before it without
// reaching every entry (every instance purges on its own, at its own
// reload).
type sharedStore struct {
	s       Shared
	space   string
	max     int
	now     func() time.Time
	onEvict func() // an entry the bound kept out
	// floor is the unix time (ns) before which this instance trusts no
	// entry: a Purge, or a remove the store did not answer.
	floor atomic.Int64
}

func newSharedStore(s Shared, kind string, cfg Config, onEvict func()) *sharedStore {
	return &sharedStore{s: s, space: kind + "\x00" + cfg.Context, max: cfg.MaxEntries, now: cfg.Now, onEvict: onEvict}
}

func (s *sharedStore) get(ctx context.Context, key string) (entry, bool) {
	b, err := s.s.Get(ctx, s.space, key)
	if err != nil || b == nil {
		return entry{}, false
	}
	e, written, err := decodeEntry(b)
	// Up to the purge's instant, its own included: an entry written in
	// that same instant may predate it.
	if err != nil || written.UnixNano() <= s.floor.Load() {
		return entry{}, false
	}
	return e, true
}

func (s *sharedStore) put(ctx context.Context, key string, e entry) {
	now := s.now()
	ttl := e.expires.Sub(now)
	if ttl <= 0 {
		return
	}
	kept, err := s.s.Set(ctx, s.space, key, encodeEntry(e, now), ttl, s.max)
	if err == nil && !kept && s.onEvict != nil {
		s.onEvict()
	}
}

// remove deletes the entry; when the store cannot, this instance trusts no
// entry written so far, as after a Purge, rather than serve it again once
// the store answers.
func (s *sharedStore) remove(ctx context.Context, key string) {
	if s.s.Delete(ctx, s.space, key) != nil {
		s.purge(ctx)
	}
}

func (s *sharedStore) purge(context.Context) { s.floor.Store(s.now().UnixNano()) }
