package web

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"strings"
	"time"
)

// Throttle defaults.
const (
	defaultMaxFailures = 5
	defaultIPFactor    = 4 // an address may be a NAT with many users
	defaultUserFactor  = 4 // all the addresses that never signed in as the user, together
	defaultWindow      = 15 * time.Minute
	defaultMaxKeys     = 10000
	defaultKnownFor    = 30 * 24 * time.Hour
)

func (o ThrottleConfig) withDefaults() ThrottleConfig {
	if o.MaxFailures == 0 {
		o.MaxFailures = defaultMaxFailures
	}
	if o.MaxIPFailures == 0 {
		o.MaxIPFailures = defaultIPFactor * o.MaxFailures
	}
	if o.MaxUserFailures == 0 {
		o.MaxUserFailures = defaultUserFactor * o.MaxFailures
	}
	if o.KnownFor == 0 {
		o.KnownFor = defaultKnownFor
	}
	if o.Window == 0 {
		o.Window = defaultWindow
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = defaultMaxKeys
	}
	return o
}

func (o ThrottleConfig) validate() error {
	var errs []error
	if o.MaxFailures < 0 {
		errs = append(errs, errors.New("throttle: max failures must not be negative"))
	}
	if o.MaxIPFailures < 0 {
		errs = append(errs, errors.New("throttle: max failures per IP must not be negative"))
	}
	if o.MaxUserFailures < 0 {
		errs = append(errs, errors.New("throttle: max failures per user must not be negative"))
	}
	if o.KnownFor < 0 {
		errs = append(errs, errors.New("throttle: known_for must not be negative"))
	}
	if o.Window < 0 {
		errs = append(errs, errors.New("throttle: window must not be negative"))
	}
	if o.MaxKeys < 0 {
		errs = append(errs, errors.New("throttle: max keys must not be negative"))
	}
	return errors.Join(errs...)
}

// throttler holds three kinds of token bucket: one per user name and
// client network (an IPv4 address, an IPv6 /64), one per client network,
// and one per user name for the networks that are not known for that user.
// Each failed login takes a token from each bucket it passed; a key with no
// token left is locked until one refills.
//
// The first is the tight one (MaxFailures) and locks only that pair: a
// bucket per user name alone would let anyone lock the real user out, from
// anywhere, with one bad password every few minutes. The second bounds
// one network's guesses over all names (a NAT holds many users, hence
// MaxIPFailures). The third bounds the guesses at one user from every
// network together (MaxUserFailures), which the first two leave open to
// an attacker with many addresses (an IPv6 /48 holds 65,536 networks).
// It spares the networks the user signed in from within KnownFor: while
// an attacker empties it, the real user still gets in from where they
// usually do, and only a first login from a new network has to wait.
//
// The buckets live in a ThrottleStore: this instance's memory (bounded
// LRUs), or a shared store (Redis) that every instance counts in. While
// the shared store cannot answer, attempts count in this instance's
// memory instead: never unlimited, never everyone locked. What they count
// there is not merged into the shared store when it answers again.
type throttler struct {
	cfg   ThrottleConfig
	local *memThrottle
}

func newThrottler(o ThrottleConfig) *throttler {
	return &throttler{cfg: o, local: newMemThrottle(o.MaxKeys)}
}

// The kinds of bucket, as ThrottleStore names them.
type bucket int

const (
	pairBucket bucket = iota // the user's on this network
	netBucket                // the network's
	userBucket               // the user's from unknown networks
)

var bucketKinds = [...]string{pairBucket: "pair", netBucket: "net", userBucket: "user"}

// burst is how many tokens bucket b holds.
func (o ThrottleConfig) burst(b bucket) int {
	return [...]int{pairBucket: o.MaxFailures, netBucket: o.MaxIPFailures, userBucket: o.MaxUserFailures}[b]
}

// attempt is one login attempt holding a token from each bucket until its
// outcome is known. A failure keeps the tokens: it counts.
type attempt struct {
	t *throttler
	// ctx carries the request's values but not its cancellation: a client
	// that hangs up mid-login must not leave a token taken and unknown.
	ctx context.Context
	// store is where the attempt counts: the shared store, or this
	// instance's once a shared call failed.
	store ThrottleStore
	keys  [3]string        // by bucket; the network's is "" without a client address
	took  [3]ThrottleStore // the store each token was taken from, nil if none
	now   time.Time
}

// begin takes a token from each bucket the attempt passes. If one is empty
// it gives back what it took and returns how long to wait: the caller must
// then refuse without asking the user store.
func (t *throttler) begin(ctx context.Context, user string, ip netip.Addr, now time.Time) (*attempt, time.Duration) {
	a := t.attempt(ctx, user, ip, now)
	// The client's bucket first: a client that is locked out already must
	// not get to create buckets for other names (pushing other users'
	// out of a bounded LRU, or filling Redis) by trying made-up ones.
	if a.keys[netBucket] != "" {
		if wait := a.take(netBucket); wait > 0 {
			a.release()
			return nil, wait
		}
	}
	if wait := a.take(pairBucket); wait > 0 {
		a.release()
		return nil, wait
	}
	if a.keys[netBucket] == "" || !a.known() {
		if wait := a.take(userBucket); wait > 0 {
			a.release()
			return nil, wait
		}
	}
	return a, 0
}

