package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
	"github.com/tkt-sso/tkt/web"
)

// app is a running tktd, the portal (tktd serve) or the gate (tktd gate),
// and what it reloads.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	metrics *metrics
	stores  *config.Stores // nil for the gate without gate.basic
	portal  *web.Portal    // nil for the gate
	auth    *web.ForwardAuth
	gate    *web.Gate     // nil for the portal
	certs   *certReloader // nil without TLS
	watch   *watcher
	// basic is the stores behind the credential cache that HTTP Basic at
	// /auth and the gate checks passwords with; built once, so that a
	// reload keeps what it remembers. nil without stores.
	basic *cache.Cache
	// renew asks the stores behind basic who a ticket's user is before
	// the portal, /auth or the gate refreshes the ticket; nil without
	// stores (the gate without gate.basic), and tickets then refresh as
	// they are. Built once with basic, it survives reloads.
	renew tkthttp.Renew
	// passwords checks HTTP Basic at the gate (the portal has its own).
	passwords *web.Passwords
	// shared is the Redis that several tktd instances share, and
	// revocations the marks it holds, throttle the login throttle's
	// buckets and credentials the credential caches' entries; all nil
	// without a redis section. Opened once, they survive reloads.
	shared      *shared.Client
	revocations *shared.Revocations
	throttle    *shared.Throttle
	credentials *shared.CredentialCache
	// sessions are the server-side sessions, nil unless sessions are on.
	sessions *shared.Sessions
	// factors are the users' second factors (tktd serve), opened once;
	// factorDB is their database, closed with the app.
	factors  *mfa.Manager
	factorDB *sqlstore.Store
	// opsLn is the listener for /metrics and /healthz (and the portal's
	// /readyz) of server.metrics_listen or gate.metrics_listen, nil
	// without one.
	opsLn net.Listener

	mu     sync.Mutex    // serialises reloads
	ticket ticket.Config // the secrets in use, guarded by mu
}

// newApp opens the stores, reads the secrets and builds the portal. The
// zero-configuration secret must exist already (config.EnsureSecret).
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics) (*app, error) {
	a := &app{cfg: cfg, log: log, metrics: m}
	tc, err := cfg.TicketConfig(log)
	if err != nil {
		return nil, err
	}
	if cfg.TLS.Enabled() {
		if a.certs, err = newCertReloader(cfg.TLS.CertFile, cfg.TLS.KeyFile); err != nil {
			return nil, err
		}
	}
	// Redis first: the credential caches keep their entries there.
	if err := a.openShared(ctx); err != nil {
		return nil, err
	}
	a.stores, err = config.BuildSource(ctx, cfg, a.buildConfig(tc))
	if err != nil {
		a.close()
		return nil, err
	}
	a.basic = a.basicSource(tc)
	if err = a.openFactors(ctx); err != nil {
		a.close()
		return nil, err
	}
	a.renew, err = a.renewal()
	var opts web.Config
	if err == nil {
		opts, err = a.portalConfig(tc)
	}
	if err == nil {
		a.portal, err = web.New(opts)
	}
	if err == nil {
		a.auth, err = web.NewForwardAuth(a.forwardAuthConfig(opts))
	}
	if err != nil {
		a.close()
		return nil, err
	}
	a.ticket = tc
	a.watch = newWatcher(cfg.Files(), cfg.TemplatesDir)
	return a, nil
}

// openFactors opens the users' second factors: their database (the first
// sql store with tkt's schema, else the data directory's SQLite file) and
// the key that seals TOTP secrets (mfa.key_file, else mfa.key in the data
// directory, made on first start).
//
// A configuration that names no database of tkt's own and no data
// directory tktd may write (htpasswd or LDAP under a service user, as it
// ran before second factors existed) still starts, without them and
// saying so, when no factor can exist yet (config.FactorsOptional):
// refusing to start would break it for a feature it does not use, and
// a login can skip no factor that nobody has.
func (a *app) openFactors(ctx context.Context) error {
	optional := a.cfg.FactorsOptional()
	off := func(err error) bool {
		if !optional || !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
			return false
		}
		a.log.Warn("second factors are off: their storage cannot be made; give data_dir a directory tktd may write to offer TOTP and passkeys",
			"data_dir", a.cfg.DataDir, "err", err)
		return true
	}
	key, err := a.cfg.MFAKey()
	if err != nil {
		if off(err) {
			return nil
		}
		return fmt.Errorf("mfa: %w", err)
	}
	if a.factorDB, err = config.OpenFactorStore(ctx, a.cfg, a.log.With("component", "factors")); err != nil {
		if off(err) {
			return nil
		}
		return fmt.Errorf("mfa: the factor database %s: %w", a.cfg.FactorStoreName(), err)
	}
	a.factors, err = mfa.New(mfa.Config{Store: a.factorDB, Key: key, Issuer: a.cfg.MFA.Issuer})
	return err
}

