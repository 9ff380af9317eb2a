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
	defaultWindow      = 15 * time.Minute
	defaultMaxKeys     = 10000
)

func (o ThrottleConfig) withDefaults() ThrottleConfig {
	if o.MaxFailures == 0 {
		o.MaxFailures = defaultMaxFailures
	}
	if o.MaxIPFailures == 0 {
		o.MaxIPFailures = defaultIPFactor * o.MaxFailures
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
	if o.Window < 0 {
		errs = append(errs, errors.New("throttle: window must not be negative"))
	}
	if o.MaxKeys < 0 {
		errs = append(errs, errors.New("throttle: max keys must not be negative"))
	}
	return errors.Join(errs...)
}

// throttler holds one token bucket per user name and client network, and
// one per client network. The user's bucket is per network because a
// bucket per user name alone lets anyone lock the real user out, from
// anywhere, forever, with one bad password every few minutes; guessing one
// user's password from many addresses is bounded by each address's own
// bucket instead. Each failed login takes a token; a key with no token left is
// locked until one refills. The buckets live in bounded LRU caches: a flood
// of made-up user names evicts the oldest entries, which resets their
// counters, but the flood itself comes from addresses whose own buckets
// empty first.
type throttler struct {
	cfg   ThrottleConfig
	users *lru.Cache[string, *rate.Limiter]
	ips   *lru.Cache[string, *rate.Limiter]
}

func newThrottler(o ThrottleConfig) *throttler {
	// lru.New only fails for a size <= 0, which withDefaults rules out.
	users, _ := lru.New[string, *rate.Limiter](o.MaxKeys)
	ips, _ := lru.New[string, *rate.Limiter](o.MaxKeys)
	return &throttler{cfg: o, users: users, ips: ips}
}

// attempt is one login attempt holding a token from each bucket until its
// outcome is known. A failure keeps the tokens: it counts.
type attempt struct {
	t       *throttler
	userKey string
	user    *rate.Limiter
	now     time.Time
	res     [2]*rate.Reservation // the user's, and the client's if known
}

// begin takes a token from the user's and the client's buckets. If either
// is empty it gives back what it took and returns how long to wait: the
// caller must then refuse without asking the user store.
func (t *throttler) begin(user string, ip netip.Addr, now time.Time) (*attempt, time.Duration) {
	a := &attempt{t: t, userKey: strings.ToLower(user), now: now}
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
	return a, 0
}

// succeeded forgives the user's earlier failures and gives back the
// attempt's tokens, so a correct password never brings a lock closer. The
// address keeps its earlier failures: other people may share it. A bucket
// that is full again is kept: a script sending its password with every
// request would otherwise build a new one each time.
func (a *attempt) succeeded() {
	a.release()
	if a.user.TokensAt(a.now) < float64(a.t.cfg.MaxFailures) {
		a.t.users.Remove(a.userKey)
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
