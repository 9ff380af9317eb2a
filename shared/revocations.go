package shared

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// maxFuture is how far ahead of this clock a mark may be: a mark in the
// future would refuse tickets not yet minted, new logins included.
const maxFuture = time.Minute

// What Check returns. Built once: the hot path must not allocate.
var (
	errRevokedUser = fmt.Errorf("%w: issued no later than a revocation of the user's tickets", tkthttp.ErrRevoked)
	errRevokedAll  = fmt.Errorf("%w: issued no later than a revocation of every ticket", tkthttp.ErrRevoked)
	errStale       = fmt.Errorf("%w: redis unreachable for longer than stale_after (on_outage: closed)", tkthttp.ErrRevocationUnavailable)
)

// Revocations are the revocation marks of every tktd instance: a time per
// user, and one for every user, before which tickets are refused. They
// live in Redis; each instance keeps a copy in memory, updated by pub/sub
// within milliseconds of a mark and read again whole every resync
// interval, so that Check, asked on every request, never waits on the
// network.
//
// A Revocations implements tkthttp.Revocation.
type Revocations struct {
	*follower
	key string
	ttl time.Duration // how long a mark matters; 0 for ever

	copy snapshot[marks]
}

var _ tkthttp.Revocation = (*Revocations)(nil)

// Revocations starts following the marks in Redis: a goroutine subscribes
// to their channel and reads them whole at once, every ResyncInterval and
// after every reconnection. It returns once the first read is in, or when
// ctx is done (Redis away: Check then answers from an empty copy, or
// refuses with on_outage closed, until Redis answers). Close, or the
// Client's Close, stops it.
func (c *Client) Revocations(ctx context.Context) *Revocations {
	r := &Revocations{key: c.key("revocations"), ttl: c.cfg.ttl()}
	policy := c.cfg.OnOutage.or(OutageOpen)
	r.copy.update(func(*marks) *marks { return &marks{refuse: policy == OutageClosed} })
	r.follower = newFollower(c, "revocations", policy, r)
	r.start(ctx)
	return r
}

// Check implements tkthttp.Revocation: nil for a ticket of uid issued at
// issued that stands, an error matching tkthttp.ErrRevoked for one issued
// before a mark (ticket times are whole seconds: a ticket of the mark's
// own second stands, so that the one the portal issues right after a
// revocation works), and one matching tkthttp.ErrRevocationUnavailable
// while on_outage closed refuses. It reads the local copy: no lock, no
// allocation, no network.
func (r *Revocations) Check(uid string, issued time.Time) error {
	m := r.copy.Load()
	if m.refuse {
		return errStale
	}
	// A mark covers its own second: ticket times are whole seconds, and a
	// ticket got in that second may be the stolen one. (A login in the
	// same second after the mark is refused too; the next one is not.)
	ts := issued.Unix()
	if ts <= m.all {
		return errRevokedAll
	}
	if len(m.users) != 0 {
		if at, ok := m.users[uid]; ok && ts <= at {
			return errRevokedUser
		}
	}
	return nil
}

// Revoke records a mark for user: their tickets issued up to at (whole
// seconds, at's own included) are refused by every instance. A later mark already recorded
// stands; the mark in force is returned.
func (r *Revocations) Revoke(ctx context.Context, user string, at time.Time) (Mark, error) {
	if err := ticket.CheckUID(user); err != nil {
		return Mark{}, fmt.Errorf("%w: %w", ErrInvalidMark, err)
	}
	return r.record(ctx, Mark{User: user, At: at})
}

// RevokeAll records a mark for every user: every ticket issued up to at
// is refused.
func (r *Revocations) RevokeAll(ctx context.Context, at time.Time) (Mark, error) {
	return r.record(ctx, Mark{All: true, At: at})
}

