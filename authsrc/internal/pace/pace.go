// Package pace sets how long a store's failed logins take: each store
// learns how long its costliest password check takes (Estimate) and holds
// every failure until a little after that (Floor, SleepUntil), so that the
// response time does not tell an unknown user from a known one, or one
// user's hash from another's.
package pace

import (
	"context"
	"time"
)

// Estimate follows how long one kind of operation takes: a moving average
// in which each new sample weighs a quarter, so that it follows a machine
// that gets busier within a few logins. The zero value has no samples. It
// is not safe for concurrent use; its owner locks.
type Estimate struct{ d time.Duration }

// Add folds in one measured duration. A sample over twice the estimate
// counts as twice it: one outlier (a stop of the whole process, a page
// swapped in) must not make every failure wait seconds for long after,
// while a lasting slowdown still gets through within a few samples.
func (e *Estimate) Add(d time.Duration) {
	switch {
	case d <= 0:
		return
	case e.d == 0:
		e.d = d
		return
	case d > 2*e.d:
		d = 2 * e.d
	}
	e.d += (d - e.d) / 4
}

// Value is the estimate; 0 before any sample.
func (e Estimate) Value() time.Duration { return e.d }

// Floor is how long failures are held given the estimate of the costliest
// check: a quarter more, so that the check's ordinary jitter, and a verify
// somewhat slower than the average, still ends before the floor and the
// answer leaves at the floor, not at the verify's own end.
func Floor(est time.Duration) time.Duration { return est + est/4 }

// SleepUntil returns at t, or sooner if ctx ends: a caller who has gone
// away sees no timing, and a deadline must be kept.
func SleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
