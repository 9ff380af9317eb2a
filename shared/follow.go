package shared

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxRetry bounds the pause between two reads while Redis is away, so
// that it is seen back within a second.
const maxRetry = time.Second

// follow keeps the local copy current until ctx is done: it applies the
// marks announced on the channel as they come, and reads the whole set at
// once, every ResyncInterval, after every (re)subscription (messages may
// have been missed meanwhile) and every second while Redis is away. It is
// the only goroutine of its own; go-redis's PubSub runs two more (receive
// and health check), which end when it is closed.
func (r *Revocations) follow(ctx context.Context) {
	defer close(r.done)
	cfg := r.c.cfg
	ps := r.c.rdb.Subscribe(ctx, r.channel)
	ch := ps.ChannelWithSubscriptions(
		redis.WithChannelSize(1024),
		// A hung subscription is found and dialled again within a few
		// seconds; the resync covers what it missed.
		redis.WithChannelHealthCheckInterval(time.Second),
		redis.WithChannelPingTimeout(cfg.CallTimeout),
		redis.WithChannelReconnectTimeout(cfg.CallTimeout),
	)
	defer func() {
		ps.Close()
		for range ch { // until go-redis's receiver has ended
		}
	}()
	resync := time.NewTimer(0)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if r.receive(msg, ch) {
				resync.Reset(0)
			}
		case <-resync.C:
			next := cfg.ResyncInterval
			if err := r.resync(ctx); err != nil {
				next = min(maxRetry, next)
			}
			resync.Reset(next)
		}
		r.judge()
	}
}

// receive applies msg and whatever else is queued behind it at once, so
// that a burst of marks costs one new copy. It reports whether a
// (re)subscription came, after which the whole set must be read.
func (r *Revocations) receive(msg any, ch <-chan any) (resubscribed bool) {
	var ups []update
	for {
		switch m := msg.(type) {
		case *redis.Subscription:
			resubscribed = resubscribed || m.Kind == "subscribe"
		case *redis.Message:
			if member, at, ok := parsePayload(m.Payload); ok {
				ups = append(ups, update{member, at})
			}
		}
		select {
		case next, ok := <-ch:
			if ok {
				msg = next
				continue
			}
		default:
		}
		break
	}
	r.c.health.observe(nil)
	if len(ups) > 0 {
		r.apply(ups)
	}
	return resubscribed
}

// resync reads the whole set and merges it into the local copy: a mark
// only ever moves later, and leaves the copy only when it expires. An
// instance so keeps the marks it has seen even if Redis loses them (a
// restart without persistence); instances started after that do not
// know them, which is why Redis should persist (docs/deployment.md).
func (r *Revocations) resync(ctx context.Context) error {
	ups, err := r.read(ctx)
	if err != nil {
		return err
	}
	now := r.c.cfg.Now()
	r.mu.Lock()
	n := r.copy.Load().with(ups, r.cutoff(now))
	n.synced = now
	r.copy.Store(n)
	r.mu.Unlock()
	r.syncOnce.Do(func() { close(r.synced) })
	return nil
}

// judge decides whether the copy is stale (Redis away for longer than
// StaleAfter since it last answered) and, with on_outage closed, makes
// Check refuse while it is, or while there never was a copy.
func (r *Revocations) judge() {
	st := r.c.health.status()
	seen := st.LastSeen
	if seen.IsZero() {
		seen = r.started
	}
	stale := st.Known && !st.Up && r.c.cfg.Now().Sub(seen) > r.c.cfg.StaleAfter
	r.stale.Store(stale)
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.copy.Load()
	refuse := r.policy == OutageClosed && (stale || m.synced.IsZero())
	r.copy.Store(m.withRefuse(refuse))
}
