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

// Redis hangs: the last copy is served for stale_after, then on_outage
// decides; one line is logged for the outage however many requests it
// spans, and everything recovers when Redis answers again, without a
// restart.
func TestOutage(t *testing.T) {
	for _, tc := range []struct {
		policy shared.Outage
		// after stale_after, for a ticket of a revoked user and of another
		revoked, other string
	}{
		{shared.OutageDefault, "revoked", "stands"}, // open for revocation
		{shared.OutageOpen, "revoked", "stands"},
		{shared.OutageClosed, "unavailable", "unavailable"},
	} {
		name := string(tc.policy)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			d, srv := private(t)
			log, logs := textLog()
			c, r := d.instance(t, log, func(c *shared.Config) { c.OnOutage = tc.policy })
			ctx := context.Background()
			issued := time.Now().Add(-time.Minute)
			if _, err := r.Revoke(ctx, "alice", time.Now()); err != nil {
				t.Fatal(err)
			}

			if err := srv.Freeze(); err != nil {
				t.Fatal(err)
			}
			defer srv.Thaw()
			frozen := time.Now()
			// Within stale_after: the last copy, whatever the policy.
			if a, o := verdict(r.Check("alice", issued)), verdict(r.Check("bob", issued)); a != "revoked" || o != "stands" {
				t.Errorf("just frozen: alice %s, bob %s; want the last copy", a, o)
			}
			if err := c.Check(ctx); err == nil || !strings.Contains(err.Error(), "redis://127.0.0.1:") {
				t.Errorf("readiness while frozen: %v, want an error naming Redis", err)
			}
			testenv.WaitFor(t, "the copy to go stale", 10*time.Second, func() bool { return r.Status().Stale })
			if since := time.Since(frozen); since < time.Second {
				t.Errorf("stale %v after the freeze, before stale_after (1s)", since)
			}
			for range 1000 { // requests: none of them logs
				r.Check("bob", issued)
			}
			if a, o := verdict(r.Check("alice", issued)), verdict(r.Check("bob", issued)); a != tc.revoked || o != tc.other {
				t.Errorf("stale: alice %s, bob %s; want %s, %s", a, o, tc.revoked, tc.other)
			}
			if st := c.Status(); st.Up || st.Outages != 1 || st.Err == nil {
				t.Errorf("client status while frozen: %+v", st)
			}

			if err := srv.Thaw(); err != nil {
				t.Fatal(err)
			}
			testenv.WaitFor(t, "recovery", 10*time.Second, func() bool {
				st := r.Status()
				return !st.Stale && !st.Refusing && verdict(r.Check("bob", issued)) == "stands"
			})
			if _, err := r.Revoke(ctx, "bob", time.Now()); err != nil {
				t.Fatalf("Revoke after the outage: %v", err)
			}
			if got := verdict(r.Check("bob", issued)); got != "revoked" {
				t.Errorf("bob after the outage: %s", got)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "redis unreachable") || !strings.Contains(lines[1], "redis reachable again") {
				t.Errorf("want one line when Redis went away and one when it came back, got:\n%s", logs)
			}
		})
	}
}

// Redis stops, then returns empty (a restart without persistence): the
// instance keeps the marks it had, hears the marks made after the restart
// (it subscribed again by itself), and no goroutine outlives Close.
func TestRestart(t *testing.T) {
	d, srv := private(t)
	before := runtime.NumGoroutine()
	c, a := d.instance(t, nil, nil)
	cb, b := d.instance(t, nil, nil)
	ctx := context.Background()
	issued := time.Now().Add(-time.Minute)
	if _, err := a.Revoke(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	waitVerdict(t, b, "alice", issued, "revoked", time.Second)

	srv.Stop()
	if _, err := a.Revoke(ctx, "bob", time.Now()); err == nil || !strings.Contains(err.Error(), "redis://127.0.0.1:") {
		t.Errorf("Revoke while Redis is down: %v, want an error naming Redis", err)
	}
	srv.Restart(t)
	testenv.WaitFor(t, "the client to see Redis back", 10*time.Second, func() bool { return c.Status().Up || c.Check(ctx) == nil })
	// Each instance subscribes again by itself; a mark made through one
	// reaches the other.
	deadline := time.Now().Add(10 * time.Second)
	for verdict(b.Check("carol", issued)) != "revoked" {
		if time.Now().After(deadline) {
			t.Fatal("a mark made after the restart never reached the other instance")
		}
		if _, err := a.Revoke(ctx, "carol", time.Now()); err != nil {
			t.Logf("Revoke right after the restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := verdict(b.Check("alice", issued)); got != "revoked" {
		t.Errorf("alice's mark, lost by Redis: %s; want it kept by the instance", got)
	}

	closeAll(t, before, c, cb)
}

// Close while Redis hangs returns, and leaves no goroutine behind.
func TestCloseWhileFrozen(t *testing.T) {
	d, srv := private(t)
	before := runtime.NumGoroutine()
	c, r := d.instance(t, nil, nil)
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer srv.Thaw()
	time.Sleep(500 * time.Millisecond) // the follower is mid-read or retrying
	start := time.Now()
	r.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Revocations.Close took %v", took)
	}
	closeAll(t, before, c)
}

// closeAll closes the clients (each with its Revocations) and checks
// that the goroutine count is back to before.
func closeAll(t *testing.T, before int, clients ...*shared.Client) {
	t.Helper()
	start := time.Now()
	for _, c := range clients {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		c.Close() // twice is fine
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %v", took)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
