package testenv

import (
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	n := 0
	if r := run(t, func(tb testing.TB) { WaitFor(tb, "three calls", time.Second, func() bool { n++; return n == 3 }) }); r.failed != "" {
		t.Errorf("a condition that comes true: %q", r.failed)
	}
	start := time.Now()
	r := run(t, func(tb testing.TB) { WaitFor(tb, "Godot", 100*time.Millisecond, func() bool { return false }) })
	if r.failed != "timed out waiting for Godot" || time.Since(start) < 100*time.Millisecond {
		t.Errorf("a condition that never holds: failed %q after %v", r.failed, time.Since(start))
	}
}