// mfaConfig is the portal's second factor, nil when openFactors left it
// off.
func (a *app) mfaConfig() *web.MFAConfig {
	if a.factors == nil {
		return nil
	}
	c := a.cfg.MFA
	return &web.MFAConfig{Factors: a.factors, Required: c.Required, Token: c.Token}
}

// portalURL is the portal's public URL for a logout begun on a URL ticket
// host (web.Config.PortalURL): forward_auth.login_url when it names a
// host; a path (the default, /login) means the portal answers on the
// application's own host, and no hop is needed.
func portalURL(loginURL string) string {
	if u, err := url.Parse(loginURL); err == nil && u.Host != "" {
		return loginURL
	}
	return ""
}

// portalConfig maps tktd's configuration onto the portal's.
func (a *app) portalConfig(tc ticket.Config) (web.Config, error) {
	c := a.cfg
	proxies, err := c.TrustedProxyPrefixes()
	if err != nil {
		return web.Config{}, err
	}
	ownHosts, ownPorts := c.OwnRedirects()
	return web.Config{
		Ticket:     tc,
		Source:     a.stores.Source,
		Renew:      a.renew,
		Revocation: a.revocation(),
		Revoke:     a.revoke(),
		Sessions:   a.sessionStore(),
		MFA:        a.mfaConfig(),
		Cookie: web.CookieConfig{
			Name: c.Cookie.Name, Domain: c.Cookie.Domain, Path: c.Cookie.Path,
			Secure: c.Cookie.Secure, Expires: c.Cookie.Expires,
		},
		BackArg:            c.BackArg,
		AllowedRedirects:   c.AllowedRedirects,
		OwnHosts:           ownHosts,
		OwnPorts:           ownPorts,
		DefaultURL:         c.DefaultURL,
		URLTicketHosts:     c.URLTicketHosts,
		URLTicketHTTPHosts: c.URLTicketHTTPHosts,
		URLTicketArg:       c.URLTicketArg,
		PortalURL:          portalURL(c.ForwardAuth.LoginURL),
		Guest:              web.GuestConfig{Enabled: c.Guest.Enabled, User: c.Guest.User},
		TemplateDir:        c.TemplatesDir,
		Title:              c.Title,
		Throttle:           throttleConfig(c.Throttle, a.throttleStore()),
		ClientAddrConfig:   tkthttp.ClientAddrConfig{TrustedProxies: proxies},
		StoreTimeout:       c.StoreTimeout,
		HSTS:               c.TLS.HSTS(),
		Logger:             a.log.With("component", "portal"),
		Metrics:            a.metrics,
	}, nil
}

// forwardAuthConfig maps tktd's configuration onto the forward-auth
// endpoint's; po is the portal's, for what the two share.
func (a *app) forwardAuthConfig(po web.Config) web.ForwardAuthConfig {
	fa := a.cfg.ForwardAuth
	rules := make([]web.ForwardAuthRule, len(fa.Rules))
	for i, r := range fa.Rules {
		rules[i] = forwardAuthRule(r)
	}
	return web.ForwardAuthConfig{
		Basic: &web.BasicConfig{
			Passwords:   a.portal.Passwords(a.basic),
			Realm:       a.cfg.Basic.Realm,
			IssueTicket: a.cfg.Basic.IssueTicket,
			Sessions:    a.sessionStore(),
		},
		BearerTickets:    a.cfg.BearerTickets,
		Ticket:           po.Ticket,
		Cookie:           po.Cookie,
		LoginURL:         fa.LoginURL,
		UnauthURL:        fa.UnauthURL,
		BackArg:          po.BackArg,
		Headers:          fa.Headers.Identity(),
		Rules:            rules,
		GuestUser:        a.cfg.Guest.User,
		Renew:            a.renew,
		Revocation:       a.revocation(),
		Sessions:         a.sessionCheck(),
		URLTicketHosts:   a.cfg.URLTicketHosts,
		ClientAddrConfig: po.ClientAddrConfig,
		Path:             "/auth",
		Logger:           a.log.With("component", "forward_auth"),
	}
}