// attempt is an attempt at user from ip that has taken nothing yet.
func (t *throttler) attempt(ctx context.Context, user string, ip netip.Addr, now time.Time) *attempt {
	a := &attempt{t: t, ctx: context.WithoutCancel(ctx), store: t.local, now: now}
	if t.cfg.Store != nil {
		a.store = t.cfg.Store
	}
	name := strings.ToLower(user)
	a.keys[pairBucket], a.keys[userBucket] = name, name
	if ip.IsValid() {
		// One string for both keys: the client's is the pair's tail.
		var buf [128]byte
		k := append(append(buf[:0], name...), 0)
		start := len(k)
		a.keys[pairBucket] = string(appendIPKey(k, ip))
		a.keys[netBucket] = a.keys[pairBucket][start:]
	}
	return a
}

// forgive does for user at ip what a successful attempt does (succeeded)
// without one: a login whose password was right, and whose second factor
// has just passed, forgives the password's failures on that network and
// makes it known, as a login without a second factor does.
func (t *throttler) forgive(ctx context.Context, user string, ip netip.Addr, now time.Time) {
	a := t.attempt(ctx, user, ip, now)
	a.took[pairBucket] = a.store // what succeeded drops
	a.succeeded()
}

// take takes a token from bucket b and returns 0, or how long until it
// has one.
func (a *attempt) take(b bucket) time.Duration {
	burst := a.t.cfg.burst(b)
	wait, err := a.store.Take(a.ctx, bucketKinds[b], a.keys[b], burst, a.t.cfg.Window, a.now)
	if err != nil {
		a.fallBack()
		wait, _ = a.store.Take(a.ctx, bucketKinds[b], a.keys[b], burst, a.t.cfg.Window, a.now)
	}
	if wait <= 0 {
		a.took[b] = a.store
	}
	return wait
}

// known reports whether the user signed in from the client's network
// within KnownFor.
func (a *attempt) known() bool {
	ok, err := a.store.Known(a.ctx, a.keys[pairBucket], a.t.cfg.KnownFor, a.now)
	if err != nil {
		a.fallBack()
		ok, _ = a.store.Known(a.ctx, a.keys[pairBucket], a.t.cfg.KnownFor, a.now)
	}
	return ok
}

// fallBack makes the rest of the attempt count in this instance's memory:
// the shared store did not answer. The tokens it took there stay there.
func (a *attempt) fallBack() { a.store = a.t.local }

// succeeded forgives the user's earlier failures on this network, gives
// back the token of this network's bucket, so a correct password never
// brings a lock closer there, and remembers the network as known for the
// user. The network keeps its earlier failures (other people may share
// it), and the user's bucket for unknown networks keeps this attempt's
// token: the real user signing in from a new network must not hand an
// attacker elsewhere the next guess.
func (a *attempt) succeeded() {
	if a == nil {
		return // throttling is off
	}
	a.giveBack(netBucket)
	if s := a.took[pairBucket]; s != nil {
		_ = s.Drop(a.ctx, bucketKinds[pairBucket], a.keys[pairBucket])
	}
	if a.keys[netBucket] == "" {
		return
	}
	// This instance remembers too, so that a shared store's outage does
	// not make every network new to every user.
	_ = a.t.local.Remember(a.ctx, a.keys[pairBucket], a.t.cfg.KnownFor, a.now)
	if s := a.t.cfg.Store; s != nil {
		_ = s.Remember(a.ctx, a.keys[pairBucket], a.t.cfg.KnownFor, a.now)
	}
}

// release gives back the tokens: the attempt did not count (the store was
// down, or a bucket was empty).
func (a *attempt) release() {
	if a == nil {
		return
	}
	for b := range a.took {
		a.giveBack(bucket(b))
	}
}

// giveBack returns bucket b's token to the store it came from. A shared
// store that cannot answer keeps it: the attempt then counts as a
// failure there, which errs on the safe side.
func (a *attempt) giveBack(b bucket) {
	if s := a.took[b]; s != nil {
		a.took[b] = nil
		_ = s.Give(a.ctx, bucketKinds[b], a.keys[b], a.t.cfg.burst(b), a.t.cfg.Window, a.now)
	}
}

// ipKey groups IPv6 clients by /64: one host usually owns a whole /64 and
// could otherwise rotate through it.
func ipKey(ip netip.Addr) string { return string(appendIPKey(nil, ip)) }

func appendIPKey(dst []byte, ip netip.Addr) []byte {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.AppendTo(dst)
	}
	return ip.AppendTo(dst)
}

// retryAfter rounds a wait up to whole seconds, at least 1, for the
// Retry-After header and the message.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
