package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
	"unicode"

	"github.com/tkt-sso/tkt/shared"
)

// Redis configures the state tktd instances share (package shared):
// revocation, and sessions when they are on. It is off unless URL, URLFile
// or Addrs is set; tickets are validated without it either way.
type Redis struct {
	// URL is one server, redis://[user:password@]host:port/db or
	// rediss:// for TLS; with Cluster, a cluster node (more nodes in
	// addr= query parameters). TKT_REDIS_URL sets it.
	URL string `koanf:"url"`
	// URLFile holds URL instead, when the URL holds a password.
	URLFile string `koanf:"url_file"`
	// Addrs are Sentinels (with MasterName) or Cluster nodes (with
	// Cluster).
	Addrs      []string `koanf:"addrs"`
	MasterName string   `koanf:"master_name"`
	Cluster    bool     `koanf:"cluster"`
	// Username, PasswordFile and TLS are for Addrs; a URL carries its own.
	Username     string `koanf:"username"`
	PasswordFile string `koanf:"password_file"`
	TLS          bool   `koanf:"tls"`
	// SentinelUsername and SentinelPasswordFile authenticate to the
	// Sentinels themselves (their requirepass or ACL user), which need
	// not be the master's.
	SentinelUsername     string `koanf:"sentinel_username"`
	SentinelPasswordFile string `koanf:"sentinel_password_file"`
	// KeyPrefix starts every key and channel tkt uses.
	KeyPrefix string `koanf:"key_prefix"`
	// OnOutage is open or closed: what happens once Redis has been away
	// for StaleAfter. Empty: revocation stays open (the last copy),
	// sessions close.
	OnOutage string `koanf:"on_outage"`
	// StaleAfter bounds how long the last copy counts as current.
	StaleAfter time.Duration `koanf:"stale_after"`
	// ResyncInterval is how often each instance reads the shared state
	// whole, in case it missed an announcement.
	ResyncInterval time.Duration `koanf:"resync_interval"`
	// CallTimeout bounds one call to Redis (dial, write, read): a Redis
	// that hangs is found away after it.
	CallTimeout time.Duration `koanf:"call_timeout"`
	// RequestTimeout bounds a call a login waits for (throttle, credential
	// cache), at most CallTimeout: a hung Redis costs a login no more.
	RequestTimeout time.Duration `koanf:"request_timeout"`
}

// ErrNoRedis: the configuration names no Redis.
var ErrNoRedis = errors.New("no Redis configured: set redis.url (TKT_REDIS_URL), redis.url_file or redis.addrs")

// Enabled reports whether a Redis is configured.
func (r Redis) Enabled() bool { return r.URL != "" || r.URLFile != "" || len(r.Addrs) > 0 }

// Describe names the configured Redis without credentials, for
// `tktctl config check`: the URL redacted, or the file it is read from.
func (r Redis) Describe() string {
	if r.URLFile != "" {
		kind := "redis"
		if r.Cluster {
			kind = "redis cluster"
		}
		return kind + ", URL in " + r.URLFile
	}
	return r.shared().String()
}

// shared is the part of shared.Config the redis section gives directly.
func (r Redis) shared() shared.Config {
	return shared.Config{
		URL: r.URL, Addrs: r.Addrs, MasterName: r.MasterName, Cluster: r.Cluster,
		Username: r.Username, TLS: r.TLS, KeyPrefix: r.KeyPrefix, SentinelUsername: r.SentinelUsername,
		OnOutage:   shared.Outage(strings.ToLower(strings.TrimSpace(r.OnOutage))),
		StaleAfter: r.StaleAfter, ResyncInterval: r.ResyncInterval,
		CallTimeout: r.CallTimeout, RequestTimeout: r.RequestTimeout,
	}
}