// forwardAuthRule maps a rule of the configuration, which Validate has
// checked, onto the endpoint's.
func forwardAuthRule(r config.AuthRule) web.ForwardAuthRule {
	networks, _ := config.ParsePrefixes(r.Networks)
	l := r.Location
	return web.ForwardAuthRule{
		Hosts: r.Hosts, Paths: r.Paths, Tokens: r.Tokens, Guest: r.Guest, Bypass: r.Bypass, Basic: r.Basic,
		Methods: r.Methods, Networks: networks, Deny: r.Deny, Users: r.Users, AllTokens: r.AllTokens,
		Timeout: l.Timeout, Refresh: l.Refresh, TimeoutURL: l.TimeoutURL, PostTimeoutURL: l.PostTimeoutURL,
		UnauthURL: r.UnauthURL, GuestFallback: l.GuestFallback, GuestCookie: l.GuestCookie, RequireTLS: l.RequireTLS,
		IgnoreIP: l.IgnoreIP, MaxAuthAge: r.MaxAuthAge,
	}
}

// handler routes the portal, the forward-auth endpoint and the operations
// endpoints; or, for the gate, everything to the application but its own
// liveness probe.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	if a.gate != nil {
		mux.Handle("/", a.gate)
		mux.HandleFunc("GET "+gateHealthPath, healthz)
		return observe(closeUnreadBody(mux), a.accessLog(), a.metrics, gateRoute)
	}
	mux.Handle("/", a.portal)
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(a.stores, a.sharedCheck(), a.log))
	if a.opsLn == nil {
		mux.Handle("GET /metrics", a.metrics.handler())
	}
	// Proxies ask /auth about every request they serve: it skips the
	// mux's pattern matching, a twentieth of its cost under load.
	return observe(closeUnreadBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route(r.URL.Path) == "auth" {
			a.auth.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})), a.accessLog(), a.metrics, route)
}

// accessLog is the access log of the configuration's log section.
func (a *app) accessLog() *accessLog {
	return newAccessLog(a.log, a.cfg.Log, a.metrics.accessDropped.Inc)
}

// reload re-reads the secrets, the htpasswd files, the templates and the
// certificate without stopping: requests under way finish with the state
// they started with. Whatever fails to load keeps its previous state; the
// reasons are logged and returned.
func (a *app) reload(why string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.watch.changed() // take in the files as they are now: no second reload for this change
	var errs []error
	tc, err := a.cfg.TicketConfig(a.log)
	if err != nil {
		errs = append(errs, err)
		tc = a.ticket
	}
	if a.certs != nil {
		if err := a.certs.reload(); err != nil {
			errs = append(errs, err)
		}
	}
	if a.gate != nil {
		err = a.reloadGate(tc)
	} else {
		err = a.reloadPortal(tc)
	}
	if err != nil {
		errs = append(errs, err)
	} else {
		a.ticket = tc
	}
	err = errors.Join(errs...)
	a.metrics.reloaded(err == nil)
	if err != nil {
		a.log.Error("reload failed: what could not be loaded keeps its previous state", "reason", why, "err", err)
		return err
	}
	a.log.Info("reloaded secrets, user files, templates and certificates", "reason", why)
	return nil
}

// reloadStores re-reads the user stores' files and forgets what HTTP
// Basic's credential cache remembers, as the stores' own caches do: a
// password removed from a file stops working at the reload, not
// basic.cache_ttl later. Caches shared on Redis take the MAC key of the
// ticket settings tc: a new secret, a new key.
func (a *app) reloadStores(tc ticket.Config) error {
	if a.stores == nil {
		return nil
	}
	err := a.stores.Reload()
	if key := a.macKey(tc); key != nil {
		a.stores.Rekey(key)
		a.basic.Rekey(key)
	} else {
		a.basic.Purge()
	}
	return err
}

