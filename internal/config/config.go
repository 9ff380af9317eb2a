// Package config reads tktd's configuration: a YAML file, environment
// variables (TKT_...) and command-line flags, in that order of precedence,
// over built-in defaults that make a configuration-less start work.
//
// Load checks the whole configuration at once and reports every problem,
// each prefixed by its YAML key path ("ticket.digest: ..."), so an operator
// fixes a file in one pass. The builders turn a checked Config into what the
// server runs: the chained user stores (BuildSource), the ticket settings with
// the secrets read from their files (TicketConfig), the shared state on Redis
// (Shared), and the data directory with a generated secret for the
// zero-configuration start (EnsureSecret).
//
// Secrets never live in the YAML file itself: ticket.secret_file and
// ticket.old_secret_files name files (mode 0600) that can be rotated and
// reloaded on their own, while the configuration file is often readable by
// more people, kept in version control and shown in reviews.
package config

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/tkt-sso/tkt/shared"
)

// Defaults of the zero configuration: what `tktd serve` runs with no file.
const (
	DefaultListen     = "127.0.0.1:8080"
	DefaultDataDir    = "./tkt-data"
	DefaultSecretName = "secret" // inside the data directory
	// DefaultDigest is the digest of a new installation. hmac-sha256 is a
	// real MAC (the mod_auth_tkt digests are ad-hoc hash constructions) and
	// binds IPv6 clients too. A fresh data directory gets a fresh secret that
	// no Apache knows, so compatibility buys nothing there; sites that
	// migrate from mod_auth_tkt set md5, sha256 or sha512 (import-apache
	// always writes the digest explicitly).
	DefaultDigest = "hmac-sha256"
	// DefaultTimeout and DefaultRefresh are mod_auth_tkt's own defaults
	// (TKTAuthTimeout 2h, TKTAuthTimeoutRefresh 0.5).
	DefaultTimeout = 2 * time.Hour
	DefaultRefresh = 0.5
)

// Config is tktd's whole configuration. Field tags are the YAML keys.
// Start from Defaults(): some zero values (Ticket.Timeout 0, no time check)
// mean something else than "unset".
type Config struct {
	// Listen is the host:port the portal listens on.
	Listen string `koanf:"listen"`
	// TLS serves HTTPS from a certificate and key file, reloaded on change.
	TLS TLS `koanf:"tls"`
	// DataDir holds the zero-configuration state: the SQLite user store
	// and the generated secret.
	DataDir string `koanf:"data_dir"`
	Ticket  Ticket `koanf:"ticket"`
	Cookie  Cookie `koanf:"cookie"`
	// BackArg names the destination parameter (TKTAuthBackArgName).
	BackArg string `koanf:"back_arg"`
	// AllowedRedirects lists the hosts ("app.example.com") and domain
	// suffixes (".example.com") a login may send the browser back to.
	AllowedRedirects []string `koanf:"allowed_redirects"`
	// DefaultURL is where a login ends when back is missing or refused.
	DefaultURL string `koanf:"default_url"`
	// URLTicketHosts are allowed hosts in another cookie domain that get
	// the ticket as the URLTicketArg query parameter.
	URLTicketHosts []string `koanf:"url_ticket_hosts"`
	// URLTicketHTTPHosts are those of URLTicketHosts that may get the
	// ticket over plain http while the portal runs on TLS.
	URLTicketHTTPHosts []string `koanf:"url_ticket_http_hosts"`
	URLTicketArg       string   `koanf:"url_ticket_arg"`
	Guest              Guest    `koanf:"guest"`
	// TemplatesDir holds files overriding the embedded templates and
	// static files (login.html, style.css, logo.svg, ...).
	TemplatesDir string   `koanf:"templates_dir"`
	Title        string   `koanf:"title"`
	Throttle     Throttle `koanf:"throttle"`
	// TrustedProxies are addresses or CIDR prefixes whose X-Forwarded-For
	// and X-Forwarded-Proto are believed.
	TrustedProxies []string `koanf:"trusted_proxies"`
	// StoreTimeout bounds one password check; 0 means the portal's default.
	StoreTimeout time.Duration `koanf:"store_timeout"`
	Server       Server        `koanf:"server"`
	Log          Log           `koanf:"log"`
	// ForwardAuth configures the forward-auth endpoint (/auth).
	ForwardAuth ForwardAuth `koanf:"forward_auth"`
	// Gate configures `tktd gate`.
	Gate Gate `koanf:"gate"`
	// Basic configures HTTP Basic at /auth and the gate.
	Basic Basic `koanf:"basic"`
	// BearerTickets takes "Authorization: Bearer <ticket>" like the ticket
	// cookie at /auth and the gate; off for applications whose clients
	// send bearer tokens of their own.
	BearerTickets bool `koanf:"bearer_tickets"`
	// Redis holds the state tktd instances share (revocation, sessions);
	// off unless a server is named.
	Redis Redis `koanf:"redis"`
	// Sessions records a server-side session per login, in Redis.
	Sessions Sessions `koanf:"sessions"`
	// MFA configures the second factor at the portal.
	MFA MFA `koanf:"mfa"`
	// Passwords rules the passwords tkt sets (tktctl user add and passwd).
	Passwords Passwords `koanf:"passwords"`
	// Stores are the user stores, asked in order. Empty means the SQLite
	// store in DataDir.
	Stores []Store `koanf:"-"`
}

