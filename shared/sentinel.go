package shared

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// masterWatch tells the followers when Sentinel moves the master.
// go-redis's failover client drops its pooled connections to the old
// master at a switch, but not a subscription: that stays on the old
// master, a replica now or cut off, and hears nothing published on the
// new one until the next resync, ResyncInterval (10 s) later rather than
// the second revocation promises. So the watch subscribes to every
// Sentinel's +switch-master (any one that is up tells), and each follower
// subscribes again, on the new master, when it fires.
type masterWatch struct {
	name   string // the master's name
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	moved  chan struct{} // closed, and replaced, at each switch
	master string        // where the last switch went, to tell the Sentinels' reports of one switch apart
}

// watchMaster starts watching cfg's Sentinels; nil when cfg is not a
// Sentinel deployment.
func watchMaster(cfg Config) *masterWatch {
	if cfg.MasterName == "" {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &masterWatch{name: cfg.MasterName, cancel: cancel, moved: make(chan struct{})}
	for _, addr := range cfg.Addrs {
		opt := &redis.Options{
			Addr: addr, DialTimeout: cfg.CallTimeout, ReadTimeout: cfg.CallTimeout, WriteTimeout: cfg.CallTimeout,
			Username: cfg.SentinelUsername, Password: cfg.SentinelPassword,
		}
		if cfg.TLS {
			opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		w.wg.Add(1)
		go w.listen(ctx, redis.NewSentinelClient(opt))
	}
	return w
}

// listen follows one Sentinel's switches until ctx is done. go-redis's
// PubSub dials that Sentinel again whenever it is lost.
func (w *masterWatch) listen(ctx context.Context, sc *redis.SentinelClient) {
	defer w.wg.Done()
	defer sc.Close()
	ps := sc.Subscribe(ctx, "+switch-master")
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelHealthCheckInterval(time.Second))
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-ch:
			// "<name> <old ip> <old port> <new ip> <new port>"
			f := strings.Fields(msg.Payload)
			if len(f) == 5 && f[0] == w.name {
				w.switched(net.JoinHostPort(f[3], f[4]))
			}
		}
	}
}

// switched wakes whoever waits on Moved, once per switch however many
// Sentinels report it.
func (w *masterWatch) switched(master string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if master == w.master {
		return
	}
	w.master = master
	close(w.moved)
	w.moved = make(chan struct{})
}

// Moved is closed at the next switch of the master. Take it before
// subscribing, so that a switch in between is not missed. It is nil,
// never ready, without Sentinel.
func (w *masterWatch) Moved() <-chan struct{} {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.moved
}

// close stops watching and waits for it.
func (w *masterWatch) close() {
	if w == nil {
		return
	}
	w.cancel()
	w.wg.Wait()
}
