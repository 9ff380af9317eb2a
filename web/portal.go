package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Config configure a Portal. Apart from Ticket.Secret and Source, the zero
// value of every field works.
type Config struct {
	// Ticket is how tickets are minted and read: digest, Secret,
	// OldSecrets, Timeout, Refresh, IgnoreIP, IPv4Prefix, IPv6Prefix.
	// Tokens (required tokens) is honoured on GET /login: a valid ticket
	// without one of them shows the "not authorized" reason.
	Ticket ticket.Config
	// Source checks passwords; the caller chains and caches stores.
	Source authsrc.Source
	// Renew, when set, renews a ticket from the user stores before the
	// portal refreshes it (GET /login and GET /), as tkthttp's Renew does
	// at validators; NewRenew builds one. nil refreshes tickets as they
	// are.
	Renew tkthttp.Renew
	// Revocation, when set, refuses tickets taken back before their
	// timeout, as tkthttp's Revocation does at validators: the portal
	// treats a revoked ticket as no ticket.
	Revocation tkthttp.Revocation
	// Revoke, when set, records that the user's tickets issued before at
	// are revoked everywhere: the "sign out everywhere" of POST /logout
	// (everywhere=1), offered on the home page only when it (or Sessions)
	// is set.
	Revoke func(ctx context.Context, user string, at time.Time) error
	// Sessions, when set, records a server-side session at every password
	// login, whose id the ticket carries (guests get none: they hold
	// nothing worth ending, and anyone could fill the store with them).
	// Logout ends the session, "sign out everywhere" ends every session of
	// the user, and the portal takes a ticket whose session has ended for
	// none. A login whose session cannot be recorded fails (503).
	Sessions Sessions
	// MFA, when set, asks users who have a second factor (and, with
	// Required, everyone) for a code after the password, and offers
	// /account/security to enroll and remove one.
	MFA *MFAConfig
	// Cookie is where the ticket cookie lives.
	Cookie CookieConfig
	// BackArg names the destination parameter (TKTAuthBackArgName);
	// default "back".
	BackArg string
	// AllowedRedirects is the back URL allow-list: an exact host
	// ("app.example.com", "app.example.com:8443") or a ".example.com"
	// suffix, which admits example.com itself and every sub-domain.
	// Relative paths on the portal, and URLs on the host the request came
	// to, are always allowed; so are OwnHosts, OwnPorts and
	// URLTicketHosts.
	AllowedRedirects []string
	// OwnHosts are hosts the caller knows to be its own (tktd: the hosts
	// of its forward-auth rules and its gate's address), allowed as back
	// URLs without being listed in AllowedRedirects; same syntax.
	OwnHosts []string
	// OwnPorts are ports ("8081") that are the caller's own on whatever
	// host the portal was reached at (tktd: its gate's, listening on
	// every address of the same machine).
	OwnPorts []string
	// DefaultURL is where a login ends when back is missing or refused:
	// default the portal's own "/" page. It must itself be a relative path
	// or on the allow-list.
	DefaultURL string
	// URLTicketHosts are allow-listed hosts (same syntax as
	// AllowedRedirects) in another cookie domain: a redirect there carries
	// the ticket as the URLTicketArg query parameter so that host's
	// validator can set its own cookie.
	URLTicketHosts []string
	// URLTicketHTTPHosts are the URLTicketHosts that may get the ticket
	// over plain http while the portal runs on TLS; for any other, a back
	// URL that would carry the ticket in clear text is refused.
	URLTicketHTTPHosts []string
	// URLTicketArg names that parameter; default "auth_tkt".
	URLTicketArg string
	// PortalURL is the portal's public URL (tktd: forward_auth.login_url
	// when it is absolute). A logout that starts on one of the
	// URLTicketHosts visits the portal's /logout too, so that the ticket
	// ends in the portal's cookie domain as well: otherwise the next visit
	// to the application would get a fresh URL ticket from the portal's
	// still valid cookie. Empty, such a logout ends the ticket on the URL
	// ticket hosts alone.
	PortalURL string
	// Guest enables a "continue as guest" button.
	Guest GuestConfig
	// TemplateDir, when set, holds files that override the embedded ones
	// by name: login.html, loggedout.html, home.html, error.html,
	// layout.html, and static files (style.css, logo.svg, logo.png...).
	TemplateDir string
	// Title is the brand title shown on every page; default "Sign in".
	Title string
	// Throttle limits failed logins per user and per client IP.
	Throttle ThrottleConfig
	// ClientAddrConfig names the trusted proxies whose word on the
	// client's address (for ticket binding and throttling) and on whether
	// it used TLS is taken, by the same rules as the validators'.
	tkthttp.ClientAddrConfig
	// HSTS is the Strict-Transport-Security value sent on every page a
	// client reached over HTTPS, e.g. "max-age=31536000"; "" sends none.
	HSTS string
	// StoreTimeout bounds one Source call; default 10s.
	StoreTimeout time.Duration
	// Logger receives one line per login attempt; nil discards.
	Logger *slog.Logger
	// Metrics may be nil.
	Metrics Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// CookieConfig describe the ticket cookie.
type CookieConfig struct {
	// Name defaults to ticket.DefaultCookieName ("auth_tkt").
	Name string
	// Domain is the cookie's Domain attribute; empty means host-only.
	Domain string
	// Path defaults to "/".
	Path string
	// Secure forces the Secure attribute; it is set anyway when the
	// client's request came over TLS, to us or to a trusted proxy that
	// says so (X-Forwarded-Proto, which wins over our own connection).
	Secure bool
	// Expires makes a persistent cookie living this long; 0 means a session
	// cookie (the ticket's own timeout still applies).
	Expires time.Duration
}

// GuestConfig configure guest access (mod_auth_tkt's TKTAuthGuestLogin).
type GuestConfig struct {
	Enabled bool
	// User is the guest user id pattern; default "guest". "%U" expands to
	// a random UUID and "%<n>U" to its first n characters.
	User string
}

// ThrottleConfig bound failed logins. Each user name and each client IP has
// a token bucket holding MaxFailures attempts that refills one attempt per
// Window/MaxFailures: MaxFailures failures in a row lock the key until a
// token comes back. A successful login does not refill the bucket.
type ThrottleConfig struct {
	// Disabled turns throttling off (tests, or a front proxy does it).
	Disabled bool
	// MaxFailures is the burst of failed attempts allowed per user name;
	// default 5.
	MaxFailures int
	// MaxIPFailures is the same per client address (IPv6: per /64);
	// default 4*MaxFailures, since an address may be a NAT.
	MaxIPFailures int
	// MaxUserFailures is the same per user name from every address
	// together, except the addresses the user signed in from within
	// KnownFor; default 4*MaxFailures. It bounds guessing from many
	// addresses, which the two above leave open.
	MaxUserFailures int
	// KnownFor is how long an address stays known for a user after a
	// successful login; default 30 days.
	KnownFor time.Duration
	// Window is how long the full burst takes to refill; default 15m.
	Window time.Duration
	// MaxKeys bounds the number of tracked users, IPs and known
	// addresses (each, LRU) in this instance's memory; default 10000.
	MaxKeys int
	// Store, when set, keeps the buckets where every instance counts
	// alike (shared.Throttle, on Redis); nil keeps them in this
	// instance's memory, where they are also kept while Store cannot
	// answer. A reload keeps the counts when the settings, Store
	// included, are equal (==): make it a pointer.
	Store ThrottleStore
}

// Metrics receive portal events. Implementations must be safe for concurrent
// use. Login's result is one of the fixed set "ok" (a guest login too),
// "invalid", "unavailable", "throttled", "csrf" and "bad_request" (a
// malformed form, or a browser that refuses cookies).
type Metrics interface {
	Login(result string)
	TicketIssued()
	Throttled()
	StoreLatency(d time.Duration)
}

// Portal is the login portal's http.Handler.
type Portal struct {
	state atomic.Pointer[state]
}

// New validates o, reporting every problem at once (errors.Join), and
// returns a ready Portal.
func New(o Config) (*Portal, error) {
	st, err := newState(o, nil)
	if err != nil {
		return nil, err
	}
	p := &Portal{}
	p.state.Store(st)
	return p, nil
}

// Reload validates o and swaps it in atomically: requests already running
// finish with the previous state. On error the previous state stays.
// Throttling counters survive a reload unless the throttle options changed.
func (p *Portal) Reload(o Config) error {
	st, err := newState(o, p.state.Load())
	if err != nil {
		return err
	}
	p.state.Store(st)
	return nil
}

// ServeHTTP routes GET/POST /login, GET/POST /logout, GET / and
// GET /static/... with the state current when the request arrived.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.state.Load().handler.ServeHTTP(w, r)
}
