package web

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ThrottleStore keeps the login throttle's token buckets and the networks
// each user signed in from. Each instance keeps its own in memory; a
// shared store (shared.Throttle, on Redis) makes every instance count the
// same failures. ThrottleConfig.Store sets one.
//
// A bucket is named by its kind ("pair", "net" or "user") and a key that
// holds a user name or a client network, which the store must treat as
// opaque bytes. It holds burst tokens and refills them all over window,
// one every window/burst; a bucket never taken from, or full again, is
// full. Stores compute alike (GCRA: the time the bucket is full again),
// as at the now they are given, so that every store answers the same.
//
// A store that cannot answer returns an error, at once or within a short
// timeout: the throttle then counts in this instance's memory instead, for
// the rest of the attempt (never unlimited, never locked). The in-memory
// store never fails.
type ThrottleStore interface {
	// Take takes a token from the bucket. An empty one gives none and
	// says how long until it has one again.
	Take(ctx context.Context, kind, key string, burst int, window time.Duration, now time.Time) (wait time.Duration, err error)
	// Give puts back a token Take took, up to full.
	Give(ctx context.Context, kind, key string, burst int, window time.Duration, now time.Time) error
	// Drop makes the bucket full again.
	Drop(ctx context.Context, kind, key string) error
	// Known reports whether Remember was told of key within the last
	// within before now.
	Known(ctx context.Context, key string, within time.Duration, now time.Time) (bool, error)
	// Remember records a successful login of key (a user name and client
	// network) at now, to be known for within.
	Remember(ctx context.Context, key string, within time.Duration, now time.Time) error
}

// memThrottle is the in-memory ThrottleStore: a bounded LRU per kind of
// bucket, and one of known networks, so that a flood of made-up names
// costs a fixed amount of memory. It evicts the oldest entries, which
// resets their counts, but the flood itself comes from networks whose own
// buckets empty first (the throttler asks a network's bucket before it
// creates any for a name).
type memThrottle struct {
	maxKeys int

	mu      sync.Mutex // makes each read-modify-write of a bucket one step
	buckets map[string]*lru.Cache[string, time.Time]
	known   *lru.Cache[string, time.Time]
}

func newMemThrottle(maxKeys int) *memThrottle {
	return &memThrottle{maxKeys: maxKeys, buckets: map[string]*lru.Cache[string, time.Time]{}, known: newLRU(maxKeys)}
}

func newLRU(size int) *lru.Cache[string, time.Time] {
	// lru.New only fails for a size <= 0, which withDefaults rules out.
	l, _ := lru.New[string, time.Time](size)
	return l
}

// bucketsOf is the LRU of one kind of bucket, created at first use; m.mu
// is held.
func (m *memThrottle) bucketsOf(kind string) *lru.Cache[string, time.Time] {
	l, ok := m.buckets[kind]
	if !ok {
		l = newLRU(m.maxKeys)
		m.buckets[kind] = l
	}
	return l
}

func (m *memThrottle) Take(_ context.Context, kind, key string, burst int, window time.Duration, now time.Time) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.bucketsOf(kind)
	full, _ := l.Get(key) // the zero time when new: full
	next, wait := gcraTake(full, now, interval(burst, window), burst)
	if wait <= 0 {
		l.Add(key, next)
	}
	return wait, nil
}

func (m *memThrottle) Give(_ context.Context, kind, key string, burst int, window time.Duration, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.bucketsOf(kind)
	if full, ok := l.Peek(key); ok {
		// A bucket full again stays: a script sending its password with
		// every request would otherwise build a new one each time.
		l.Add(key, gcraGive(full, now, interval(burst, window)))
	}
	return nil
}

func (m *memThrottle) Drop(_ context.Context, kind, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.bucketsOf(kind)
	if _, ok := l.Peek(key); ok {
		l.Add(key, time.Time{}) // kept, full, for the reason Give says
	}
	return nil
}

func (m *memThrottle) Known(_ context.Context, key string, within time.Duration, now time.Time) (bool, error) {
	at, ok := m.known.Get(key)
	return ok && now.Sub(at) < within, nil
}

func (m *memThrottle) Remember(_ context.Context, key string, _ time.Duration, now time.Time) error {
	m.known.Add(key, now)
	return nil
}

// interval is how long a bucket of burst tokens over window takes to get
// one back, in whole microseconds as shared.Throttle counts on Redis:
// both stores then give the same waits.
func interval(burst int, window time.Duration) time.Duration {
	return max(time.Microsecond, (window / time.Duration(burst)).Truncate(time.Microsecond))
}

// gcraTake takes a token from a bucket full again at full (GCRA's
// "theoretical arrival time"; a bucket then holds burst - (full-now)/every
// tokens): it returns when the bucket is full again after, or, when it is
// empty, how long until it has a token.
func gcraTake(full, now time.Time, every time.Duration, burst int) (time.Time, time.Duration) {
	if full.Before(now) {
		full = now
	}
	next := full.Add(every)
	if wait := next.Sub(now) - time.Duration(burst)*every; wait > 0 {
		return full, wait
	}
	return next, 0
}

// gcraGive puts a token back in a bucket full again at full.
func gcraGive(full, now time.Time, every time.Duration) time.Time {
	if full = full.Add(-every); full.Before(now) {
		return time.Time{}
	}
	return full
}
