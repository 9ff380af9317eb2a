package shared

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// What Check returns. Built once: the hot path must not allocate.
var (
	errSessionEnded     = fmt.Errorf("%w: ended (logout, sign out everywhere or tktctl session end)", tkthttp.ErrSessionEnded)
	errSessionMalformed = fmt.Errorf("%w: not a session id tkt makes", tkthttp.ErrSessionEnded)
	errSessionsStale    = fmt.Errorf("%w: redis unreachable for longer than stale_after (on_outage: closed, the default for sessions)", tkthttp.ErrSessionsUnavailable)
)

// Errors of the session calls besides Redis's own.
var (
	// ErrInvalidSession: a session that cannot be recorded (a user name
	// no ticket can hold) or an id tkt never makes.
	ErrInvalidSession = errors.New("invalid session")
	// ErrNoSession: Extend found no session for the ticket (never
	// recorded, ended, or lost by Redis): the ticket is not re-issued,
	// and its session id is ended everywhere.
	ErrNoSession = errors.New("no such session")
)

// Sessions are the server-side sessions of every tktd instance: a record
// per login in Redis, whose id the ticket carries (ticket.SessionPrefix),
// ended at logout, by "sign out everywhere" or by tktctl session end.
//
// Validators never read the records: sessions end rarely, so each
// instance follows the ended ids instead, as it follows revocation marks,
// in a copy in memory that Check reads on every request without a lock,
// an allocation or the network. An ended id stays in the copy for as long
// as a ticket carrying it could still be valid (ticket timeout + max
// skew after the end): a ticket cannot outlive its session's record,
// since it is re-issued only after Extend found the record and kept it
// alive as long as the fresh ticket.
//
// A Sessions implements tkthttp.Sessions.
type Sessions struct {
	*follower
	ttl      time.Duration // how long a record outlives its last re-issue, and an ended id its end
	records  string        // the prefix of the records' keys
	users    string        // the prefix of the per-user indexes' keys
	endedKey string
	scripts  scripts

	copy snapshot[ended]
}

var _ tkthttp.Sessions = (*Sessions)(nil)

// Sessions starts following the ended sessions in Redis, as Revocations
// does the marks: it returns once the first read is in, or when ctx is
// done (Redis away: Check then refuses, with on_outage closed, the
// default for sessions, until Redis answers). Close, or the Client's
// Close, stops it.
//
// Sessions need a ticket timeout (Config.TicketTimeout): with tickets
// that never time out, records and ended ids would never expire.
func (c *Client) Sessions(ctx context.Context) (*Sessions, error) {
	ttl := c.cfg.ttl()
	if ttl <= 0 {
		return nil, fmt.Errorf("%w: sessions need a ticket timeout: with tickets that never time out, session records would never expire", ErrConfig)
	}
	s := &Sessions{
		ttl:      ttl,
		records:  c.key("sessions") + ":s:",
		users:    c.key("sessions") + ":u:",
		endedKey: c.key("sessions") + ":ended",
		scripts:  newScripts(),
	}
	policy := c.cfg.OnOutage.or(OutageClosed)
	s.copy.update(func(*ended) *ended { return &ended{refuse: policy == OutageClosed} })
	s.follower = newFollower(c, "sessions", policy, s)
	s.start(ctx)
	return s, nil
}

// Check implements tkthttp.Sessions: nil for a session that stands, an
// error matching tkthttp.ErrSessionEnded for one that has ended (or an id
// tkt never makes), and one matching tkthttp.ErrSessionsUnavailable while
// on_outage closed refuses. It reads the local copy: no lock, no
// allocation, no network.
func (s *Sessions) Check(sid string) error {
	e := s.copy.Load()
	if e.refuse {
		return errSessionsStale
	}
	if !validID(sid) {
		return errSessionMalformed
	}
	if len(e.ids) != 0 {
		if _, ok := e.ids[sid]; ok {
			return errSessionEnded
		}
	}
	return nil
}