// record writes m to the sorted set in one transaction (the mark, later
// one winning; the expired marks pruned; the key's own expiry pushed to
// the last mark's), announces it, and applies it to the local copy.
func (r *Revocations) record(ctx context.Context, m Mark) (Mark, error) {
	now := r.c.cfg.Now()
	at := m.At.Unix()
	switch {
	case m.At.After(now.Add(maxFuture)):
		return Mark{}, fmt.Errorf("%w: %s is in the future: it would refuse tickets not yet issued", ErrInvalidMark, m.At.UTC().Format(time.RFC3339))
	case r.ttl > 0 && m.At.Add(r.ttl).Before(now):
		return Mark{}, fmt.Errorf("%w: every ticket issued before %s has timed out already", ErrInvalidMark, m.At.UTC().Format(time.RFC3339))
	}
	member := m.member()
	sent := r.c.health.now()
	cctx, cancel := r.c.call(ctx)
	defer cancel()
	var score *redis.FloatCmd
	_, err := r.c.rdb.TxPipelined(cctx, func(p redis.Pipeliner) error {
		p.ZAddGT(cctx, r.key, redis.Z{Score: float64(at), Member: member})
		if r.ttl > 0 {
			p.ZRemRangeByScore(cctx, r.key, "-inf", "("+strconv.FormatInt(r.cutoff(now), 10))
			// The key goes when its last mark does: NX gives a new key
			// its expiry, GT only ever pushes it later.
			d := time.Unix(at, 0).Add(r.ttl).Sub(now) + time.Second
			p.ExpireNX(cctx, r.key, d)
			p.ExpireGT(cctx, r.key, d)
		} else {
			p.Persist(cctx, r.key)
		}
		score = p.ZScore(cctx, r.key, member)
		return nil
	})
	r.c.health.observe(sent, err)
	if err != nil {
		return Mark{}, fmt.Errorf("%s: recording the revocation: %w", r.c.name, err)
	}
	at = int64(score.Val())
	if err := r.c.rdb.Publish(cctx, r.channel, payload(member, at)).Err(); err != nil {
		r.c.health.observe(sent, err)
		r.c.cfg.Logger.Warn("revocation recorded but not announced: other instances learn of it at their next resync",
			"redis", r.c.name, "err", err)
	}
	r.apply([]update{{member, at}})
	return markOf(member, at, r.ttl), nil
}

// Marks reads the marks in force from Redis (not from the local copy):
// the mark for every user first, then the users' in name order.
func (r *Revocations) Marks(ctx context.Context) ([]Mark, error) {
	zs, err := r.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Mark, 0, len(zs))
	for _, z := range zs {
		out = append(out, markOf(z.member, z.at, r.ttl))
	}
	slices.SortFunc(out, func(a, b Mark) int {
		if a.All != b.All {
			if a.All {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.User, b.User)
	})
	return out, nil
}

// read returns the marks in Redis that still matter.
func (r *Revocations) read(ctx context.Context) ([]update, error) {
	sent := r.c.health.now()
	ctx, cancel := r.c.call(ctx)
	defer cancel()
	lo := "-inf"
	if r.ttl > 0 {
		lo = strconv.FormatInt(r.cutoff(r.c.cfg.Now()), 10)
	}
	zs, err := r.c.rdb.ZRangeByScoreWithScores(ctx, r.key, &redis.ZRangeBy{Min: lo, Max: "+inf"}).Result()
	r.c.health.observe(sent, err)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the revocations: %w", r.c.name, err)
	}
	out := make([]update, 0, len(zs))
	for _, z := range zs {
		if member, ok := z.Member.(string); ok {
			out = append(out, update{member, int64(z.Score)})
		}
	}
	return out, nil
}

// cutoff is the unix time before which marks no longer matter at now
// (tickets issued before it have timed out); 0 when marks never expire.
func (r *Revocations) cutoff(now time.Time) int64 {
	if r.ttl == 0 {
		return 0
	}
	return now.Add(-r.ttl).Unix()
}

// apply adds marks to the local copy.
func (r *Revocations) apply(ups []update) {
	cutoff := r.cutoff(r.c.cfg.Now())
	r.copy.update(func(m *marks) *marks { return m.with(ups, cutoff) })
}

// announced implements copier: the marks announced on the channel.
func (r *Revocations) announced(payloads []string) {
	var ups []update
	for _, p := range payloads {
		if member, at, ok := parsePayload(p); ok {
			ups = append(ups, update{member, at})
		}
	}
	if len(ups) > 0 {
		r.apply(ups)
	}
}

// resync implements copier: it reads the whole set and merges it into
// the local copy: a mark only ever moves later, and leaves the copy only
// when it expires. An instance so keeps the marks it has seen even if
// Redis loses them (a restart without persistence); instances started
// after that do not know them, which is why Redis should persist
// (docs/deployment.md).
func (r *Revocations) resync(ctx context.Context) error {
	ups, err := r.read(ctx)
	if err != nil {
		return err
	}
	now := r.c.cfg.Now()
	r.copy.update(func(m *marks) *marks {
		n := m.with(ups, r.cutoff(now))
		n.synced = now
		return n
	})
	return nil
}

// refuse implements copier.
func (r *Revocations) refuse(refuse bool) {
	r.copy.update(func(m *marks) *marks { return m.withRefuse(refuse) })
}

// RevocationStatus is what an instance knows of the marks, for metrics.
type RevocationStatus struct {
	// Marks counts the marks in the local copy (every user's counts one).
	Marks int
	// Synced is when Redis last gave the whole set; zero if never.
	Synced time.Time
	// Stale: Redis has been away for longer than stale_after.
	Stale bool
	// Refusing: Check answers "unavailable" (on_outage closed).
	Refusing bool
}

// Status reports the state of the local copy.
func (r *Revocations) Status() RevocationStatus {
	m := r.copy.Load()
	n := len(m.users)
	if m.all != 0 {
		n++
	}
	return RevocationStatus{Marks: n, Synced: m.synced, Stale: r.stale.Load(), Refusing: m.refuse}
}
