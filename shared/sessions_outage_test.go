package shared_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
)

// Redis hangs: the ended ids are served from the last copy for
// stale_after, then on_outage decides, closed by default for sessions (a
// session that cannot be looked up cannot be trusted); one line is logged
// for the outage, Extend fails at once rather than per request after a
// timeout, and everything recovers when Redis answers again.
func TestSessionsOutage(t *testing.T) {
	for _, tc := range []struct {
		policy shared.Outage
		// after stale_after, for an ended session and a live one
		ended, live string
	}{
		{shared.OutageDefault, "unavailable", "unavailable"}, // closed for sessions
		{shared.OutageClosed, "unavailable", "unavailable"},
		{shared.OutageOpen, "ended", "stands"},
	} {
		name := string(tc.policy)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			d, srv := private(t)
			log, logs := textLog()
			c, s := d.sessions(t, log, func(c *shared.Config) { c.OnOutage = tc.policy })
			ctx := context.Background()
			gone, live := create(t, s, "alice", "a"), create(t, s, "alice", "b")
			if _, err := s.End(ctx, gone.ID); err != nil {
				t.Fatal(err)
			}

			if err := srv.Freeze(); err != nil {
				t.Fatal(err)
			}
			defer srv.Thaw()
			frozen := time.Now()
			if e, l := sessionVerdict(s.Check(gone.ID)), sessionVerdict(s.Check(live.ID)); e != "ended" || l != "stands" {
				t.Errorf("just frozen: ended %s, live %s; want the last copy", e, l)
			}
			testenv.WaitFor(t, "the copy to go stale", 10*time.Second, func() bool { return s.Status().Stale })
			if since := time.Since(frozen); since < time.Second {
				t.Errorf("stale %v after the freeze, before stale_after (1s)", since)
			}
			for range 1000 { // requests: none of them logs
				s.Check(live.ID)
			}
			if e, l := sessionVerdict(s.Check(gone.ID)), sessionVerdict(s.Check(live.ID)); e != tc.ended || l != tc.live {
				t.Errorf("stale: ended %s, live %s; want %s, %s", e, l, tc.ended, tc.live)
			}
			if st := s.Status(); st.Refusing != (tc.live == "unavailable") {
				t.Errorf("Status while stale: %+v", st)
			}
			start := time.Now()
			if err := s.Extend(ctx, "alice", live.ID); err == nil || time.Since(start) > 100*time.Millisecond {
				t.Errorf("Extend while Redis is away: %v after %v, want a failure at once", err, time.Since(start))
			}
			if _, err := s.Create(ctx, shared.Session{User: "bob"}); err == nil || !strings.Contains(err.Error(), "redis://127.0.0.1:") {
				t.Errorf("Create while Redis hangs: %v, want an error naming Redis", err)
			}

			if err := srv.Thaw(); err != nil {
				t.Fatal(err)
			}
			testenv.WaitFor(t, "recovery", 10*time.Second, func() bool {
				st := s.Status()
				return !st.Stale && !st.Refusing && sessionVerdict(s.Check(live.ID)) == "stands" && c.Status().Up
			})
			if err := s.Extend(ctx, "alice", live.ID); err != nil {
				t.Errorf("Extend after the outage: %v", err)
			}
			if _, err := s.End(ctx, live.ID); err != nil {
				t.Fatalf("End after the outage: %v", err)
			}
			if got := sessionVerdict(s.Check(live.ID)); got != "ended" {
				t.Errorf("after the outage, ended: %s", got)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "redis unreachable") || !strings.Contains(lines[1], "redis reachable again") {
				t.Errorf("want one line when Redis went away and one when it came back, got:\n%s", logs)
			}
		})
	}
}

// Started while Redis hangs: closed (the default) refuses every session
// until the first full read, open knows no ended session.
func TestSessionsStartFrozen(t *testing.T) {
	for _, tc := range []struct {
		policy shared.Outage
		want   string
	}{{shared.OutageDefault, "unavailable"}, {shared.OutageOpen, "stands"}} {
		d, srv := private(t)
		if err := srv.Freeze(); err != nil {
			t.Fatal(err)
		}
		cfg := d.base
		cfg.OnOutage = tc.policy
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		c, err := shared.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Sessions(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got := sessionVerdict(s.Check("LIVELIVELIVELIVELIVELI")); got != tc.want {
			t.Errorf("on_outage %q, started frozen: %s, want %s", tc.policy, got, tc.want)
		}
		srv.Thaw()
		testenv.WaitFor(t, "the first read", 10*time.Second, func() bool { return !s.Status().Synced.IsZero() })
		if got := sessionVerdict(s.Check("LIVELIVELIVELIVELIVELI")); got != "stands" {
			t.Errorf("on_outage %q, after the first read: %s", tc.policy, got)
		}
		c.Close()
	}
}

// Revocations and Sessions of one Client share it; Close stops both and
// leaves no goroutine behind, even while Redis hangs.
func TestSessionsClose(t *testing.T) {
	d, srv := private(t)
	before := runtime.NumGoroutine()
	c, s := d.sessions(t, nil, nil)
	r := c.Revocations(context.Background())
	c2, s2 := d.sessions(t, nil, nil)
	if err := s2.Close(); err != nil { // on its own, before its Client
		t.Fatal(err)
	}
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer srv.Thaw()
	time.Sleep(500 * time.Millisecond) // the followers are mid-read or retrying
	closeAll(t, before, c, c2)
	// Checks go on answering from the last copy.
	if got := sessionVerdict(s.Check("LIVELIVELIVELIVELIVELI")); got != "stands" {
		t.Errorf("Check after Close: %s", got)
	}
	if err := r.Check("alice", time.Now()); err != nil {
		t.Errorf("Revocations.Check after Close: %v", err)
	}
}

// A copy is ready when it is made: with on_outage closed, which refuses
// until the first full read, the first Check after Sessions or
// Revocations returned answers from that read, not "unavailable".
func TestReadyWhenMade(t *testing.T) {
	d, _ := private(t)
	closed := func(c *shared.Config) { c.OnOutage = shared.OutageClosed }
	for i := range 100 {
		c, s := d.sessions(t, nil, closed)
		if got := sessionVerdict(s.Check("LIVELIVELIVELIVELIVELI")); got != "stands" {
			t.Fatalf("made %d: a session's first check: %s", i, got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := c.Revocations(ctx)
		cancel()
		if err := r.Check("alice", time.Now()); err != nil {
			t.Fatalf("made %d: a ticket's first revocation check: %v", i, err)
		}
		c.Close()
	}
}