// TLS names the PEM certificate chain and key. Both empty means plain HTTP.
type TLS struct {
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
	// HSTSMaxAge is the max-age of the Strict-Transport-Security header
	// the portal sends on every page a client reached over HTTPS (tktd's
	// own TLS, or a trusted proxy's); 0 sends none.
	HSTSMaxAge time.Duration `koanf:"hsts_max_age"`
	// HSTSIncludeSubdomains extends it to every host under the portal's:
	// only when all of them serve HTTPS.
	HSTSIncludeSubdomains bool `koanf:"hsts_include_subdomains"`
}

// HSTS is the Strict-Transport-Security value of the settings, "" for none.
func (t TLS) HSTS() string {
	if t.HSTSMaxAge <= 0 {
		return ""
	}
	v := "max-age=" + strconv.FormatInt(int64(t.HSTSMaxAge/time.Second), 10)
	if t.HSTSIncludeSubdomains {
		v += "; includeSubDomains"
	}
	return v
}

// Enabled reports whether HTTPS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Ticket mirrors mod_auth_tkt's server and per-directory ticket settings.
type Ticket struct {
	// Digest is md5, sha256, sha512 (mod_auth_tkt's TKTAuthDigestType) or
	// hmac-sha256 (tkt's own).
	Digest string `koanf:"digest"`
	// SecretFile holds the current secret; empty means DataDir/secret,
	// generated on first start. One trailing newline is stripped.
	SecretFile string `koanf:"secret_file"`
	// OldSecretFiles hold secrets still accepted (TKTAuthSecretOld).
	OldSecretFiles []string `koanf:"old_secret_files"`
	// AllowWeakSecret accepts secrets shorter than 16 bytes, for a site
	// that keeps a legacy mod_auth_tkt secret until it can rotate it; an
	// error is logged at every start and reload while one is in use.
	AllowWeakSecret bool          `koanf:"allow_weak_secret"`
	Timeout         time.Duration `koanf:"timeout"`
	Refresh         float64       `koanf:"refresh"`
	// MaxLifetime caps refreshes: no ticket outlives the login's time
	// plus this (ticket.Config.MaxLifetime); 0 means no cap.
	MaxLifetime time.Duration `koanf:"max_lifetime"`
	// MaxSkew bounds how far in the future a ticket's time may lie; 0 means
	// the ticket package's default, negative turns the check off.
	MaxSkew  time.Duration `koanf:"max_skew"`
	IgnoreIP bool          `koanf:"ignore_ip"`
	// IPv4Prefix and IPv6Prefix bind hmac-sha256 tickets to a network.
	IPv4Prefix int `koanf:"ipv4_prefix"`
	IPv6Prefix int `koanf:"ipv6_prefix"`
	// Tokens are required at the portal: a valid ticket holding none of
	// them is "not authorized" (TKTAuthToken).
	Tokens []string `koanf:"tokens"`
}

// Cookie describes the ticket cookie.
type Cookie struct {
	Name    string        `koanf:"name"`
	Domain  string        `koanf:"domain"`
	Path    string        `koanf:"path"`
	Secure  bool          `koanf:"secure"`
	Expires time.Duration `koanf:"expires"`
}

// Guest configures guest access (TKTAuthGuestLogin, TKTAuthGuestUser).
type Guest struct {
	Enabled bool   `koanf:"enabled"`
	User    string `koanf:"user"`
}

// Throttle limits failed logins per user and per client address. Zero
// values mean the portal's defaults.
type Throttle struct {
	Disabled      bool `koanf:"disabled"`
	MaxFailures   int  `koanf:"max_failures"`
	MaxIPFailures int  `koanf:"max_ip_failures"`
	// MaxUserFailures bounds the failures at one user name from every
	// address that has not signed in as that user within KnownFor.
	MaxUserFailures int           `koanf:"max_user_failures"`
	KnownFor        time.Duration `koanf:"known_for"`
	Window          time.Duration `koanf:"window"`
	MaxKeys         int           `koanf:"max_keys"`
}

