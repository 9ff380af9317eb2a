package shared

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/ticket"
)

// Defaults of a zero Config.
const (
	DefaultKeyPrefix      = "tkt:"
	DefaultStaleAfter     = time.Minute
	DefaultResyncInterval = 10 * time.Second
	DefaultCallTimeout    = 2 * time.Second
	// DefaultRequestTimeout bounds the calls a request waits for (the
	// login throttle, the credential cache): a login must not hang on a
	// hung Redis, and a Redis on the same network answers in well under
	// a millisecond.
	DefaultRequestTimeout = 250 * time.Millisecond
)

// Config says where Redis is and how tkt uses it. Exactly one of URL and
// Addrs is set; the other fields have zero values that work.
type Config struct {
	// URL is one Redis server: redis://[user:password@]host:port/db,
	// rediss:// for TLS, or unix:///path. With Cluster it is a cluster
	// node, more nodes in addr= query parameters (go-redis's
	// ParseClusterURL). Query parameters tune the client (dial_timeout=,
	// pool_size=...).
	URL string
	// Addrs are the Sentinels' addresses (with MasterName) or a Redis
	// Cluster's nodes (with Cluster), host:port each.
	Addrs      []string
	MasterName string
	Cluster    bool
	// Username, Password and TLS authenticate and encrypt the connections
	// to Addrs; a URL carries its own.
	Username, Password string
	TLS                bool
	// SentinelUsername and SentinelPassword authenticate to the Sentinels
	// themselves (their own requirepass or ACL user), which need not be
	// the master's Username and Password. Empty: the Sentinels ask none.
	SentinelUsername, SentinelPassword string

	// KeyPrefix starts every key and channel name, so that several
	// deployments (or tests) share one Redis; default DefaultKeyPrefix.
	KeyPrefix string
	// OnOutage is what a feature does once its copy of the shared state
	// is older than StaleAfter; OutageDefault leaves it to each feature.
	OnOutage Outage
	// StaleAfter bounds how long, since Redis last answered, a local copy
	// is served as if current; default DefaultStaleAfter.
	StaleAfter time.Duration
	// ResyncInterval is how often the whole shared state is read again,
	// in case a published change was missed; default
	// DefaultResyncInterval.
	ResyncInterval time.Duration
	// CallTimeout bounds one call to Redis (dial, write, read); default
	// DefaultCallTimeout.
	CallTimeout time.Duration
	// RequestTimeout bounds one call a request waits for (Throttle,
	// CredentialCache); default DefaultRequestTimeout, and never more
	// than CallTimeout.
	RequestTimeout time.Duration

	// TicketTimeout and MaxSkew are the ticket settings that bound how
	// long a revocation mark can matter: a mark is dropped once every
	// ticket it could refuse has timed out (TicketTimeout + MaxSkew after
	// it). TicketTimeout 0 means tickets never time out, and marks never
	// expire; MaxSkew 0 or less means ticket.DefaultMaxSkew.
	TicketTimeout time.Duration
	MaxSkew       time.Duration

	// Logger gets one line when Redis goes away and one when it returns;
	// nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Outage is what a feature does when Redis has been away for longer than
// StaleAfter.
type Outage string

const (
	// OutageDefault lets each feature choose: revocation stays open,
	// sessions close.
	OutageDefault Outage = ""
	// OutageOpen serves the last copy of the shared state, however old.
	OutageOpen Outage = "open"
	// OutageClosed refuses what it cannot check (503).
	OutageClosed Outage = "closed"
)

// ParseOutage reads an on_outage setting: "", "open" or "closed".
func ParseOutage(s string) (Outage, error) {
	switch o := Outage(strings.ToLower(strings.TrimSpace(s))); o {
	case OutageDefault, OutageOpen, OutageClosed:
		return o, nil
	}
	return "", fmt.Errorf("unknown on_outage %q: want open or closed", s)
}

// or returns o, or def for OutageDefault.
func (o Outage) or(def Outage) Outage {
	if o == OutageDefault {
		return def
	}
	return o
}

// Errors of Open and of the revocation calls.
var (
	// ErrConfig: the Config cannot describe a Redis deployment.
	ErrConfig = errors.New("bad Redis configuration")
	// ErrInvalidMark: a revocation that cannot be recorded (a user name
	// no ticket can hold, a time in the future or too old to matter).
	ErrInvalidMark = errors.New("invalid revocation")
)

// CheckURL reports why u cannot be Config.URL, or nil. Its errors never
// quote the URL, which may hold a password.
func CheckURL(u string, cluster bool) error {
	_, err := parseURL(u, cluster)
	return err
}

// parseURL parses a URL with go-redis's parser, for one server or, with
// cluster, a Redis Cluster.
func parseURL(u string, cluster bool) (any, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("%w: not a URL%s", ErrConfig, urlReason(err))
	}
	switch pu.Scheme {
	case "redis", "rediss":
	case "unix":
		if cluster {
			return nil, fmt.Errorf("%w: a Redis Cluster is reached over TCP: want a redis:// or rediss:// URL", ErrConfig)
		}
	default:
		return nil, fmt.Errorf("%w: scheme %q: want redis://, rediss:// or unix://", ErrConfig, pu.Scheme)
	}
	if pu.Scheme != "unix" && pu.Host == "" {
		return nil, fmt.Errorf("%w: no host in the URL: want redis://host:port/db", ErrConfig)
	}
	var opt any
	if cluster {
		opt, err = redis.ParseClusterURL(u)
	} else {
		opt, err = redis.ParseURL(u)
	}
	if err != nil {
		// go-redis's messages quote the path, scheme or query parameter
		// at fault, never the user information.
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return opt, nil
}

// urlReason is the reason net/url gives, without the URL it quotes.
func urlReason(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return ""
	}
	var esc url.EscapeError
	if errors.As(ue.Err, &esc) {
		return " (a bad %-escape)" // the escape may be part of the password
	}
	return " (" + ue.Err.Error() + ")"
}

