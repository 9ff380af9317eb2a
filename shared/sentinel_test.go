package shared_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/shared"
)

// Behind a Sentinel, a failover loses nothing: the marks and ended
// sessions written before it are still enforced, and what either
// instance writes after it reaches the other within a second, through
// the new master's pub/sub rather than a resync (an hour away here).
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Sentinel deployment")
	}
	d, s := sentinel(t)
	hourly := func(c *shared.Config) { c.ResyncInterval = time.Hour }
	ca, a := d.instance(t, nil, hourly)
	_, b := d.instance(t, nil, hourly)
	sa, err := ca.Sessions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, sb := d.sessions(t, nil, hourly)
	ctx := context.Background()
	issued := time.Now().Add(-time.Minute)

	if _, err := a.Revoke(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	waitVerdict(t, b, "alice", issued, "revoked", time.Second)
	before := create(t, sa, "carol", "ua")
	if _, err := sa.End(ctx, before.ID); err != nil {
		t.Fatal(err)
	}
	waitSession(t, sb, before.ID, "ended", time.Second)
	// The replica must hold the writes before it is promoted.
	if n, err := d.raw.Do(ctx, "WAIT", 1, 5000).Int(); n != 1 || err != nil {
		t.Fatalf("WAIT 1: %d, %v", n, err)
	}

	start := time.Now()
	s.Failover(t)
	t.Logf("failover took %v", time.Since(start))

	// The first writes may meet the switch; a caller sees an error and
	// tries again, as tktctl's user would.
	start = time.Now()
	var m shared.Mark
	for m, err = b.Revoke(ctx, "bob", time.Now()); err != nil; m, err = b.Revoke(ctx, "bob", time.Now()) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("Revoke after the failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the first write after the failover succeeded %v after it", time.Since(start))
	t.Logf("bob's mark reached A %v after B wrote it, on the new master", waitVerdict(t, a, "bob", issued, "revoked", time.Second))
	if got := verdict(a.Check("alice", issued)); got != "revoked" {
		t.Errorf("alice's mark from before the failover: %s", got)
	}
	marks, err := a.Marks(ctx)
	if err != nil || len(marks) != 2 {
		t.Errorf("Marks after the failover: %v, %v; want alice's and %v", marks, err, m)
	}

	after := create(t, sb, "dave", "ua")
	if _, err := sb.End(ctx, after.ID); err != nil {
		t.Fatal(err)
	}
	waitSession(t, sa, after.ID, "ended", time.Second)
	if got := sessionVerdict(sa.Check(before.ID)); got != "ended" {
		t.Errorf("the session ended before the failover: %s", got)
	}
}

// Sentinels with a password of their own (requirepass in sentinel.conf,
// apart from the master's): with SentinelPassword an instance finds the
// master, and follows a failover through the Sentinel's +switch-master,
// which it must authenticate to hear. Without it Redis is down for the
// instance (Open never fails for an outage: tktd starts), and its status
// says why.
func TestSentinelAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Sentinel deployment")
	}
	s := redistest.StartSentinelAuth(t, "sentinel-secret")
	base := shared.Config{Addrs: s.Addrs, MasterName: redistest.SentinelMaster, KeyPrefix: redistest.UniquePrefix()}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := shared.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	st := c.Status()
	c.Close()
	if !st.Known || st.Up || st.Err == nil || !strings.Contains(st.Err.Error(), "NOAUTH") {
		t.Errorf("without the Sentinel's password: %+v, want Redis down, saying the Sentinel asks for one", st)
	}

	base.SentinelPassword = "sentinel-secret"
	d := newDeployment(t, base)
	hourly := func(c *shared.Config) { c.ResyncInterval = time.Hour }
	_, a := d.instance(t, nil, hourly)
	_, b := d.instance(t, nil, hourly)
	issued := time.Now().Add(-time.Minute)
	if _, err := a.Revoke(context.Background(), "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	waitVerdict(t, b, "alice", issued, "revoked", time.Second)

	s.Failover(t)
	start := time.Now()
	for _, err = b.Revoke(context.Background(), "bob", time.Now()); err != nil; _, err = b.Revoke(context.Background(), "bob", time.Now()) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("Revoke after the failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// An hour between resyncs: only the new master's pub/sub, subscribed
	// to on the Sentinel's word, brings it within a second.
	t.Logf("bob's mark reached A %v after B wrote it, on the new master", waitVerdict(t, a, "bob", issued, "revoked", time.Second))
}