// reloadPortal reloads the user stores, the portal and the forward-auth
// endpoint, which share the ticket settings tc.
func (a *app) reloadPortal(tc ticket.Config) error {
	serr := a.reloadStores(tc)
	opts, err := a.portalConfig(tc)
	if err == nil {
		err = a.portal.Reload(opts)
	}
	if err == nil {
		err = a.auth.Reload(a.forwardAuthConfig(opts))
	}
	return errors.Join(serr, err)
}

// throttleConfig maps the throttle settings onto the portal's, which the
// gate's HTTP Basic uses too, with the buckets in store (nil: memory).
func throttleConfig(t config.Throttle, store web.ThrottleStore) web.ThrottleConfig {
	return web.ThrottleConfig{
		Disabled: t.Disabled, MaxFailures: t.MaxFailures, MaxIPFailures: t.MaxIPFailures,
		MaxUserFailures: t.MaxUserFailures, Window: t.Window, KnownFor: t.KnownFor, MaxKeys: t.MaxKeys,
		Store: store,
	}
}

// basicSource puts the stores behind the credential cache of HTTP Basic:
// scripts send their password with every request, and the stores (LDAP,
// SQL, bcrypt) should see it once per cache_ttl, across every instance
// when they share a Redis.
func (a *app) basicSource(tc ticket.Config) *cache.Cache {
	return cache.New(a.stores.Source, cache.Config{
		Context: "basic", TTL: a.cfg.Basic.CacheTTL, Hooks: a.metrics.cacheHooks("basic"),
		Shared: a.cacheShared(), MACKey: a.macKey(tc),
	})
}

// renewal asks the stores behind HTTP Basic's credential cache, a lookup
// per user and cache_ttl at most, who a ticket's user is before the ticket
// is refreshed (web.NewRenew); nil without stores. Guests' tickets, which
// no store holds, refresh as they are where the configuration lets guests
// in anywhere (the portal's button, a forward-auth rule, the gate).
func (a *app) renewal() (tkthttp.Renew, error) {
	if a.basic == nil {
		return nil, nil
	}
	guests := a.cfg.Guest.Enabled || a.cfg.Gate.Guest
	for _, r := range a.cfg.ForwardAuth.Rules {
		guests = guests || r.Guest
	}
	pattern := ""
	if guests {
		pattern = a.cfg.Guest.User
	}
	return web.NewRenew(web.RenewConfig{
		Source: a.basic, GuestUser: pattern, Timeout: a.cfg.StoreTimeout, Keep: []string{a.cfg.MFA.Token},
		Logger: a.log.With("component", "renew"),
	})
}

// openOps opens the listener of /metrics and /healthz at addr, the
// setting key's value; none when it is empty. It closes a on failure.
func (a *app) openOps(key, addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := listen(key, addr)
	if err != nil {
		a.close()
		return err
	}
	a.opsLn = ln
	return nil
}

// opsHandler serves /metrics and /healthz, and the portal's /readyz, on
// server.metrics_listen or gate.metrics_listen.
func (a *app) opsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /metrics", a.metrics.handler())
	if a.gate == nil {
		mux.Handle("GET /readyz", readyz(a.stores, a.sharedCheck(), a.log))
	}
	return mux
}

// close releases the stores.
func (a *app) close() {
	if a.opsLn != nil {
		a.opsLn.Close() // the server's own close got there first, or it never served
	}
	if a.shared != nil {
		a.shared.Close() // and its revocations' follower
	}
	if a.factorDB != nil {
		a.factorDB.Close()
	}
	if a.stores == nil {
		return
	}
	if err := a.stores.Close(); err != nil {
		a.log.Warn("closing the user stores", "err", err)
	}
}

// readyTimeout bounds a readiness probe: longer than a probe's usual 1 s
// would be pointless, but a slow store should say "slow", not hang.
const readyTimeout = 3 * time.Second
