package shared

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Status is what a Client knows of Redis's health.
type Status struct {
	// Known is false until Redis first answered or failed.
	Known bool
	// Up reports whether the last call was answered.
	Up bool
	// Since is when Up last changed (or the Client was opened).
	Since time.Time
	// LastSeen is when Redis last answered; zero if it never did.
	LastSeen time.Time
	// Outages counts the times Redis went away since Open.
	Outages uint64
	// Err is why the last call failed, while !Up.
	Err error
}

// health follows the outcome of every call to Redis and logs a line when
// Redis goes away and one when it returns: one line per outage, however
// many requests and retries it spans.
type health struct {
	log  *slog.Logger
	name string
	now  func() time.Time
	// down mirrors st.Known && !st.Up for the per-request features, which
	// ask on every request whether to try Redis at all.
	down atomic.Bool

	mu sync.Mutex
	st Status
}

func newHealth(log *slog.Logger, name string, now func() time.Time) *health {
	return &health{log: log, name: name, now: now, st: Status{Since: now()}}
}

// observe records the outcome of a call sent at start. A missing key
// (redis.Nil) is an answer; a call cancelled by its caller, or made after
// Close, says nothing of Redis. Nor does an answer to a call sent before
// Redis was found away: it may have been read from the socket after
// another call timed out on a Redis that stopped since, and would log a
// return that did not happen. The next call, or the probe, tells.
func (h *health) observe(start time.Time, err error) {
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, redis.ErrClosed) {
		return
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	was := h.st
	if err == nil && was.Known && !was.Up && start.Before(was.Since) {
		return
	}
	if err == nil {
		h.st.LastSeen, h.st.Err = now, nil
	} else {
		h.st.Err = err
	}
	if was.Known && was.Up == (err == nil) {
		return
	}
	h.st.Known, h.st.Up, h.st.Since = true, err == nil, now
	h.down.Store(err != nil)
	switch {
	case err != nil:
		h.st.Outages++
		// The one line of the outage, for every feature: each says here
		// what it does meanwhile (docs/deployment.md has the reasons).
		h.log.Warn("redis unreachable: shared state is served from this instance's memory until it returns "+
			"(revocation: the last copy of the marks; sessions: the last copy of the ended ones until stale_after, no new logins with a session; login throttle: this instance's own buckets; credential cache: every check goes to the user store)",
			"redis", h.name, "err", err)
	case was.Known:
		h.log.Info("redis reachable again", "redis", h.name, "down_for", now.Sub(was.Since).Round(time.Millisecond))
	}
}

func (h *health) status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st
}