// check reports what makes c unusable, before anything is dialled.
func (c Config) check() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...))
	}
	if c.MasterName == "" && (c.SentinelUsername != "" || c.SentinelPassword != "") {
		bad("a Sentinel user or password goes with Sentinel addresses and a master name")
	}
	switch {
	case c.URL != "" && len(c.Addrs) > 0:
		bad("set a URL or addresses, not both")
	case c.URL == "" && len(c.Addrs) == 0:
		bad("no URL and no addresses")
	case c.URL != "":
		if c.MasterName != "" {
			bad("a master name goes with Sentinel addresses, not with a URL")
		}
		if c.Username != "" || c.Password != "" || c.TLS {
			bad("a URL carries its own user, password and TLS (rediss://)")
		}
		if err := CheckURL(c.URL, c.Cluster); err != nil {
			errs = append(errs, err)
		}
	default:
		switch {
		case c.MasterName != "" && c.Cluster:
			bad("Sentinel (a master name) or Cluster, not both")
		case c.MasterName == "" && !c.Cluster:
			bad("addresses are Sentinels (give the master name) or Cluster nodes (set cluster): one server goes in a URL")
		}
		for _, a := range c.Addrs {
			if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
				bad("address %q is not host:port", a)
			}
		}
	}
	if _, err := ParseOutage(string(c.OnOutage)); err != nil {
		bad("%v", err)
	}
	if c.StaleAfter < 0 || c.ResyncInterval < 0 || c.CallTimeout < 0 || c.RequestTimeout < 0 || c.TicketTimeout < 0 {
		bad("durations must not be negative")
	}
	return errors.Join(errs...)
}

// String describes the deployment without credentials, for logs, errors
// and `tktctl config check`.
func (c Config) String() string {
	switch {
	case c.URL != "" && c.Cluster:
		return "redis cluster " + redactURL(c.URL)
	case strings.HasPrefix(c.URL, "redis://"), strings.HasPrefix(c.URL, "rediss://"):
		return redactURL(c.URL)
	case c.URL != "":
		return "redis at " + redactURL(c.URL)
	case c.MasterName != "":
		return fmt.Sprintf("redis sentinel master %q at %s", c.MasterName, strings.Join(c.Addrs, ","))
	case c.Cluster:
		return "redis cluster " + strings.Join(c.Addrs, ",")
	}
	return "redis (not configured)"
}

// redactURL shows a URL with its password replaced by xxxxx, or only its
// scheme when it does not parse.
func redactURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		if scheme, _, ok := strings.Cut(u, "://"); ok && !strings.ContainsAny(scheme, "@:/") {
			return scheme + "://(unparsable)"
		}
		return "(unparsable URL)"
	}
	return pu.Redacted()
}

// ttl is how long a revocation mark can refuse a valid ticket, 0 for ever.
func (c Config) ttl() time.Duration {
	if c.TicketTimeout <= 0 {
		return 0
	}
	skew := c.MaxSkew
	if skew <= 0 {
		skew = ticket.DefaultMaxSkew
	}
	return c.TicketTimeout + skew
}

func (c Config) withDefaults() Config {
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if c.StaleAfter == 0 {
		c.StaleAfter = DefaultStaleAfter
	}
	if c.ResyncInterval == 0 {
		c.ResyncInterval = DefaultResyncInterval
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	c.RequestTimeout = min(c.RequestTimeout, c.CallTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
