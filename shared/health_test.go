package shared

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The outage is logged once, and its end once; an answer to a call sent
// before Redis was found away is not its return: it may have been read
// from the socket late, after another call timed out on a stopped Redis
// (what made TestSessionsOutage log a return that did not happen).
func TestHealthLateAnswer(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	h := newHealth(slog.New(slog.NewTextHandler(&buf, nil)), "redis://test", clock)
	tick := func() time.Time { now = now.Add(time.Millisecond); return now }

	early := tick()
	h.observe(early, nil)
	before := tick() // a call sent while Redis answers...
	tick()
	h.observe(tick(), context.DeadlineExceeded) // ...another times out...
	h.observe(before, nil)                      // ...and the first's answer is read late
	if st := h.status(); st.Up || !h.down.Load() || st.Outages != 1 {
		t.Fatalf("a late answer ended the outage: %+v", st)
	}
	h.observe(tick(), errors.New("dial tcp: connection refused"))
	if st := h.status(); st.Outages != 1 || st.Err == nil || !strings.Contains(st.Err.Error(), "refused") {
		t.Errorf("a second failure in one outage: %+v", st)
	}
	h.observe(tick(), nil) // a call sent after the outage began
	if st := h.status(); !st.Up || h.down.Load() || !st.LastSeen.Equal(now) {
		t.Errorf("an answer to a new call: %+v", st)
	}
	h.observe(early, context.Canceled) // the caller's own cancellation says nothing
	if !h.status().Up {
		t.Error("a cancelled call counted as an outage")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "redis unreachable") || !strings.Contains(lines[1], "redis reachable again") {
		t.Errorf("want one line for the outage and one for its end, got:\n%s", buf.String())
	}
}
