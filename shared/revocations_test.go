package shared_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
)

// The revocation tests run on one server, on a Redis Cluster and behind
// a Sentinel.
func TestRevocations(t *testing.T) {
	suite(t, running)
}

func TestRevocationsCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	suite(t, clusterEach(t))
}

func TestRevocationsSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Sentinel deployment")
	}
	suite(t, sentinelEach(t))
}

func suite(t *testing.T, open func(*testing.T) deployment) {
	runSuite(t, open, []namedTest{
		{"marks", testMarks},
		{"expiry", testExpiry},
		{"no expiry", testNoExpiry},
		{"propagation", testPropagation},
		{"missed announcement", testMissedAnnouncement},
		{"user names", testUserNames},
	})
}

// A user's mark refuses their tickets issued up to it, in whole seconds,
// and no one else's; the mark for everyone refuses every earlier ticket;
// a later mark wins over an earlier one; Marks lists them.
func testMarks(t *testing.T, d deployment) {
	_, r := d.instance(t, nil, nil)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	at := now.Add(-10 * time.Minute)

	if err := r.Check("alice", at.Add(-time.Hour)); err != nil {
		t.Fatalf("no marks: %v", err)
	}
	m, err := r.Revoke(ctx, "alice", at.Add(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	want := shared.Mark{User: "alice", At: at.UTC(), Expires: at.Add(2*time.Hour + ticket.DefaultMaxSkew).UTC()}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Revoke (-want +got)\n%s", diff)
	}
	for _, c := range []struct {
		uid    string
		issued time.Time
		want   string
	}{
		{"alice", at.Add(-time.Second), "revoked"},
		{"alice", at, "revoked"}, // the mark's own second
		{"alice", at.Add(time.Second), "stands"},
		{"bob", at.Add(-time.Hour), "stands"},
		{"alic", at.Add(-time.Hour), "stands"},
	} {
		if got := verdict(r.Check(c.uid, c.issued)); got != c.want {
			t.Errorf("Check(%s, mark%+v) = %s, want %s", c.uid, c.issued.Sub(at), got, c.want)
		}
	}

	// An earlier mark does not move it back; a later one moves it on.
	if m, err := r.Revoke(ctx, "alice", at.Add(-time.Minute)); err != nil || !m.At.Equal(at) {
		t.Errorf("an earlier mark: %v, %v; want the mark at %v to stand", m.At, err, at)
	}
	if _, err := r.Revoke(ctx, "alice", now); err != nil {
		t.Fatal(err)
	}
	if got := verdict(r.Check("alice", at.Add(time.Second))); got != "revoked" {
		t.Errorf("after a later mark: %s", got)
	}

	all, err := r.RevokeAll(ctx, at)
	if err != nil || !all.All || all.User != "" {
		t.Fatalf("RevokeAll: %+v, %v", all, err)
	}
	if got := verdict(r.Check("bob", at.Add(-time.Second))); got != "revoked" {
		t.Errorf("bob before the mark for everyone: %s", got)
	}
	if got := verdict(r.Check("bob", at.Add(time.Second))); got != "stands" {
		t.Errorf("bob at the mark for everyone: %s", got)
	}

	marks, err := r.Marks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ttl := 2*time.Hour + ticket.DefaultMaxSkew
	wantMarks := []shared.Mark{
		{All: true, At: at.UTC(), Expires: at.Add(ttl).UTC()},
		{User: "alice", At: now.UTC(), Expires: now.Add(ttl).UTC()},
	}
	if diff := cmp.Diff(wantMarks, marks); diff != "" {
		t.Errorf("Marks (-want +got)\n%s", diff)
	}
	if st := r.Status(); st.Marks != 2 || st.Stale || st.Refusing || st.Synced.IsZero() {
		t.Errorf("Status: %+v", st)
	}

	// Neither the future nor the long past.
	for _, bad := range []time.Time{now.Add(time.Hour), now.Add(-3 * time.Hour)} {
		if _, err := r.Revoke(ctx, "alice", bad); !errors.Is(err, shared.ErrInvalidMark) {
			t.Errorf("Revoke at now%+v: %v, want ErrInvalidMark", bad.Sub(now), err)
		}
	}
}

// A mark expires once every ticket it could refuse has timed out: Redis
// drops the key then, marks that no longer matter are pruned when another
// is written, and the local copy forgets them.
func testExpiry(t *testing.T, d deployment) {
	short := func(c *shared.Config) { c.TicketTimeout, c.MaxSkew = 2*time.Second, time.Second }
	_, r := d.instance(t, nil, short)
	ctx := context.Background()
	now := time.Now()
	if _, err := r.Revoke(ctx, "alice", now); err != nil {
		t.Fatal(err)
	}
	ttl, err := d.raw.PTTL(ctx, d.key()).Result()
	if err != nil || ttl <= 0 || ttl > 4*time.Second+time.Millisecond {
		t.Errorf("the key's TTL is %v (%v), want at most the ticket timeout + skew + 1s", ttl, err)
	}

	// An instance 5 s ahead sees alice's mark expired: writing another
	// prunes it from Redis, and its copy never holds it.
	_, later := d.instance(t, nil, func(c *shared.Config) {
		short(c)
		c.Now = func() time.Time { return time.Now().Add(5 * time.Second) }
	})
	if got := verdict(later.Check("alice", now.Add(-time.Second))); got != "stands" {
		t.Errorf("an expired mark in a new copy: %s", got)
	}
	if _, err := later.Revoke(ctx, "bob", now.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := d.raw.ZScore(ctx, d.key(), "alice").Err(); err != redis.Nil {
		t.Errorf("alice's expired mark was not pruned: %v", err)
	}
	if marks, err := later.Marks(ctx); err != nil || len(marks) != 1 || marks[0].User != "bob" {
		t.Errorf("Marks: %+v, %v; want bob's alone", marks, err)
	}
}

// With ticket timeout 0 tickets never time out, and neither do marks.
func testNoExpiry(t *testing.T, d deployment) {
	_, r := d.instance(t, nil, func(c *shared.Config) { c.TicketTimeout = 0 })
	ctx := context.Background()
	old := time.Now().Add(-24 * 365 * time.Hour)
	m, err := r.Revoke(ctx, "alice", old)
	if err != nil || !m.Expires.IsZero() {
		t.Fatalf("Revoke a year back: %+v, %v; want a mark that never expires", m, err)
	}
	if ttl, err := d.raw.TTL(ctx, d.key()).Result(); err != nil || ttl != -1 {
		t.Errorf("TTL %v, %v; want -1 (no expiry)", ttl, err)
	}
	if got := verdict(r.Check("alice", old.Add(-time.Second))); got != "revoked" {
		t.Errorf("Check: %s", got)
	}
}

// Two instances on one Redis: a mark made through one is seen by the
// other within a second (in practice a millisecond or so: pub/sub).
func testPropagation(t *testing.T, d deployment) {
	_, a := d.instance(t, nil, func(c *shared.Config) { c.ResyncInterval = time.Hour })
	_, b := d.instance(t, nil, func(c *shared.Config) { c.ResyncInterval = time.Hour })
	ctx := context.Background()
	issued := time.Now().Add(-time.Minute)
	var worst time.Duration
	for i, user := range []string{"alice", "bob", "carol", "dave", "erin"} {
		start := time.Now()
		if _, err := a.Revoke(ctx, user, time.Now()); err != nil {
			t.Fatal(err)
		}
		waitVerdict(t, b, user, issued, "revoked", time.Second)
		took := time.Since(start)
		worst = max(worst, took)
		if i == 0 {
			t.Logf("first mark seen by the other instance %v after Revoke was called", took)
		}
	}
	start := time.Now()
	if _, err := b.RevokeAll(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitVerdict(t, a, "zoe", issued, "revoked", time.Second)
	worst = max(worst, time.Since(start))
	t.Logf("propagation: worst of 6 marks %v (Revoke called to the other instance refusing)", worst)
}

// A mark whose announcement nobody heard (written straight into Redis
// here) is picked up by the next resync.
func testMissedAnnouncement(t *testing.T, d deployment) {
	_, r := d.instance(t, nil, nil)
	ctx := context.Background()
	now := time.Now()
	if err := d.raw.ZAdd(ctx, d.key(), redis.Z{Score: float64(now.Unix()), Member: "mallory"}).Err(); err != nil {
		t.Fatal(err)
	}
	took := waitVerdict(t, r, "mallory", now.Add(-time.Minute), "revoked", 3*time.Second)
	t.Logf("an unannounced mark seen after %v (resync interval 200ms)", took)
}

// User ids hold anything but '!' and control characters; none reaches
// another user's mark, the mark for everyone, or another key.
func testUserNames(t *testing.T, d deployment) {
	_, a := d.instance(t, nil, nil)
	_, b := d.instance(t, nil, nil)
	ctx := context.Background()
	issued := time.Now().Add(-time.Minute)
	odd := []string{"Zoë Ünïcode", "a b c", "1700000000 alice", "*", "{revocations}", "all", "x\u00a0y", "\"quoted\"", "tkt:{revocations}"}
	for _, u := range odd {
		if _, err := a.Revoke(ctx, u, time.Now()); err != nil {
			t.Fatalf("Revoke(%q): %v", u, err)
		}
	}
	for _, u := range odd {
		waitVerdict(t, b, u, issued, "revoked", time.Second)
	}
	for _, u := range []string{"alice", "Zoë", "a", "1700000000", "!all", ""} {
		if got := verdict(b.Check(u, issued)); got != "stands" {
			t.Errorf("Check(%q) = %s: another name's mark reached it", u, got)
		}
	}
	for _, u := range []string{"", "!all", "a!b", "tab\there", "nl\n", "\x7f", "bad\xffutf8"} {
		if _, err := a.Revoke(ctx, u, time.Now()); !errors.Is(err, shared.ErrInvalidMark) || !errors.Is(err, ticket.ErrInvalid) {
			t.Errorf("Revoke(%q): %v, want ErrInvalidMark", u, err)
		}
	}
	n, err := d.raw.ZCard(ctx, d.key()).Result()
	if err != nil || n != int64(len(odd)) {
		t.Errorf("%d marks in Redis (%v), want %d", n, err, len(odd))
	}
}
