package shared_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// The session tests run on one server, on a Redis Cluster and behind a
// Sentinel, as the revocation tests do.
func TestSessions(t *testing.T) {
	sessionSuite(t, running)
}

func TestSessionsCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	sessionSuite(t, clusterEach(t))
}

func TestSessionsSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Sentinel deployment")
	}
	sessionSuite(t, sentinelEach(t))
}

func sessionSuite(t *testing.T, open func(*testing.T) deployment) {
	runSuite(t, open, []namedTest{
		{"records", testSessionRecords},
		{"end by user", testEndUser},
		{"extend", testExtend},
		{"expiry", testSessionExpiry},
		{"propagation", testSessionPropagation},
		{"missed announcement", testSessionMissedAnnouncement},
		{"hostile values", testSessionHostile},
	})
}

// sessions is a client and its Sessions.
func (d deployment) sessions(t *testing.T, log *slog.Logger, mod func(*shared.Config)) (*shared.Client, *shared.Sessions) {
	t.Helper()
	c := d.client(t, log, mod)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// sessionKey is a key of the sessions under the deployment's prefix.
func (d deployment) sessionKey(name string) string {
	p := d.base.KeyPrefix
	if p == "" {
		p = shared.DefaultKeyPrefix
	}
	return p + "{sessions}:" + name
}

// sessionVerdict names a Sessions.Check result: "stands", "ended",
// "unavailable" or the unexpected error.
func sessionVerdict(err error) string {
	switch {
	case err == nil:
		return "stands"
	case errors.Is(err, tkthttp.ErrSessionEnded):
		return "ended"
	case errors.Is(err, tkthttp.ErrSessionsUnavailable):
		return "unavailable"
	}
	return err.Error()
}

// waitSession waits until s.Check(sid) gives want, and returns how long
// that took.
func waitSession(t *testing.T, s *shared.Sessions, sid, want string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for sessionVerdict(s.Check(sid)) != want {
		if time.Since(start) > timeout {
			t.Fatalf("Check(%q) = %s after %v, want %s", sid, sessionVerdict(s.Check(sid)), timeout, want)
		}
		time.Sleep(50 * time.Microsecond)
	}
	return time.Since(start)
}

func create(t *testing.T, s *shared.Sessions, user, ua string) shared.Session {
	t.Helper()
	rec, err := s.Create(context.Background(), shared.Session{User: user, Tokens: "staff,admin", Data: "Alice A.", Client: "192.0.2.10", UserAgent: ua})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// A login's record holds who, when and from where; List shows it; End
// takes it away, and Check refuses its id from then on.
func testSessionRecords(t *testing.T, d deployment) {
	_, s := d.sessions(t, nil, nil)
	ctx := context.Background()
	before := time.Now().Truncate(time.Second)
	a := create(t, s, "alice", "Mozilla/5.0 (X11) Firefox/140.0")
	if err := ticket.CheckSessionID(a.ID); err != nil {
		t.Fatalf("the new id: %v", err)
	}
	ttl := 2*time.Hour + ticket.DefaultMaxSkew
	want := shared.Session{ID: a.ID, User: "alice", Tokens: "staff,admin", Data: "Alice A.", Client: "192.0.2.10",
		UserAgent: "Mozilla/5.0 (X11) Firefox/140.0", Created: a.Created, LastSeen: a.Created, Expires: a.Created.Add(ttl)}
	if diff := cmp.Diff(want, a); diff != "" || a.Created.Before(before) || a.Created.After(time.Now()) {
		t.Errorf("Create (-want +got)\n%s(created %v)", diff, a.Created)
	}
	b := create(t, s, "bob", "curl/8.0")
	a2 := create(t, s, "alice", "Safari")
	if a2.ID == a.ID {
		t.Fatal("two sessions share an id")
	}
	for _, c := range []struct {
		user string
		want []string
	}{{"", []string{a.ID, a2.ID, b.ID}}, {"alice", []string{a.ID, a2.ID}}, {"bob", []string{b.ID}}, {"carol", nil}} {
		got, err := s.List(ctx, c.user)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		// Same login second: by id within it.
		if diff := cmp.Diff(c.want, ids, cmpopts.SortSlices(func(x, y string) bool { return x < y })); diff != "" {
			t.Errorf("List(%q) (-want +got)\n%s", c.user, diff)
		}
		if c.user == "alice" && len(got) > 0 {
			if diff := cmp.Diff(a, got[slicesIndex(got, a.ID)]); diff != "" {
				t.Errorf("alice's record as listed (-created +listed)\n%s", diff)
			}
		}
	}
	ttlOf, err := d.raw.PTTL(ctx, d.sessionKey("s:"+a.ID)).Result()
	if err != nil || ttlOf <= ttl-5*time.Second || ttlOf > ttl {
		t.Errorf("the record's TTL is %v (%v), want the ticket timeout + max skew", ttlOf, err)
	}

	for _, sid := range []string{a.ID, b.ID} {
		if got := sessionVerdict(s.Check(sid)); got != "stands" {
			t.Errorf("Check(%s) before End: %s", sid, got)
		}
	}
	ended, err := s.End(ctx, a.ID)
	if err != nil || len(ended) != 1 || ended[0].User != "alice" || ended[0].UserAgent != a.UserAgent {
		t.Fatalf("End: %+v, %v", ended, err)
	}
	if got := sessionVerdict(s.Check(a.ID)); got != "ended" {
		t.Errorf("Check after End on this instance: %s", got)
	}
	if got := sessionVerdict(s.Check(a2.ID)); got != "stands" {
		t.Errorf("alice's other session after End: %s", got)
	}
	if n, err := d.raw.Exists(ctx, d.sessionKey("s:"+a.ID)).Result(); err != nil || n != 0 {
		t.Errorf("the ended record is still there: %d, %v", n, err)
	}
	if got, err := s.List(ctx, "alice"); err != nil || len(got) != 1 || got[0].ID != a2.ID {
		t.Errorf("List(alice) after End: %+v, %v", got, err)
	}
	// An id without a record is ended all the same; ids tkt never makes
	// are refused.
	ghost := "GHOSTGHOSTGHOSTGHOSTGH"
	if got, err := s.End(ctx, ghost, a.ID); err != nil || len(got) != 2 || got[0].User != "" || got[1].User != "" {
		t.Errorf("End of ids without records: %+v, %v", got, err)
	}
	if got := sessionVerdict(s.Check(ghost)); got != "ended" {
		t.Errorf("Check(an ended id that had no record): %s", got)
	}
	for _, bad := range []string{"", "short", "tkt-sid:" + ghost, ghost + "x", "GHOST GHOSTGHOSTGHOSTGH"} {
		if _, err := s.End(ctx, bad); !errors.Is(err, shared.ErrInvalidSession) {
			t.Errorf("End(%q): %v, want ErrInvalidSession", bad, err)
		}
		if got := sessionVerdict(s.Check(bad)); got != "ended" {
			t.Errorf("Check(%q) = %s: an id tkt never makes stands", bad, got)
		}
	}
	if st := s.Status(); st.Ended != 2 || st.Stale || st.Refusing || st.Synced.IsZero() {
		t.Errorf("Status: %+v", st)
	}
}

func slicesIndex(ss []shared.Session, id string) int {
	for i, s := range ss {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// EndUser ends every session of one user, and no one else's.
func testEndUser(t *testing.T, d deployment) {
	_, s := d.sessions(t, nil, nil)
	ctx := context.Background()
	var alice []string
	for i := range 3 {
		alice = append(alice, create(t, s, "alice", fmt.Sprintf("browser %d", i)).ID)
	}
	bob := create(t, s, "bob", "curl").ID
	ended, err := s.EndUser(ctx, "alice")
	if err != nil || len(ended) != 3 {
		t.Fatalf("EndUser: %+v, %v", ended, err)
	}
	for _, sid := range alice {
		if got := sessionVerdict(s.Check(sid)); got != "ended" {
			t.Errorf("alice's %s: %s", sid, got)
		}
	}
	if got := sessionVerdict(s.Check(bob)); got != "stands" {
		t.Errorf("bob's: %s", got)
	}
	if got, err := s.List(ctx, ""); err != nil || len(got) != 1 || got[0].User != "bob" {
		t.Errorf("List after EndUser: %+v, %v", got, err)
	}
	if got, err := s.EndUser(ctx, "alice"); err != nil || len(got) != 0 {
		t.Errorf("EndUser again: %+v, %v", got, err)
	}
	if _, err := s.EndUser(ctx, "a!b"); !errors.Is(err, shared.ErrInvalidSession) {
		t.Errorf("EndUser of a name no ticket holds: %v", err)
	}
}

// Extend, before a re-issue, notes when the session was last seen and
// keeps it alive as long as the fresh ticket; a session that is not
// recorded, or is another user's, gets no fresh ticket and is ended.
func testExtend(t *testing.T, d deployment) {
	ctx := context.Background()
	var clock time.Time
	log, logs := textLog()
	_, s := d.sessions(t, log, func(c *shared.Config) {
		c.Now = func() time.Time {
			if clock.IsZero() {
				return time.Now()
			}
			return clock
		}
	})
	a := create(t, s, "alice", "ua")
	clock = time.Now().Add(time.Hour)
	if err := s.Extend(ctx, "alice", a.ID); err != nil {
		t.Fatalf("Extend: %v", err)
	}
	got, err := s.List(ctx, "alice")
	if err != nil || len(got) != 1 || !got[0].LastSeen.Equal(clock.Truncate(time.Second)) || !got[0].Created.Equal(a.Created) {
		t.Fatalf("after Extend: %+v, %v; want last seen %v", got, err, clock)
	}
	ttl := 2*time.Hour + ticket.DefaultMaxSkew
	if pttl, err := d.raw.PTTL(ctx, d.sessionKey("s:"+a.ID)).Result(); err != nil || pttl <= ttl-5*time.Second {
		t.Errorf("the record's TTL after Extend: %v, %v", pttl, err)
	}
	if score, err := d.raw.ZScore(ctx, d.sessionKey("u:alice"), a.ID).Result(); err != nil || int64(score) != clock.Add(ttl).Unix() {
		t.Errorf("the index's expiry for the session: %v, %v; want %d", score, err, clock.Add(ttl).Unix())
	}
	clock = time.Time{}

	for _, c := range []struct{ uid, sid string }{
		{"mallory", a.ID},                   // another user's session
		{"alice", "NEVERNEVERNEVERNEVERNE"}, // never recorded
	} {
		if err := s.Extend(ctx, c.uid, c.sid); !errors.Is(err, shared.ErrNoSession) {
			t.Errorf("Extend(%s, %s): %v, want ErrNoSession", c.uid, c.sid, err)
		}
		if got := sessionVerdict(s.Check(c.sid)); got != "ended" {
			t.Errorf("Check(%s) after Extend found no record: %s", c.sid, got)
		}
	}
	if !strings.Contains(logs.String(), "its session is not recorded") {
		t.Errorf("log: %s", logs)
	}
	if err := s.Extend(ctx, "alice", "bad"); !errors.Is(err, shared.ErrInvalidSession) {
		t.Errorf("Extend of a bad id: %v", err)
	}
}

// A record goes once every ticket of its session has timed out (ticket
// timeout + max skew after its last re-issue), and so do the indexes; an
// ended id leaves the copy as long after its end.
func testSessionExpiry(t *testing.T, d deployment) {
	short := func(c *shared.Config) { c.TicketTimeout, c.MaxSkew = 2*time.Second, time.Second }
	_, s := d.sessions(t, nil, short)
	ctx := context.Background()
	a := create(t, s, "alice", "ua")
	b := create(t, s, "bob", "ua")
	if _, err := s.End(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"s:" + a.ID, "u:alice", "ended"} {
		if pttl, err := d.raw.PTTL(ctx, d.sessionKey(k)).Result(); err != nil || pttl <= 0 || pttl > 4*time.Second+time.Millisecond {
			t.Errorf("%s's TTL is %v (%v), want at most the ticket timeout + skew + 1s", k, pttl, err)
		}
	}
	// An instance 5 s ahead sees it all expired: nothing listed, and the
	// ended id is not in its copy.
	_, later := d.sessions(t, nil, func(c *shared.Config) {
		short(c)
		c.Now = func() time.Time { return time.Now().Add(5 * time.Second) }
	})
	if got, err := later.List(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("List 5 s on: %+v, %v", got, err)
	}
	if got := later.Status().Ended; got != 0 {
		t.Errorf("%d ended ids in a copy made 5 s on", got)
	}
	if got := sessionVerdict(later.Check(b.ID)); got != "stands" {
		t.Errorf("an ended id, expired: %s", got)
	}
}

// Two instances on one Redis: a session ended through one is refused by
// the other within a second (in practice a millisecond or so: pub/sub).
func testSessionPropagation(t *testing.T, d deployment) {
	_, a := d.sessions(t, nil, func(c *shared.Config) { c.ResyncInterval = time.Hour })
	_, b := d.sessions(t, nil, func(c *shared.Config) { c.ResyncInterval = time.Hour })
	ctx := context.Background()
	var worst, total time.Duration
	const n = 5
	for i := range n {
		rec := create(t, a, "alice", "ua")
		if got := sessionVerdict(b.Check(rec.ID)); got != "stands" {
			t.Fatalf("a new session at the other instance: %s", got)
		}
		start := time.Now()
		if _, err := a.End(ctx, rec.ID); err != nil {
			t.Fatal(err)
		}
		waitSession(t, b, rec.ID, "ended", time.Second)
		took := time.Since(start)
		worst, total = max(worst, took), total+took
		if i == 0 {
			t.Logf("first end seen by the other instance %v after End was called", took)
		}
	}
	recs := []string{create(t, b, "bob", "1").ID, create(t, b, "bob", "2").ID}
	start := time.Now()
	if _, err := b.EndUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	for _, sid := range recs {
		waitSession(t, a, sid, "ended", time.Second)
	}
	worst = max(worst, time.Since(start))
	t.Logf("propagation: mean of %d ends %v, worst of %d %v (End called to the other instance refusing)", n, total/n, n+1, worst)
}

// An end whose announcement nobody heard (written straight into Redis
// here) is picked up by the next resync.
func testSessionMissedAnnouncement(t *testing.T, d deployment) {
	_, s := d.sessions(t, nil, nil)
	ctx := context.Background()
	sid := "MISSEDMISSEDMISSEDMISS"
	if err := d.raw.ZAdd(ctx, d.sessionKey("ended"), redis.Z{Score: float64(time.Now().Unix()), Member: sid}).Err(); err != nil {
		t.Fatal(err)
	}
	took := waitSession(t, s, sid, "ended", 3*time.Second)
	t.Logf("an unannounced end seen after %v (resync interval 200ms)", took)
}

// What a client sends is kept printable and short; user names hold
// anything a ticket's user id may, and reach no other user's index.
func testSessionHostile(t *testing.T, d deployment) {
	_, s := d.sessions(t, nil, nil)
	ctx := context.Background()
	rec, err := s.Create(ctx, shared.Session{
		User:      "Zoë {sessions} *",
		Tokens:    "staff,tkt-auth:1765000000,tkt-sid:FORGEDFORGEDFORGEDFORG", // a login's ticket: only the groups are kept
		Data:      strings.Repeat("d", 5000),
		Client:    "192.0.2.10\r\nX-Evil: 1",
		UserAgent: "evil\r\nX-Injected: 1\x00\u202e" + strings.Repeat("é", 1000) + "\xff",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.List(ctx, "Zoë {sessions} *")
	if err != nil || len(got) != 1 {
		t.Fatalf("List: %+v, %v", got, err)
	}
	r := got[0]
	if strings.ContainsAny(r.UserAgent, "\r\n\x00\u202e") || len(r.UserAgent) > 256 || !strings.HasPrefix(r.UserAgent, "evil  X-Injected: 1") {
		t.Errorf("user agent kept as %q (%d bytes)", r.UserAgent, len(r.UserAgent))
	}
	if !utf8Valid(r.UserAgent) || r.UserAgent != rec.UserAgent {
		t.Errorf("user agent %q: not valid UTF-8, or not what Create returned (%q)", r.UserAgent, rec.UserAgent)
	}
	if strings.ContainsAny(r.Client, "\r\n") || len(r.Data) != 1024 || r.Tokens != "staff" {
		t.Errorf("client %q, data of %d bytes, tokens %q", r.Client, len(r.Data), r.Tokens)
	}
	// Data as a ticket may hold it survives Extend's rewrite of the record
	// (Lua's cjson) unchanged.
	data := `{"a":"</script>"} \/   é 1e99 ` + "\n\t\\"
	odd, err := s.Create(ctx, shared.Session{User: "alice", Data: data, UserAgent: `"quoted" \ é`})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Extend(ctx, "alice", odd.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(ctx, "alice"); err != nil || len(got) != 1 || got[0].Data != data || got[0].UserAgent != odd.UserAgent || !got[0].Created.Equal(odd.Created) {
		t.Errorf("after Extend: %+v, %v; want data %q, user agent %q", got, err, data, odd.UserAgent)
	}
	for _, u := range []string{"Zoë", "*", "Zoë {sessions}"} {
		if got, err := s.List(ctx, u); err != nil || len(got) != 0 {
			t.Errorf("List(%q) = %+v, %v: another name's index reached it", u, got, err)
		}
	}
	for _, u := range []string{"", "a!b", "nl\n", "bad\xffutf8"} {
		if _, err := s.Create(ctx, shared.Session{User: u}); !errors.Is(err, shared.ErrInvalidSession) {
			t.Errorf("Create(%q): %v, want ErrInvalidSession", u, err)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

// Sessions need tickets that time out.
func TestSessionsNeedTimeout(t *testing.T) {
	d := running(t)
	c, _ := d.instance(t, nil, func(c *shared.Config) { c.TicketTimeout = 0 })
	if _, err := c.Sessions(context.Background()); !errors.Is(err, shared.ErrConfig) {
		t.Errorf("Sessions with ticket timeout 0: %v, want ErrConfig", err)
	}
}
