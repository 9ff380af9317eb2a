package web

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
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
// The buckets live in bounded LRU caches: a flood of made-up user names
// evicts the oldest entries, which resets their counters, but the flood
// itself comes from networks whose own buckets empty first.
type throttler struct {
	cfg   ThrottleConfig
	users *lru.Cache[string, *rate.Limiter] // user name and network
	ips   *lru.Cache[string, *rate.Limiter] // network
	names *lru.Cache[string, *rate.Limiter] // user name, from unknown networks
	known *lru.Cache[string, time.Time]     // user name and network: the last successful login
}

func newThrottler(o ThrottleConfig) *throttler {
	// lru.New only fails for a size <= 0, which withDefaults rules out.
	users, _ := lru.New[string, *rate.Limiter](o.MaxKeys)
	ips, _ := lru.New[string, *rate.Limiter](o.MaxKeys)
	names, _ := lru.New[string, *rate.Limiter](o.MaxKeys)
	known, _ := lru.New[string, time.Time](o.MaxKeys)
	return &throttler{cfg: o, users: users, ips: ips, names: names, known: known}
}

// attempt is one login attempt holding a token from each bucket until its
// outcome is known. A failure keeps the tokens: it counts.
type attempt struct {
	t       *throttler
	userKey string // user name and network
	name    string // user name
	user    *rate.Limiter
	now     time.Time
	res     [3]*rate.Reservation // the user's on this network, the network's, the user's from unknown networks
}

// begin takes a token from each bucket the attempt passes. If one is empty
// it gives back what it took and returns how long to wait: the caller must
// then refuse without asking the user store.
func (t *throttler) begin(user string, ip netip.Addr, now time.Time) (*attempt, time.Duration) {
	a := &attempt{t: t, userKey: strings.ToLower(user), now: now}
	a.name = a.userKey
	var ipk string
	if ip.IsValid() {
		// One string for both keys: the client's is the user's tail.
		var buf [128]byte
		k := append(append(buf[:0], a.userKey...), 0)
		start := len(k)
		a.userKey = string(appendIPKey(k, ip))
		ipk = a.userKey[start:]
	}
	// The client's bucket first: a client that is locked out already must
	// not get to push other users' buckets (and their counts) out of the
	// bounded LRU by trying made-up names.
	if ip.IsValid() {
		a.res[1] = get(t.ips, ipk, t.cfg.MaxIPFailures, t.cfg.Window).ReserveN(now, 1)
		if wait := a.res[1].DelayFrom(now); wait > 0 {
			a.release()
			return nil, wait
		}
	}
	a.user = get(t.users, a.userKey, t.cfg.MaxFailures, t.cfg.Window)
	a.res[0] = a.user.ReserveN(now, 1)
	if wait := a.res[0].DelayFrom(now); wait > 0 {
		a.release()
		return nil, wait
	}
	if !ip.IsValid() || !t.isKnown(a.userKey, now) {
		a.res[2] = get(t.names, a.name, t.cfg.MaxUserFailures, t.cfg.Window).ReserveN(now, 1)
		if wait := a.res[2].DelayFrom(now); wait > 0 {
			a.release()
			return nil, wait
		}
	}
	return a, 0
}

// isKnown reports whether the user signed in from the network within
// KnownFor (key is the user name and the network).
func (t *throttler) isKnown(key string, now time.Time) bool {
	at, ok := t.known.Get(key)
	return ok && now.Sub(at) < t.cfg.KnownFor
}

// succeeded forgives the user's earlier failures on this network, gives
// back the tokens of this network's buckets, so a correct password never
// brings a lock closer there, and remembers the network as known for the
// user. The network keeps its earlier failures (other people may share
// it), and the user's bucket for unknown networks keeps this attempt's
// token: the real user signing in from a new network must not hand an
// attacker elsewhere the next guess. A bucket that is full again is kept:
// a script sending its password with every request would otherwise build
// a new one each time.
func (a *attempt) succeeded() {
	a.res[2] = nil
	a.release()
	if a.user.TokensAt(a.now) < float64(a.t.cfg.MaxFailures) {
		a.t.users.Remove(a.userKey)
	}
	if a.userKey != a.name { // the network is known
		a.t.known.Add(a.userKey, a.now)
	}
}

// release gives back the tokens: the attempt did not count (the store was
// down, or a bucket was empty).
func (a *attempt) release() {
	for _, r := range a.res {
		if r != nil {
			r.CancelAt(a.now)
		}
	}
}

func get(c *lru.Cache[string, *rate.Limiter], key string, burst int, window time.Duration) *rate.Limiter {
	if l, ok := c.Get(key); ok {
		return l
	}
	l := rate.NewLimiter(rate.Limit(float64(burst)/window.Seconds()), burst)
	if prev, ok, _ := c.PeekOrAdd(key, l); ok {
		return prev
	}
	return l
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
