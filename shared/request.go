package shared

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// probeEvery bounds how often a Client that found Redis away asks it
// again on behalf of the per-request features: often enough that they are
// back within a second of Redis, rarely enough to cost nothing.
const probeEvery = time.Second

// ErrUnreachable is what the per-request features (Throttle,
// CredentialCache) get while Redis is known to be away: they skip it,
// rather than make every request wait RequestTimeout, until a probe finds
// it back.
var ErrUnreachable = errors.New("redis unreachable")

// request runs call, one call to Redis that a request waits for, bounded
// by RequestTimeout. The call is detached from the caller's cancellation:
// a client that hangs up must not leave a command sent and its answer
// unread, which would make its outcome unknown (was the token taken?).
// While Redis is known to be away it is not sent at all: call is skipped
// with ErrUnreachable, and a probe goes out in the background at most once
// a second. Every outcome feeds the Client's health, so that an outage is
// logged once, whichever feature met it first.
func (c *Client) request(ctx context.Context, call func(context.Context) error) error {
	if c.health.down.Load() {
		c.probe()
		return fmt.Errorf("%s: %w", c.name, ErrUnreachable)
	}
	sent := c.health.now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
	defer cancel()
	err := call(ctx)
	c.health.observe(sent, err)
	return err
}

// feature is what the per-request features (Throttle, CredentialCache)
// share: their calls, and the count of those Redis did not answer.
type feature struct {
	c         *Client
	name      string // for errors: "login throttle", "credential cache"
	fallbacks atomic.Uint64
}

// Fallbacks counts the calls Redis did not answer in time, or that were
// skipped while it was away: what the caller did without it (the
// throttle counted in its own memory, the cache asked the user store).
func (f *feature) Fallbacks() uint64 { return f.fallbacks.Load() }

// request makes one call as Client.request does, and counts it when it
// fails. A missing key (redis.Nil) is an answer, returned as it is.
func (f *feature) request(ctx context.Context, call func(context.Context) error) error {
	err := f.c.request(ctx, call)
	if err != nil && !errors.Is(err, redis.Nil) {
		f.fallbacks.Add(1)
		return fmt.Errorf("%s: %w", f.name, err)
	}
	return err
}

// probe asks Redis, in the background, whether it answers again, unless a
// probe went out within probeEvery or the Client is closed. Close waits
// for it.
func (c *Client) probe() {
	now := time.Now().UnixNano()
	last := c.probed.Load()
	if now-last < int64(probeEvery) || !c.probed.CompareAndSwap(last, now) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.probes.Add(1)
	go func() {
		defer c.probes.Done()
		c.Check(context.Background())
	}()
}

// hashKey names what a user (or a client network) chose in a key: a
// SHA-256, cut to 128 bits, in base64url. Any UTF-8, any length, braces
// or colons included, gives 22 plain characters: no name reaches another
// key, or picks a Cluster hash slot, and the keys do not show user names
// to whoever lists them.
func hashKey(parts ...string) string {
	h := sha256.New()
	var buf []byte
	for _, p := range parts {
		// Each part after its length: no two lists of parts hash alike.
		buf = binary.AppendUvarint(buf[:0], uint64(len(p)))
		h.Write(buf)
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0])[:16])
}