// validID is ticket.CheckSessionID without an error to build: Check asks
// it on every request.
func validID(sid string) bool {
	if len(sid) != ticket.SessionIDLen {
		return false
	}
	for i := 0; i < len(sid); i++ {
		c := sid[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// announced implements copier: the ended ids announced on the channel.
func (s *Sessions) announced(payloads []string) {
	var ups []endedID
	for _, p := range payloads {
		ups = append(ups, parseEnded(p)...)
	}
	if len(ups) > 0 {
		s.apply(ups)
	}
}

// resync implements copier: it reads the ended ids that still matter and
// merges them into the copy, which keeps what it has seen until it
// expires (as Revocations does).
func (s *Sessions) resync(ctx context.Context) error {
	now := s.c.cfg.Now()
	sent := s.c.health.now()
	cctx, cancel := s.c.call(ctx)
	defer cancel()
	zs, err := s.c.rdb.ZRangeByScoreWithScores(cctx, s.endedKey, &redis.ZRangeBy{Min: unix(s.cutoff(now)), Max: "+inf"}).Result()
	s.c.health.observe(sent, err)
	if err != nil {
		return fmt.Errorf("%s: reading the ended sessions: %w", s.c.name, err)
	}
	ups := make([]endedID, 0, len(zs))
	for _, z := range zs {
		if sid, ok := z.Member.(string); ok {
			ups = append(ups, endedID{sid, int64(z.Score)})
		}
	}
	s.copy.update(func(e *ended) *ended {
		n := e.with(ups, s.cutoff(now))
		n.synced = now
		return n
	})
	return nil
}

// refuse implements copier.
func (s *Sessions) refuse(refuse bool) {
	s.copy.update(func(e *ended) *ended { return e.withRefuse(refuse) })
}

// apply adds ended ids to the local copy.
func (s *Sessions) apply(ups []endedID) {
	cutoff := s.cutoff(s.c.cfg.Now())
	s.copy.update(func(e *ended) *ended { return e.with(ups, cutoff) })
}

// cutoff is the unix time before which an end no longer matters at now:
// every ticket of a session ended before it has timed out.
func (s *Sessions) cutoff(now time.Time) int64 { return now.Add(-s.ttl).Unix() }

// SessionStatus is what an instance knows of the ended sessions, for
// metrics.
type SessionStatus struct {
	// Ended counts the ended sessions in the local copy: those whose
	// tickets could still be valid.
	Ended int
	// Synced is when Redis last gave the whole set; zero if never.
	Synced time.Time
	// Stale: Redis has been away for longer than stale_after.
	Stale bool
	// Refusing: Check answers "unavailable" (on_outage closed).
	Refusing bool
}

// Status reports the state of the local copy.
func (s *Sessions) Status() SessionStatus {
	e := s.copy.Load()
	return SessionStatus{Ended: len(e.ids), Synced: e.synced, Stale: s.stale.Load(), Refusing: e.refuse}
}

// ended is an instance's copy of the ended session ids, published in a
// snapshot: never changed once there.
type ended struct {
	ids map[string]int64 // session id → unix time of its end
	// refuse makes Check answer "unavailable": on_outage closed, and the
	// copy is older than stale_after (or there never was one).
	refuse bool
	// synced is when Redis last gave the whole set.
	synced time.Time
}

// endedID is one ended session for ended.with.
type endedID struct {
	sid string
	at  int64
}

// with returns a copy of e with ups applied and the ids that ended before
// cutoff dropped: no ticket of theirs is valid any more.
func (e *ended) with(ups []endedID, cutoff int64) *ended {
	n := &ended{ids: make(map[string]int64, len(e.ids)+len(ups)), refuse: e.refuse, synced: e.synced}
	for sid, at := range e.ids {
		if at >= cutoff {
			n.ids[sid] = at
		}
	}
	for _, up := range ups {
		if up.at >= cutoff && up.at > n.ids[up.sid] {
			n.ids[up.sid] = up.at
		}
	}
	return n
}

// withRefuse returns e with refuse set to r, e itself when it has it.
func (e *ended) withRefuse(r bool) *ended {
	if e.refuse == r {
		return e
	}
	n := *e // the map is shared: no copy ever changes it
	n.refuse = r
	return &n
}

// endedPayload announces ended sessions: the unix time of their end, then
// their ids, blank-separated (no id holds a blank).
func endedPayload(at int64, sids []string) string {
	return unix(at) + " " + strings.Join(sids, " ")
}

// parseEnded reads an endedPayload; nothing for anything else. Ids that
// tkt never makes are skipped: no ticket carrying one is let through
// anyway.
func parseEnded(p string) []endedID {
	fields := strings.Fields(p)
	if len(fields) < 2 {
		return nil
	}
	at, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || at <= 0 {
		return nil
	}
	out := make([]endedID, 0, len(fields)-1)
	for _, sid := range fields[1:] {
		if validID(sid) {
			out = append(out, endedID{sid, at})
		}
	}
	return out
}
