package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
	"github.com/tkt-sso/tkt/web"
)

// gateHealthPath is the gate's own liveness probe. Every other path
// belongs to the application, so it lives under a prefix no application
// is likely to use.
const gateHealthPath = "/.tkt/healthz"

func newGateCmd(e *env) *cobra.Command {
	var configPath string
	c := &cobra.Command{
		Use:   "gate",
		Short: "Protect an application: a reverse proxy that checks tickets",
		Long: `Run a reverse proxy in front of one application. Requests with a valid ticket
go through with the identity in Remote-User, Remote-Groups and Remote-Data
(gate.headers renames them); client-sent headers of those names never reach
the application, nor does the ticket cookie (gate.pass_ticket_cookie). A
browser without a valid ticket is sent to the login page with the original
URL; an API client (Accept: application/json, X-Requested-With) gets 401.
Tickets due for refresh are re-issued; WebSockets and streamed responses pass
through. With --basic (gate.basic), scripts may send a user name and password
(HTTP Basic) instead, checked against the configured stores behind the
credential cache and the login throttle, and a ticket due for refresh is
re-issued with its user's groups as the stores give them now, or not at all
for a user they no longer hold; "Authorization: Bearer <ticket>" is always
taken. Credentials the gate took never reach the application.

The gate reads the same configuration as "tktd serve" (the ticket, cookie,
trusted_proxies, back_arg, url_ticket_hosts and guest settings, and the gate
section), so it must know the portal's secret: --secret-file, or the
secret in --data-dir. It never generates one. GET ` + gateHealthPath + ` answers
"ok" for liveness probes; gate.metrics_listen (TKT_GATE_METRICS_LISTEN) serves
/metrics and /healthz on an address of their own. SIGHUP reloads the secrets and the certificate.`,
		Example: `  tktd gate --upstream http://127.0.0.1:9000 --secret-file /etc/tkt/secret \
    --login-url https://login.example.com/login --listen 0.0.0.0:8081
  tktd gate --config /etc/tkt/tktd.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				configPath = e.getenv("TKT_CONFIG")
			}
			return runGate(cmd.Context(), e, configPath, cmd.Flags())
		},
	}
	fl := c.Flags()
	fl.StringVar(&configPath, "config", "", "read settings from the YAML `FILE` (default $TKT_CONFIG)")
	keyed := func(name, key, usage string) {
		fl.String(name, "", usage)
		fl.SetAnnotation(name, config.FlagKey, []string{key})
	}
	keyed("listen", "gate.listen", "listen on `ADDR` (default "+config.DefaultGateListen+"); overrides gate.listen")
	keyed("upstream", "gate.upstream", "the application's `URL`, e.g. http://127.0.0.1:9000; overrides gate.upstream")
	keyed("login-url", "gate.login_url", "the portal's login page `URL`; overrides gate.login_url")
	keyed("secret-file", "ticket.secret_file", "the portal's secret `FILE`; overrides ticket.secret_file")
	keyed("digest", "ticket.digest", "the tickets' `DIGEST`: md5, sha256, sha512 or hmac-sha256; overrides ticket.digest")
	fl.StringSlice("tokens", nil, "require one of these `TOKENS` (comma-separated); overrides ticket.tokens")
	fl.SetAnnotation("tokens", config.FlagKey, []string{"ticket.tokens"})
	fl.Bool("basic", false, "take HTTP Basic credentials too, checked against the configured stores; overrides gate.basic")
	fl.SetAnnotation("basic", config.FlagKey, []string{"gate.basic"})
	fl.String("data-dir", config.DefaultDataDir, "read the secret (and with --basic the default user store) from `DIR`; overrides data_dir")
	return c
}

// runGate runs the gate until SIGTERM or SIGINT.
func runGate(ctx context.Context, e *env, configPath string, fs *pflag.FlagSet) error {
	return runApp(ctx, e, configPath, fs, func(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics) (*app, string, error) {
		if cfg.Gate.Upstream == "" {
			return nil, "", &configError{&config.FieldError{Key: "gate.upstream", Err: errors.New("missing: the application to protect (--upstream URL)")}}
		}
		if _, err := os.Stat(cfg.SecretPath()); errors.Is(err, os.ErrNotExist) {
			return nil, "", &configError{&config.FieldError{Key: "ticket.secret_file",
				Err: fmt.Errorf("%s does not exist: the gate needs the portal's secret (--secret-file FILE)", cfg.SecretPath())}}
		}
		a, err := newGateApp(ctx, cfg, log, m)
		if err == nil {
			err = a.openOps("gate.metrics_listen", cfg.Gate.MetricsListen)
		}
		return a, cfg.Gate.Listen, err
	})
}

// newGateApp reads the secrets and builds the gate; with gate.basic, it
// opens the user stores too.
func newGateApp(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics) (*app, error) {
	a := &app{cfg: cfg, log: log, metrics: m}
	tc, err := cfg.TicketConfig(log)
	if err != nil {
		return nil, &configError{err}
	}
	if cfg.TLS.Enabled() {
		if a.certs, err = newCertReloader(cfg.TLS.CertFile, cfg.TLS.KeyFile); err != nil {
			return nil, err
		}
	}
	// Redis first: the credential caches and the throttle keep their
	// state there.
	if err := a.openShared(ctx); err != nil {
		return nil, err
	}
	if cfg.Gate.Basic {
		a.stores, err = config.BuildSource(ctx, cfg, a.buildConfig(tc))
		if err == nil {
			a.basic = a.basicSource(tc)
			a.passwords, err = web.NewPasswords(web.PasswordConfig{
				Source: a.basic, StoreTimeout: cfg.StoreTimeout, Metrics: m, Throttle: throttleConfig(cfg.Throttle, a.throttleStore()),
			})
		}
		if err == nil {
			a.renew, err = a.renewal()
		}
		if err != nil {
			a.close()
			return nil, err
		}
	}
	opts, err := a.gateConfig(tc)
	if err == nil {
		a.gate, err = web.NewGate(opts)
	}
	if err != nil {
		a.close()
		return nil, err
	}
	a.ticket = tc
	a.watch = newWatcher(cfg.Files(), "")
	return a, nil
}

// gateConfig maps tktd's configuration onto the gate's.
func (a *app) gateConfig(tc ticket.Config) (web.GateConfig, error) {
	c := a.cfg
	proxies, err := c.TrustedProxyPrefixes()
	if err != nil {
		return web.GateConfig{}, err
	}
	up, err := url.Parse(c.Gate.Upstream)
	if err != nil {
		return web.GateConfig{}, err
	}
	var basic *web.BasicConfig
	if a.passwords != nil {
		basic = &web.BasicConfig{Passwords: a.passwords, Realm: c.Basic.Realm, IssueTicket: c.Basic.IssueTicket, Sessions: a.sessionStore()}
	}
	l := c.Gate.Location
	tc = web.LocationTicket(tc, l.Timeout, l.Refresh, l.IgnoreIP)
	return web.GateConfig{
		Basic: basic,
		Middleware: tkthttp.Config{
			Ticket:           tc,
			CookieName:       c.Cookie.Name,
			CookieDomain:     c.Cookie.Domain,
			CookiePath:       c.Cookie.Path,
			CookieExpires:    c.Cookie.Expires,
			SecureCookie:     c.Cookie.Secure,
			LoginURL:         c.Gate.LoginURL,
			UnauthURL:        c.Gate.UnauthURL,
			MaxAuthAge:       c.Gate.MaxAuthAge,
			BackArg:          c.BackArg,
			GuestLogin:       c.Gate.Guest,
			GuestFallback:    l.GuestFallback,
			GuestCookie:      l.GuestCookie,
			RequireTLS:       l.RequireTLS,
			TimeoutURL:       l.TimeoutURL,
			PostTimeoutURL:   l.PostTimeoutURL,
			Users:            c.Gate.Users,
			AllTokens:        c.Gate.AllTokens,
			GuestUser:        c.Guest.User,
			URLTicketHosts:   c.URLTicketHosts,
			BearerTickets:    c.BearerTickets,
			Renew:            a.renew,
			Revocation:       a.revocation(),
			Sessions:         a.sessionCheck(),
			ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: proxies},
			Logger:           a.log.With("component", "gate"),
		},
		Upstream:         up,
		Headers:          c.Gate.Headers.Identity(),
		PassTicketCookie: c.Gate.PassTicketCookie,
		Logger:           a.log.With("component", "gate"),
	}, nil
}

// reloadGate reloads the user stores (with gate.basic) and rebuilds the
// gate with the ticket settings tc.
func (a *app) reloadGate(tc ticket.Config) error {
	serr := a.reloadStores(tc)
	opts, err := a.gateConfig(tc)
	if err == nil {
		err = a.gate.Reload(opts)
	}
	return errors.Join(serr, err)
}
