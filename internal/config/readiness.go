package config

import (
	"context"
	"time"
)

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
