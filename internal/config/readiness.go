package config

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ldapProbeEvery is how long an LDAP store's readiness answer is kept
// (atMostEvery).
const ldapProbeEvery = time.Second

// StoreError is a store that failed its readiness check.
type StoreError struct {
	Store string // the store's name, without credentials
	Err   error
}

func (e *StoreError) Error() string { return e.Store + ": " + e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// Check reports the stores that can't be reached, for a readiness probe:
// one StoreError each, joined in the stores' order. The stores are checked
// at once, each bounded by ctx: one hung store (a frozen directory takes
// the whole deadline to fail) must not make those after it look down too.
func (s *Stores) Check(ctx context.Context) error {
	errs := make([]error, len(s.list))
	var wg sync.WaitGroup
	for i, st := range s.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.check(ctx); err != nil {
				errs[i] = &StoreError{Store: st.name, Err: err}
			}
		}()
	}
	wg.Wait()
	s.logDegraded()
	return errors.Join(errs...)
}

// Degraded reports the stores that are ready but serve from memory: an
// htpasswd file gone or broken since its last good load, whose users
// still log in from that load (a restart would not start). One StoreError
// each, joined; nil when there are none. It costs a stat per file.
func (s *Stores) Degraded() error {
	var errs []error
	for _, st := range s.list {
		if st.degraded == nil {
			continue
		}
		if err := st.degraded(); err != nil {
			errs = append(errs, &StoreError{Store: st.name, Err: err})
		}
	}
	return errors.Join(errs...)
}

// logDegraded logs what Degraded says when it changes, so that the
// readiness probes, which see "ready", leave a line saying why a store
// serves from memory, once, and another when it no longer does.
func (s *Stores) logDegraded() {
	err := s.Degraded()
	now := ""
	if err != nil {
		now = err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now == s.degraded {
		return
	}
	s.degraded = now
	if err != nil {
		s.log.Warn("ready, but a user store serves from memory", "err", err)
	} else {
		s.log.Info("user stores serve from their files again")
	}
}

// atMostEvery returns check, run at most once per interval: a caller
// within interval of the last run gets its result, and callers that come
// while it runs wait for it (or for their own ctx). /readyz is asked by
// every load balancer and by anyone who can reach it, and an LDAP probe
// costs the directory a connection and a bind each time. A result cut
// short by the caller's own ctx (the client went away) is not kept.
func atMostEvery(interval time.Duration, check func(context.Context) error) func(context.Context) error {
	turn := make(chan struct{}, 1) // held by the one caller using at and last
	var at time.Time
	var last error
	return func(ctx context.Context) error {
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-turn }()
		if !at.IsZero() && time.Since(at) < interval {
			return last
		}
		err := check(ctx)
		if ctx.Err() == nil {
			at, last = time.Now(), err
		}
		return err
	}
}
