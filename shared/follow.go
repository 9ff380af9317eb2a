package shared

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxRetry bounds the pause between two reads while Redis is away, so
// that it is seen back within a second.
const maxRetry = time.Second

// copier is a feature's copy of its shared state (the revocation marks,
// the ended sessions), which a follower keeps current.
type copier interface {
	// announced applies the payloads announced on the feature's channel,
	// a burst at once, so that it costs one new copy.
	announced(payloads []string)
	// resync reads the whole state from Redis and merges it into the copy.
	resync(ctx context.Context) error
	// refuse makes the copy's check answer "unavailable" (on_outage
	// closed and no current copy) or not.
	refuse(r bool)
}

// follower keeps a copier current: one goroutine per feature and
// instance, the same rules for every feature (pub/sub, periodic resync,
// retry while Redis is away, stale_after and on_outage).
type follower struct {
	c       *Client
	channel string
	policy  Outage // open or closed
	feed    copier
	started time.Time

	// stale is whether Redis has been away for longer than StaleAfter.
	stale atomic.Bool
	// synced is whether a full read ever came in.
	synced atomic.Bool

	cancel    context.CancelFunc
	done      chan struct{} // closed when the follower has ended
	first     chan struct{} // closed at the first full read
	firstOnce sync.Once
	closeOnce sync.Once
}

func newFollower(c *Client, channel string, policy Outage, cp copier) *follower {
	return &follower{
		c: c, channel: c.channel(channel), policy: policy, feed: cp, started: c.cfg.Now(),
		done: make(chan struct{}), first: make(chan struct{}),
	}
}

// start runs the follower and returns once the first full read is in, or
// when ctx is done (Redis away: the copy then answers by the outage
// rules until Redis answers).
func (f *follower) start(ctx context.Context) {
	var loop context.Context
	loop, f.cancel = context.WithCancel(context.Background())
	if !f.c.own(f) {
		// The Client is closed: nothing to follow.
		close(f.done)
		return
	}
	go f.follow(loop)
	select {
	case <-f.first:
	case <-ctx.Done():
	}
}

// follow keeps the copy current until ctx is done: it applies what is
// announced on the channel as it comes, and reads the whole state at
// once, every ResyncInterval, after every (re)subscription (messages may
// have been missed meanwhile) and every second while Redis is away. When
// Sentinel moves the master it subscribes again, on the new one. It is
// the only goroutine of its own; go-redis's PubSub runs two more (receive
// and health check), which end when it is closed.
func (f *follower) follow(ctx context.Context) {
	defer close(f.done)
	cfg := f.c.cfg
	moved := f.c.watch.Moved()
	sub := f.subscribe(ctx)
	defer func() { sub.close() }()
	resync := time.NewTimer(0)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-moved:
			moved = f.c.watch.Moved()
			sub.close()
			sub = f.subscribe(ctx) // its confirmation brings a resync
		case msg, ok := <-sub.ch:
			if !ok {
				return
			}
			if f.receive(msg, sub.ch) {
				resync.Reset(0)
			}
		case <-resync.C:
			next := cfg.ResyncInterval
			if err := f.feed.resync(ctx); err != nil {
				next = min(maxRetry, next)
			} else {
				f.synced.Store(true)
				// Judged before start returns: a copy made with on_outage
				// closed refuses until judged, and its first Check may
				// come at once (TestReadyWhenMade).
				f.judge()
				f.firstOnce.Do(func() { close(f.first) })
			}
			resync.Reset(next)
		}
		f.judge()
	}
}

// subscription is the follower's subscription to its channel.
type subscription struct {
	ps *redis.PubSub
	ch <-chan any // messages and (re)subscriptions
}

func (f *follower) subscribe(ctx context.Context) subscription {
	ps := f.c.rdb.Subscribe(ctx, f.channel)
	return subscription{ps: ps, ch: ps.ChannelWithSubscriptions(
		redis.WithChannelSize(1024),
		// A hung subscription is found and dialled again within a few
		// seconds; the resync covers what it missed.
		redis.WithChannelHealthCheckInterval(time.Second),
		redis.WithChannelPingTimeout(f.c.cfg.CallTimeout),
		redis.WithChannelReconnectTimeout(f.c.cfg.CallTimeout),
	)}
}

// close ends the subscription and waits for go-redis's receiver.
func (s subscription) close() {
	s.ps.Close()
	for range s.ch {
	}
}

// receive applies msg and whatever else is queued behind it at once. It
// reports whether a (re)subscription came, after which the whole state
// must be read.
func (f *follower) receive(msg any, ch <-chan any) (resubscribed bool) {
	var payloads []string
	for {
		switch m := msg.(type) {
		case *redis.Subscription:
			resubscribed = resubscribed || m.Kind == "subscribe"
		case *redis.Message:
			payloads = append(payloads, m.Payload)
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
	// No word on Redis's health: a message may have waited in the socket
	// and the channel while Redis stopped. The resync after a
	// (re)subscription asks Redis itself.
	if len(payloads) > 0 {
		f.feed.announced(payloads)
	}
	return resubscribed
}

// judge decides whether the copy is stale (Redis away for longer than
// StaleAfter since it last answered) and, with on_outage closed, makes
// the copy refuse while it is, or while there never was a copy.
func (f *follower) judge() {
	st := f.c.health.status()
	seen := st.LastSeen
	if seen.IsZero() {
		seen = f.started
	}
	stale := st.Known && !st.Up && f.c.cfg.Now().Sub(seen) > f.c.cfg.StaleAfter
	f.stale.Store(stale)
	f.feed.refuse(f.policy == OutageClosed && (stale || !f.synced.Load()))
}

// Close stops following and waits for the goroutines doing it. The copy
// goes on answering as it last was. It is safe to call more than once.
func (f *follower) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		<-f.done
		f.c.disown(f)
	})
	return nil
}
