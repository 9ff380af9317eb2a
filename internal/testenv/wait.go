package testenv

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds, failing the test when timeout passes
// first: "timed out waiting for " + what. It polls often at first and then
// every 50 ms, so that a goroutine reaching a known point is seen at once
// and a process taking seconds to start costs little.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for pause := time.Millisecond; !cond(); pause = min(2*pause, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pause)
	}
}
