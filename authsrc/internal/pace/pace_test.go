package pace

import (
	"context"
	"testing"
	"time"
)

func TestEstimate(t *testing.T) {
	var e Estimate
	if e.Value() != 0 {
		t.Fatalf("zero Estimate = %v", e.Value())
	}
	e.Add(100 * time.Millisecond)
	if e.Value() != 100*time.Millisecond {
		t.Fatalf("first sample: %v, want it as is", e.Value())
	}
	e.Add(200 * time.Millisecond)
	if e.Value() != 125*time.Millisecond {
		t.Fatalf("after 200ms: %v, want 125ms (a quarter of the way)", e.Value())
	}
	// One outlier moves it as a sample of twice the estimate would.
	e.Add(time.Hour)
	if want := 125*time.Millisecond + 125*time.Millisecond/4; e.Value() != want {
		t.Fatalf("after an outlier: %v, want %v", e.Value(), want)
	}
	// A lasting change gets through.
	for range 30 {
		e.Add(time.Second)
	}
	if e.Value() < 900*time.Millisecond {
		t.Fatalf("after 30 samples of 1s: %v", e.Value())
	}
	for range 30 {
		e.Add(10 * time.Millisecond)
	}
	if e.Value() > 20*time.Millisecond {
		t.Fatalf("after 30 samples of 10ms: %v", e.Value())
	}
	e.Add(0)
	e.Add(-time.Second)
	if e.Value() <= 0 {
		t.Fatalf("non-positive samples changed it: %v", e.Value())
	}
}

func TestSleepUntil(t *testing.T) {
	start := time.Now()
	SleepUntil(context.Background(), start.Add(50*time.Millisecond))
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("returned after %v, want 50ms", d)
	}
	start = time.Now()
	SleepUntil(context.Background(), start.Add(-time.Second))
	if d := time.Since(start); d > 10*time.Millisecond {
		t.Errorf("a time in the past waited %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	SleepUntil(ctx, start.Add(time.Hour))
	if d := time.Since(start); d > time.Second {
		t.Errorf("a done context waited %v", d)
	}
}