// Server tunes the HTTP server and its reloads.
type Server struct {
	// ReadHeaderTimeout bounds reading a request's header.
	ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body and all, and
	// WriteTimeout writing its answer. At the gate they bound requests
	// without a valid ticket; the application's own requests stream for
	// as long as it lets them.
	ReadTimeout  time.Duration `koanf:"read_timeout"`
	WriteTimeout time.Duration `koanf:"write_timeout"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration `koanf:"idle_timeout"`
	// MaxConnections bounds the open client connections of tktd serve; at
	// the bound a new client closes the connection idle the longest.
	// 0 means three quarters of the open-file limit, at most 16384.
	MaxConnections int `koanf:"max_connections"`
	// ShutdownTimeout is how long SIGTERM waits for requests in flight.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// MaxHeaderBytes bounds request headers; larger ones get 431.
	MaxHeaderBytes int `koanf:"max_header_bytes"`
	// ReloadInterval is how often secret, htpasswd, template and TLS files
	// are checked for changes; 0 turns the watch off (SIGHUP still works).
	ReloadInterval time.Duration `koanf:"reload_interval"`
	// MetricsListen, when set, is a host:port of its own where tktd serve
	// answers /metrics, /healthz and /readyz, and /metrics leaves the
	// portal's listener, which users (and anyone, when it faces the
	// internet) reach. Empty keeps /metrics on the portal's listener, as
	// configurations written before this setting expect.
	MetricsListen string `koanf:"metrics_listen"`
}

// DefaultPasswordMinLength is NIST SP 800-63B's least length for a
// password a person chooses (section 5.1.1.2).
const DefaultPasswordMinLength = 8

// Passwords rules the passwords tkt sets in its own store.
type Passwords struct {
	// MinLength is the fewest characters (Unicode characters, not bytes)
	// a new password may have.
	MinLength int `koanf:"min_length"`
}

// Log configures log/slog output.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `koanf:"level"`
	// Format is json, text or auto (text on a terminal, JSON otherwise).
	Format string `koanf:"format"`
	// Access is the level of the access log, one line per request: info,
	// debug (shown only at level debug) or off. tkt's own events (logins,
	// refused tickets, reloads) are logged whatever it says.
	Access string `koanf:"access"`
	// AccessRate caps the access lines written per second; the lines
	// beyond it are counted (tkt_access_log_dropped_total) and the next
	// line says how many went. 0 means no cap.
	AccessRate int `koanf:"access_rate"`
}

// Defaults returns the configuration tktd runs with when nothing is set.
func Defaults() Config {
	return Config{
		Listen:  DefaultListen,
		DataDir: DefaultDataDir,
		Ticket: Ticket{
			Digest:  DefaultDigest,
			Timeout: DefaultTimeout,
			Refresh: DefaultRefresh,
		},
		TLS:          TLS{HSTSMaxAge: 365 * 24 * time.Hour},
		Cookie:       Cookie{Name: "auth_tkt", Path: "/"},
		BackArg:      "back",
		URLTicketArg: "auth_tkt",
		Guest:        Guest{User: "guest"},
		Server: Server{
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       30 * time.Second,
			ShutdownTimeout:   20 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ReloadInterval:    5 * time.Second,
		},
		Log:  Log{Level: "info", Format: "auto", Access: "info", AccessRate: 50},
		Gate: Gate{Listen: DefaultGateListen},
		Redis: Redis{
			KeyPrefix:      shared.DefaultKeyPrefix,
			StaleAfter:     shared.DefaultStaleAfter,
			ResyncInterval: shared.DefaultResyncInterval,
			CallTimeout:    shared.DefaultCallTimeout,
			RequestTimeout: shared.DefaultRequestTimeout,
		},
		BearerTickets: true,
		MFA:           MFA{Issuer: DefaultMFAIssuer, Token: DefaultMFAToken},
		Passwords:     Passwords{MinLength: DefaultPasswordMinLength},
	}
}

// SecretPath is the current secret's file: Ticket.SecretFile, or the
// generated one in DataDir.
func (c Config) SecretPath() string {
	if c.Ticket.SecretFile != "" {
		return c.Ticket.SecretFile
	}
	return filepath.Join(c.DataDir, DefaultSecretName)
}

// DefaultStore reports whether the users live in the zero-configuration
// SQLite store in DataDir.
func (c Config) DefaultStore() bool {
	if len(c.Stores) == 0 {
		return true
	}
	return len(c.Stores) == 1 && c.Stores[0].Type == StoreSQL && c.Stores[0].SQL.dataDir()
}