func (c Config) validateRedis(p *problems) {
	r := c.Redis
	if !r.Enabled() {
		if r.MasterName != "" || r.Cluster || r.Username != "" || r.PasswordFile != "" || r.TLS || r.SentinelUsername != "" || r.SentinelPasswordFile != "" {
			p.add("redis", "no server: set url (or url_file) or addrs")
		}
		return
	}
	withURL := r.URL != "" || r.URLFile != ""
	switch {
	case r.URL != "" && r.URLFile != "":
		p.add("redis.url_file", "set url or url_file, not both")
	case r.URL != "":
		p.wrap("redis.url", stripConfigErr(shared.CheckURL(r.URL, r.Cluster)))
	case r.URLFile != "":
		u, _, err := ReadSecretFile(r.URLFile)
		if err == nil {
			err = stripConfigErr(shared.CheckURL(strings.TrimSpace(u), r.Cluster))
		}
		p.wrap("redis.url_file", err)
	}
	switch {
	case withURL && len(r.Addrs) > 0:
		p.add("redis.addrs", "set url (or url_file) or addrs, not both")
	case withURL && r.MasterName != "":
		p.add("redis.master_name", "Sentinel takes the Sentinels' addresses in redis.addrs, not a URL")
	case withURL && (r.Username != "" || r.PasswordFile != "" || r.TLS):
		p.add("redis.password_file", "username, password_file and tls go with addrs; a URL carries its own (rediss://user:password@host, in url_file)")
	case len(r.Addrs) > 0 && r.MasterName != "" && r.Cluster:
		p.add("redis.cluster", "Sentinel (master_name) or Cluster, not both")
	case len(r.Addrs) > 0 && r.MasterName == "" && !r.Cluster:
		p.add("redis.addrs", "addresses are Sentinels (set master_name) or Cluster nodes (set cluster: true); one server goes in url")
	case r.MasterName == "" && (r.SentinelUsername != "" || r.SentinelPasswordFile != ""):
		p.add("redis.sentinel_password_file", "sentinel_username and sentinel_password_file are for Sentinels: set master_name and the Sentinels' addrs")
	}
	for i, a := range r.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			p.add(fmt.Sprintf("redis.addrs[%d]", i), "%q is not host:port", a)
		}
	}
	if r.PasswordFile != "" {
		p.wrap("redis.password_file", checkSecretFile(r.PasswordFile))
	}
	if r.SentinelPasswordFile != "" {
		p.wrap("redis.sentinel_password_file", checkSecretFile(r.SentinelPasswordFile))
	}
	if r.KeyPrefix == "" || len(r.KeyPrefix) > 64 || strings.IndexFunc(r.KeyPrefix, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) >= 0 {
		p.add("redis.key_prefix", "%q: want 1 to 64 bytes without blanks or control characters (default %q)", r.KeyPrefix, shared.DefaultKeyPrefix)
	}
	if _, err := shared.ParseOutage(r.OnOutage); err != nil {
		p.wrap("redis.on_outage", err)
	}
	if r.StaleAfter <= 0 {
		p.add("redis.stale_after", "must be positive (default %s)", FormatDuration(shared.DefaultStaleAfter))
	}
	if r.ResyncInterval <= 0 {
		p.add("redis.resync_interval", "must be positive (default %s)", FormatDuration(shared.DefaultResyncInterval))
	}
	switch {
	case r.CallTimeout <= 0:
		p.add("redis.call_timeout", "must be positive (default %s)", FormatDuration(shared.DefaultCallTimeout))
	case r.RequestTimeout <= 0 || r.RequestTimeout > r.CallTimeout:
		p.add("redis.request_timeout", "must be positive and at most call_timeout %s (default %s)", FormatDuration(r.CallTimeout), FormatDuration(shared.DefaultRequestTimeout))
	}
}

// stripConfigErr drops shared.ErrConfig's words from err: the key path
// already says it is a configuration problem.
func stripConfigErr(err error) error {
	if err == nil {
		return nil
	}
	if s, ok := strings.CutPrefix(err.Error(), shared.ErrConfig.Error()+": "); ok {
		return errors.New(s)
	}
	return err
}

// Shared returns the settings of package shared: the redis section with
// its secret files read, and the ticket timeout and skew that bound how
// long a revocation mark lasts. It returns ErrNoRedis when no Redis is
// configured. log gets a warning for a secret file others may read, and
// later the shared state's own lines; nil discards.
func (c Config) Shared(log *slog.Logger) (shared.Config, error) {
	if !c.Redis.Enabled() {
		return shared.Config{}, ErrNoRedis
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sc := c.Redis.shared()
	read := func(key, path string) (string, error) {
		s, warnings, err := readSecret(key, path, false, false)
		if err != nil {
			return "", &FieldError{Key: key, Err: err}
		}
		for _, w := range warnings {
			w.Log(log)
		}
		return s, nil
	}
	var err error
	if f := c.Redis.URLFile; f != "" {
		if sc.URL, err = read("redis.url_file", f); err != nil {
			return shared.Config{}, err
		}
		sc.URL = strings.TrimSpace(sc.URL)
	}
	if f := c.Redis.PasswordFile; f != "" {
		if sc.Password, err = read("redis.password_file", f); err != nil {
			return shared.Config{}, err
		}
	}
	if f := c.Redis.SentinelPasswordFile; f != "" {
		if sc.SentinelPassword, err = read("redis.sentinel_password_file", f); err != nil {
			return shared.Config{}, err
		}
	}
	sc.TicketTimeout, sc.MaxSkew = c.Ticket.Timeout, c.Ticket.MaxSkew
	sc.Logger = log
	return sc, nil
}
