package pwhash

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tkt-sso/tkt/authsrc/internal/pace"
)

// Floor makes every failed password check of one store take as long as its
// costliest: a little over the time of verifying the slowest class of hash
// the store holds, measured on this machine as it runs. A store verifies
// through it, and before answering "invalid credentials" (unknown user, or
// a wrong password against any hash) waits for it; a right password is
// answered at once.
//
// How a failure spends that time is the choice that matters:
//
//   - A known user's own hash is verified, whatever its class, and the rest
//     of the time is slept.
//   - An unknown user's password is verified against the store's typical
//     hash (the class most of its users have, or the one it writes), and
//     the rest is slept.
//
// Burning the CPU up to the floor instead (hashing at the slowest class
// for every failure) would let anyone who knows no user name make each
// request cost the one bcrypt-14 administrator's hash: a denial-of-service
// amplifier. Sleeping alone for unknown users would spend no CPU where a
// real user's failure spends some, and under CPU contention verifies slow
// down while sleeps don't. Verifying the typical hash keeps an unknown
// user's CPU cost and its slowdown under load those of most real failures,
// and sleep covers only the gap to the rare costlier classes. The floor
// follows the measured times of real verifies, so it rises as the machine
// gets busier; a class verified rarely (that one administrator's) is
// scaled by how much the typical class, verified at every unknown user,
// has slowed down or sped up since the rare one was last timed, so that
// its sleep grows with the contention its verify would have met. What
// remains: under a sudden slowdown, a failure can outlast the floor for a
// few logins until the estimates catch up.
//
// A Floor is safe for concurrent use.
type Floor struct {
	v Verifier

	calibrating sync.Mutex  // held while timing classes that have no time yet
	pending     atomic.Bool // some class has a sample and no time yet

	mu           sync.Mutex
	typical      string
	typicalClass string
	classes      map[string]*classTime
}

type classTime struct {
	// sample is a hash of the class, verified once to time it when no
	// login has yet; "" for a class learned from a login.
	sample string
	est    pace.Estimate
	// ref is the typical class's estimate when est was last updated
	// (0: none then); Duration scales est by how the typical class has
	// moved since.
	ref time.Duration
}

// The most a class's estimate is scaled by the typical class's change:
// beyond it, the machine changed too much for a ratio to say anything,
// and the class's own next verify will tell.
const minScale, maxScale = 0.5, 4

// calibrationPassword is what a sample hash is verified with; whether it
// matches makes no difference.
const calibrationPassword = "tkt-floor-calibration"

// NewFloor returns a Floor that verifies with v and knows no hash yet.
func NewFloor(v Verifier) *Floor {
	return &Floor{v: v, classes: map[string]*classTime{}}
}

// Track tells f what the store holds now: typical, the hash verified for
// unknown users, and all its hashes (one of each class is enough). A class
// no longer held is forgotten, so that the floor comes down once the last
// costly hash is gone (rehashed, removed); times measured for the classes
// still held are kept. A class is first timed at the first failure that
// needs it, not here: a store reloads on its own schedule, and tktctl
// opens stores it never logs in to.
func (f *Floor) Track(typical string, all iter.Seq[string]) {
	samples := map[string]string{}
	add := func(h string) {
		if c := Class(h); samples[c] == "" {
			samples[c] = h
		}
	}
	if typical != "" {
		add(typical)
	}
	if all != nil {
		for h := range all {
			add(h)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.typical = typical
	if c := Class(typical); c != f.typicalClass {
		f.typicalClass = c
		// Another yardstick: the classes' times are taken as of now.
		ref := f.typicalTime()
		for _, ct := range f.classes {
			ct.ref = ref
		}
	}
	classes := make(map[string]*classTime, len(samples))
	for c, h := range samples {
		if old := f.classes[c]; old != nil {
			classes[c] = old
		} else {
			classes[c] = &classTime{sample: h}
			f.pending.Store(true)
		}
	}
	f.classes = classes
}

// Verify checks password against hash as Verifier.Verify does, and times it
// for the floor. A class the floor did not know is learned: a store that
// can't list its hashes (an application's database) finds its slower
// classes as its users log in.
func (f *Floor) Verify(hash, password string) (bool, error) {
	start := time.Now()
	ok, err := f.v.Verify(hash, password)
	if err == nil {
		f.observe(Class(hash), time.Since(start))
	}
	return ok, err
}

// Unknown spends, for a user the store doesn't have, what a typical user's
// wrong password costs: password is verified against the typical hash.
// With no typical hash (a store with no users) it spends a bcrypt of the
// default cost, as Dummy does.
func (f *Floor) Unknown(password string) {
	f.mu.Lock()
	typical := f.typical
	f.mu.Unlock()
	if typical == "" {
		Dummy(password, 0)
		return
	}
	_, _ = f.Verify(typical, password)
}

// Wait returns once the floor has passed since start, when the store began
// checking the password, or when ctx ends. The first Wait after Track
// brought new classes first times them, one verify each.
func (f *Floor) Wait(ctx context.Context, start time.Time) {
	f.calibrate()
	pace.SleepUntil(ctx, start.Add(f.Duration()))
}

// Duration is how long a failure takes at least, as things stand.
func (f *Floor) Duration() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	typ := f.typicalTime()
	var slowest time.Duration
	for _, c := range f.classes {
		d := c.est.Value()
		if typ > 0 && c.ref > 0 {
			scale := min(max(float64(typ)/float64(c.ref), minScale), maxScale)
			d = time.Duration(float64(d) * scale)
		}
		slowest = max(slowest, d)
	}
	return pace.Floor(slowest)
}

// typicalTime is the typical class's estimate; 0 if none. f.mu is held.
func (f *Floor) typicalTime() time.Duration {
	if c := f.classes[f.typicalClass]; c != nil {
		return c.est.Value()
	}
	return 0
}

// calibrate times every class that has a sample but no time. Concurrent
// failures wait for it rather than answer at a floor that lacks a class.
func (f *Floor) calibrate() {
	if !f.pending.Load() {
		return
	}
	f.calibrating.Lock()
	defer f.calibrating.Unlock()
	if !f.pending.Swap(false) {
		return // timed while we waited
	}
	f.mu.Lock()
	todo := map[*classTime]string{}
	for _, c := range f.classes {
		if c.est.Value() == 0 && c.sample != "" {
			todo[c] = c.sample
		}
	}
	typical := f.classes[f.typicalClass]
	f.mu.Unlock()
	// The typical class first: the others' times are taken relative to it.
	if h, ok := todo[typical]; ok {
		_, _ = f.Verify(h, calibrationPassword)
	}
	for c, h := range todo {
		if c != typical {
			_, _ = f.Verify(h, calibrationPassword)
		}
	}
	// A sample whose verify failed (parameters that only fail when used)
	// is not tried again at every failure.
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range todo {
		c.sample = ""
	}
}

func (f *Floor) observe(class string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.classes[class]
	if c == nil {
		c = &classTime{}
		f.classes[class] = c
	}
	c.est.Add(d)
	c.ref = f.typicalTime()
}
