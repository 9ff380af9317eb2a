package authsrctest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
)

// Attempt is one kind of login whose duration TimeAttempts measures.
type Attempt struct {
	Name           string
	User, Password string
	Want           Outcome
}

// Timing is an attempt's median duration.
type Timing struct {
	Name   string
	Median time.Duration
}

// TimingRounds is how many times each attempt is timed by default: the
// median of 7 survives two or three rounds spoiled by other work on a
// shared machine.
const TimingRounds = 7

// The bounds CheckSimilar holds failed logins to, as the ratio of their
// median times. The attacks the timing tests replay saw 0.25 (an unknown
// user against a user with a costlier hash) and about 0 (a {SHA} user
// among bcrypt users); a store that makes every failure take one floor
// measures about 1.0, and a loaded two-core machine moves that by up to
// about 0.2 either way.
const (
	MinRatio = 0.7
	MaxRatio = 1.4
)

// TimeAttempts runs each attempt rounds times against s, checking its
// outcome, and returns each one's median duration in the order given. The
// attempts are interleaved, one of each per round, so that a burst of load
// slows them alike, and the median drops the rounds such a burst spoiled.
// Compare the medians as ratios: absolute times say more about the machine
// than about the store.
func TimeAttempts(t testing.TB, s authsrc.Source, rounds int, attempts ...Attempt) []Timing {
	t.Helper()
	times := make([][]time.Duration, len(attempts))
	for range rounds {
		for i, a := range attempts {
			start := time.Now()
			_, err := s.Authenticate(context.Background(), a.User, a.Password)
			times[i] = append(times[i], time.Since(start))
			if got := Classify(err); got != a.Want {
				t.Fatalf("%s: %s, want %s", a.Name, got, a.Want)
			}
		}
	}
	out := make([]Timing, len(attempts))
	for i, ts := range times {
		slices.Sort(ts)
		out[i] = Timing{Name: attempts[i].Name, Median: ts[len(ts)/2]}
	}
	return out
}

// CheckSimilar logs the timings and fails the test unless the first one's
// median is within [MinRatio, MaxRatio] of every other's: what an attacker
// timing those logins must not be able to tell apart.
func CheckSimilar(t testing.TB, timings ...Timing) {
	t.Helper()
	LogTimings(t, timings...)
	for _, x := range timings[1:] {
		if r := Ratio(timings[0].Median, x.Median); r < MinRatio || r > MaxRatio {
			t.Errorf("%s / %s = %.2f, want %.1f to %.1f: the time tells them apart",
				timings[0].Name, x.Name, r, MinRatio, MaxRatio)
		}
	}
}

// LogTimings logs each median and its ratio to the first.
func LogTimings(t testing.TB, timings ...Timing) {
	t.Helper()
	for _, x := range timings {
		t.Logf("%-36s median %8.1f ms  (%.2f of %s)", x.Name, ms(x.Median), Ratio(x.Median, timings[0].Median), timings[0].Name)
	}
}

// Ratio is a / b.
func Ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
