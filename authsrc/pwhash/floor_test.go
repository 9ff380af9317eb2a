package pwhash

import (
	"context"
	"slices"
	"testing"
	"time"
)

// timeVerify is the median time of verifying hash, as a yardstick.
func timeVerify(hash string) time.Duration {
	var ds []time.Duration
	for range 5 {
		start := time.Now()
		_, _ = (Verifier{}).Verify(hash, "x")
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[2]
}

// The classes compared differ 32-fold (bcrypt 4 and 9), and the checks
// allow a factor of 4: the time of a verify on a loaded machine can
// double between two measurements, but never come near 32.
func TestFloor(t *testing.T) {
	cheap, costly := UnmatchableBcrypt(4), UnmatchableBcrypt(9)
	f := NewFloor(Verifier{})
	f.Track(cheap, slices.Values([]string{cheap, costly, "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM="}))
	if f.Duration() != 0 {
		t.Fatalf("floor before any failure: %v; Track must not hash", f.Duration())
	}

	// An unknown user's failure: the typical hash, then the wait, which
	// times the classes first.
	start := time.Now()
	f.Unknown("guess")
	f.Wait(context.Background(), start)
	took := time.Since(start)
	yardstick := timeVerify(costly)
	t.Logf("floor %v, unknown user took %v, verifying the costly hash %v", f.Duration(), took, yardstick)
	if took < yardstick/4 {
		t.Errorf("unknown user took %v, under the costly class's %v", took, yardstick)
	}

	// Once the costly hash is gone, the floor comes down.
	f.Track(cheap, slices.Values([]string{cheap}))
	if d := f.Duration(); d > yardstick/4 {
		t.Errorf("floor %v after the costly class left, want about a bcrypt-4", d)
	}

	// A class met at a login is learned.
	if ok, err := f.Verify(costly, "guess"); ok || err != nil {
		t.Fatal(ok, err)
	}
	if d := f.Duration(); d < yardstick/4 {
		t.Errorf("floor %v after verifying a costly hash, want about %v", d, yardstick)
	}

	// A caller that has gone away is not held.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	f.Wait(ctx, start)
	if d := time.Since(start); d > yardstick/4 {
		t.Errorf("Wait with a done context took %v", d)
	}
}

func TestFloorNoUsers(t *testing.T) {
	f := NewFloor(Verifier{})
	f.Track("", nil)
	start := time.Now()
	f.Unknown("guess") // a bcrypt of the default cost, as Dummy
	f.Wait(context.Background(), start)
	if d := time.Since(start); d < timeVerify(UnmatchableBcrypt(0))/4 {
		t.Errorf("unknown user in an empty store took %v", d)
	}
}

// TestFloorFollowsLoad: a class verified rarely keeps the time it was last
// measured at; once the typical class, verified at every unknown user,
// takes three times as long (the machine is busy), the floor takes the
// rare class's time as three times as long too, and no more than four.
func TestFloorFollowsLoad(t *testing.T) {
	typical, rare := UnmatchableBcrypt(4), UnmatchableBcrypt(9)
	f := NewFloor(Verifier{})
	f.Track(typical, slices.Values([]string{typical, rare}))
	const ms = time.Millisecond
	f.observe(Class(typical), 10*ms)
	f.observe(Class(rare), 100*ms)
	if d := f.Duration(); d != 125*ms {
		t.Fatalf("floor %v, want 125ms: the rare class's 100ms and a quarter", d)
	}
	for range 40 {
		f.observe(Class(typical), 30*ms)
	}
	if d := f.Duration(); d < 370*ms || d > 375*ms {
		t.Errorf("floor %v under three times the load, want about 375ms", d)
	}
	for range 40 {
		f.observe(Class(typical), 100*ms)
	}
	if d := f.Duration(); d != 500*ms {
		t.Errorf("floor %v under ten times the load, want 500ms: the scale stops at 4", d)
	}
	f.observe(Class(rare), 900*ms) // measured under the load: its own time again
	if d := f.Duration(); d < 150*ms || d > 400*ms {
		t.Errorf("floor %v after the rare class was timed again, want its own estimate", d)
	}
}
