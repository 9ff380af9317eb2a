package shared

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// Client is a connection (pool) to the Redis deployment of a Config: one
// server, a Sentinel-managed master or a Redis Cluster, through go-redis's
// UniversalClient. It is safe for concurrent use.
type Client struct {
	cfg    Config
	rdb    redis.UniversalClient
	name   string // cfg.String(): no credentials
	db     int    // the database number, which pub/sub channels ignore
	health *health
	// watch is the Sentinels' word on master switches, nil without
	// Sentinel.
	watch *masterWatch

	// probed is when the last probe went out (unix ns), probes the ones
	// under way: see probe.
	probed atomic.Int64
	probes sync.WaitGroup

	mu     sync.Mutex
	closed bool
	owned  []*follower // closed with the Client
}

// Open checks cfg and builds the client. It does not wait for Redis, nor
// fail when Redis is away: tktd starts, and validates tickets, while
// Redis is down, and the client connects when Redis comes back. ctx
// bounds a first PING whose only use is the log line (and Status) saying
// that Redis is unreachable.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	// go-redis logs through a logger of its own, process-wide, a line per
	// failed dial: thousands in an outage. The Client's health says the
	// same in one line per outage (and Status), so go-redis's are dropped.
	logging.Disable()
	rdb, db, err := newUniversal(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, rdb: rdb, name: cfg.String(), db: db, watch: watchMaster(cfg)}
	c.health = newHealth(cfg.Logger, c.name, cfg.Now)
	c.Check(ctx)
	return c, nil
}

// newUniversal builds the go-redis client for cfg (checked), with tkt's
// timeouts where the URL sets none, and context deadlines obeyed.
func newUniversal(cfg Config) (redis.UniversalClient, int, error) {
	// Where the URL sets none: every wait bounded by CallTimeout, and two
	// dial attempts a try rather than five, so that an unreachable Redis
	// fails a call well within it.
	timeouts := func(dial, read, write *time.Duration, dialRetries *int, ctxTimeout *bool) {
		for _, d := range []*time.Duration{dial, read, write} {
			if *d == 0 {
				*d = cfg.CallTimeout
			}
		}
		if *dialRetries == 0 {
			*dialRetries = 2
		}
		*ctxTimeout = true
	}
	if cfg.URL != "" {
		parsed, err := parseURL(cfg.URL, cfg.Cluster)
		if err != nil {
			return nil, 0, err
		}
		switch opt := parsed.(type) {
		case *redis.ClusterOptions:
			timeouts(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.ContextTimeoutEnabled)
			return redis.NewClusterClient(opt), 0, nil
		case *redis.Options:
			timeouts(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.ContextTimeoutEnabled)
			return redis.NewClient(opt), opt.DB, nil
		}
	}
	opt := &redis.UniversalOptions{
		Addrs:         cfg.Addrs,
		MasterName:    cfg.MasterName,
		IsClusterMode: cfg.Cluster,
		Username:      cfg.Username,
		Password:      cfg.Password,
		// The Sentinels' own credentials, apart from the master's.
		SentinelUsername: cfg.SentinelUsername,
		SentinelPassword: cfg.SentinelPassword,
	}
	if cfg.TLS {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	timeouts(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.ContextTimeoutEnabled)
	return redis.NewUniversalClient(opt), 0, nil
}

// String names the deployment without credentials.
func (c *Client) String() string { return c.name }

// key is the name of one of tkt's keys. The braces make name the key's
// Cluster hash tag, so that the commands of one feature meet one node.
func (c *Client) key(name string) string { return c.cfg.KeyPrefix + "{" + name + "}" }

// channel is the pub/sub channel of a feature. Channels are not per
// database, so the database number is part of the name: deployments on
// different databases of one server hear only their own.
func (c *Client) channel(name string) string {
	return c.cfg.KeyPrefix + name + "@" + strconv.Itoa(c.db)
}

// call bounds one call to Redis by CallTimeout (and by ctx).
func (c *Client) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.CallTimeout)
}

// Check tells whether Redis answers a PING within ctx and CallTimeout,
// for a readiness probe: nil, or an error naming Redis and saying why.
func (c *Client) Check(ctx context.Context) error {
	sent := c.health.now()
	ctx, cancel := c.call(ctx)
	defer cancel()
	err := c.rdb.Ping(ctx).Err()
	c.health.observe(sent, err)
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// Status reports whether Redis answered last, since when, and how many
// outages there were: for metrics and /readyz.
func (c *Client) Status() Status { return c.health.status() }

// Close stops the followers made from c (Revocations, Sessions), closes its
// connections and waits for its probe, if one is under way. Throttle and
// CredentialCache calls fail after it. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	owned := c.owned
	c.owned = nil
	c.mu.Unlock()
	for _, f := range owned {
		f.Close()
	}
	c.watch.close()
	err := c.rdb.Close()
	if errors.Is(err, redis.ErrClosed) {
		err = nil
	}
	c.probes.Wait() // its connection is closed: it ends at once
	return err
}

// own registers f to be closed with c; false when c is closed already.
func (c *Client) own(f *follower) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.owned = append(c.owned, f)
	return true
}

// disown forgets f, closed on its own.
func (c *Client) disown(f *follower) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, o := range c.owned {
		if o == f {
			c.owned = append(c.owned[:i], c.owned[i+1:]...)
			return
		}
	}
}
