package shared

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Throttle keeps the login throttle's token buckets, and the networks
// each user signed in from, on Redis: every instance counts the same
// failures, so an attacker spreading guesses over N instances gets one
// budget, not N. It implements web.ThrottleStore.
//
// A bucket is one string key holding the time it is full again (GCRA's
// "theoretical arrival time", in unix microseconds), written with an
// expiry at that time: a bucket full again has no key. Take and Give are
// one Lua script each, on one key, so that a bucket is never read and
// written by two instances at once, and Cluster spreads the keys over its
// nodes. Times come from the callers (the login's now), so that every
// store computes alike; instances' clocks should agree (NTP): a skew of s
// seconds moves a refill by at most s.
//
// Every call is bounded by Config.RequestTimeout and skipped while Redis
// is known to be away (ErrUnreachable): the caller then counts in its own
// memory.
type Throttle struct {
	feature
	prefix string
	clock  redisClock
}

// Throttle returns the login throttle's store on c.
func (c *Client) Throttle() *Throttle {
	return &Throttle{feature: feature{c: c, name: "login throttle"}, prefix: c.cfg.KeyPrefix + "throttle:"}
}

// take takes a token from the bucket KEYS[1]: ARGV now, the interval
// between two tokens and the burst, times in microseconds, and the
// deadline (in Redis's clock; 0 for none) after which the call is not to
// be applied. It returns the wait (0: taken; more: the bucket is empty,
// left as it is; -1: past the deadline, nothing done) and Redis's time.
var take = redis.NewScript(`
local t = redis.call('TIME')
local rnow = t[1] * 1000000 + t[2]
local deadline = tonumber(ARGV[4])
if deadline > 0 and rnow > deadline then return {-1, rnow} end
local now, every, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local full = tonumber(redis.call('GET', KEYS[1]) or 0)
if full < now then full = now end
local nextfull = full + every
local wait = nextfull - burst * every - now
if wait > 0 then return {wait, rnow} end
redis.call('SET', KEYS[1], string.format('%d', nextfull), 'PX', math.ceil((nextfull - now) / 1000))
return {0, rnow}
`)

// give puts a token back in the bucket KEYS[1] (ARGV: now, the interval);
// a bucket full again is deleted.
var give = redis.NewScript(`
local now, every = tonumber(ARGV[1]), tonumber(ARGV[2])
local full = tonumber(redis.call('GET', KEYS[1]))
if not full then return 0 end
full = full - every
if full <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], string.format('%d', full), 'PX', math.ceil((full - now) / 1000))
return 0
`)

// Take takes a token from the bucket kind/key, which holds burst tokens
// and refills them all over window; an empty bucket gives none, and
// Take says how long until it has one.
//
// A Take that Redis does not answer in time counts in the caller's
// memory instead; if Redis was only frozen (SIGSTOP, a long fork, a
// paused VM), it reads the command when it resumes. So that the failure
// does not count twice, Take carries a deadline in Redis's clock (the
// offset to it learnt from the answers) and Redis ignores it after.
func (t *Throttle) Take(ctx context.Context, kind, key string, burst int, window time.Duration, now time.Time) (time.Duration, error) {
	k, err := t.bucket(kind, key)
	if err != nil {
		return 0, err
	}
	var res []int64
	err = t.request(ctx, func(ctx context.Context) error {
		sent := time.Now()
		var err error
		res, err = take.Run(ctx, t.c.rdb, []string{k}, now.UnixMicro(), every(burst, window), burst, t.clock.deadline(sent, t.c.cfg.RequestTimeout)).Int64Slice()
		if err == nil && len(res) != 2 {
			err = fmt.Errorf("unexpected answer %v", res)
		}
		if err == nil {
			t.clock.learn(res[1], sent, time.Now())
		}
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case res[0] < 0:
		// Redis answered, so it is no outage: the offset was off (a clock
		// stepped), and is learnt again from this answer.
		t.fallbacks.Add(1)
		return 0, fmt.Errorf("%s: %w", t.name, errLate)
	}
	return time.Duration(res[0]) * time.Microsecond, nil
}

// Give puts back a token Take took, up to full.
func (t *Throttle) Give(ctx context.Context, kind, key string, burst int, window time.Duration, now time.Time) error {
	k, err := t.bucket(kind, key)
	if err != nil {
		return err
	}
	return t.request(ctx, func(ctx context.Context) error {
		return give.Run(ctx, t.c.rdb, []string{k}, now.UnixMicro(), every(burst, window)).Err()
	})
}

// Drop makes the bucket full again: it deletes its key.
func (t *Throttle) Drop(ctx context.Context, kind, key string) error {
	k, err := t.bucket(kind, key)
	if err != nil {
		return err
	}
	return t.request(ctx, func(ctx context.Context) error { return t.c.rdb.Del(ctx, k).Err() })
}

// Known reports whether Remember was told of key within the last within
// before now.
func (t *Throttle) Known(ctx context.Context, key string, within time.Duration, now time.Time) (bool, error) {
	var at int64
	err := t.request(ctx, func(ctx context.Context) error {
		var err error
		at, err = t.c.rdb.Get(ctx, t.prefix+"known:"+hashKey(key)).Int64()
		return err
	})
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, err
	}
	return now.Sub(time.UnixMicro(at)) < within, nil
}

// Remember records a successful login of key at now, for within: the
// key's expiry.
func (t *Throttle) Remember(ctx context.Context, key string, within time.Duration, now time.Time) error {
	return t.request(ctx, func(ctx context.Context) error {
		return t.c.rdb.Set(ctx, t.prefix+"known:"+hashKey(key), now.UnixMicro(), within).Err()
	})
}

// bucket is the key of a bucket: the kind in clear, for whoever lists the
// keys, and the user name or network hashed.
func (t *Throttle) bucket(kind, key string) (string, error) {
	for _, r := range kind {
		if r < 'a' || r > 'z' {
			return "", fmt.Errorf("login throttle: bucket kind %q: want lower-case letters", kind)
		}
	}
	return t.prefix + kind + ":" + hashKey(key), nil
}

// every is the interval between two tokens, in whole microseconds (as
// web's in-memory buckets count).
func every(burst int, window time.Duration) string {
	return strconv.FormatInt(max(1, (window/time.Duration(max(burst, 1))).Microseconds()), 10)
}
