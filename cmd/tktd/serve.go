package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tkt-sso/tkt/internal/config"
)

func newServeCmd(e *env) *cobra.Command {
	var configPath string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the login portal",
		Long: `Run the login portal until SIGTERM or SIGINT, which stop it gracefully: no
new connections, and requests in flight finish (server.shutdown_timeout).

Settings come from the YAML file of --config (or $TKT_CONFIG), then from
TKT_... environment variables (TKT_LISTEN, TKT_TICKET_DIGEST, ...), then from
the flags below. Without any, tktd listens on ` + config.DefaultListen + `, keeps a
generated secret (mode 0600) and a SQLite user store in ` + config.DefaultDataDir + `,
and users are added with "tktctl user add --data-dir DIR NAME".

SIGHUP, and a change to a watched file (checked every server.reload_interval),
reloads the secrets, htpasswd files, templates and TLS certificate without
dropping requests; whatever fails to load keeps its previous state.
"tktctl config check FILE" checks a configuration file.

Endpoints: /login, /logout and / (the portal); /auth, /auth/nginx and
/auth/envoy/ (forward auth for reverse proxies, see docs/proxies.md);
/healthz (the process is up), /readyz (the user stores answer), /metrics
(Prometheus). server.metrics_listen (TKT_SERVER_METRICS_LISTEN) moves
/metrics to an address of its own, where /healthz and /readyz answer too.`,
		Example: `  tktd serve
  tktd serve --listen 0.0.0.0:8443 --config /etc/tkt/tktd.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				configPath = e.getenv("TKT_CONFIG")
			}
			return serve(cmd.Context(), e, configPath, cmd.Flags())
		},
	}
	fl := c.Flags()
	fl.StringVar(&configPath, "config", "", "read settings from the YAML `FILE` (default $TKT_CONFIG)")
	fl.String("listen", config.DefaultListen, "listen on `ADDR` (host:port); overrides listen")
	fl.String("data-dir", config.DefaultDataDir, "keep the generated secret and the SQLite user store in `DIR`; overrides data_dir")
	return c
}

// serve runs tktd until a SIGTERM or SIGINT.
func serve(ctx context.Context, e *env, configPath string, fs *pflag.FlagSet) error {
	return runApp(ctx, e, configPath, fs, func(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics) (*app, string, error) {
		created, err := cfg.EnsureSecret()
		if err != nil {
			return nil, "", err // it names the file and what went wrong
		}
		if created {
			log.Info("generated a new secret", "file", cfg.SecretPath())
		}
		a, err := newApp(ctx, cfg, log, m)
		if err == nil {
			err = a.openOps("server.metrics_listen", cfg.Server.MetricsListen)
		}
		return a, cfg.Listen, err
	})
}

// runApp loads the configuration, has build make the app and say where it
// listens, and serves until a SIGTERM or SIGINT: the life of the portal
// and of the gate alike.
func runApp(ctx context.Context, e *env, configPath string, fs *pflag.FlagSet,
	build func(context.Context, config.Config, *slog.Logger, *metrics) (*app, string, error)) error {
	// Catch SIGHUP first: its default action would kill the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()

	cfg, err := config.LoadWithFlags(configPath, e.getenv, fs)
	unknownEnv, typos := config.CheckEnv(e.environList())
	if err := errors.Join(err, typos); err != nil {
		return &configError{err}
	}
	log := newLogger(cfg.Log, e.stderr)
	for _, name := range unknownEnv {
		log.Warn("ignored an environment variable that names no setting (docs/environment.md lists them)", "variable", name)
	}
	v, _ := versionInfo()
	a, addr, err := build(ctx, cfg, log, newMetrics(v))
	if err != nil {
		return err
	}
	defer a.close()
	key := "listen"
	if a.gate != nil {
		key = "gate.listen"
	}
	ln, err := listen(key, addr)
	if err != nil {
		return err
	}
	return a.serve(ctx, stop, hup, ln)
}

// serve answers on ln until ctx ends, reloading on hup and on file changes,
// then drains. stop ends the signal capture, so that a second SIGTERM or
// Ctrl-C during the drain stops the process at once.
func (a *app) serve(ctx context.Context, stop func(), hup <-chan os.Signal, ln net.Listener) error {
	s := a.cfg.Server
	// The read and write timeouts hold at the gate too: they bound every
	// request until the gate lets it through to the application, which
	// then lifts them (web.Gate), so that its downloads, uploads, event
	// streams and WebSockets last as long as it likes while a client
	// without a ticket cannot hold a connection.
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ConnState:         a.connLimit().track,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelInfo),
	}
	scheme := "http"
	if a.certs != nil {
		srv.TLSConfig = a.certs.tlsConfig()
		scheme = "https"
	}
	errc := make(chan error, 2)
	go func() {
		if a.certs != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	var ops *http.Server
	if a.opsLn != nil {
		ops = &http.Server{Handler: a.opsHandler(), ReadHeaderTimeout: s.ReadHeaderTimeout, IdleTimeout: s.IdleTimeout,
			ErrorLog: srv.ErrorLog}
		go func() { errc <- ops.Serve(a.opsLn) }()
		defer ops.Close()
		a.log.Info("metrics and health", "url", browseURL("http", a.opsLn.Addr(), "/metrics"))
	}
	if a.gate != nil {
		a.log.Info("tktd gate is serving", "url", browseURL(scheme, ln.Addr(), "/"), "upstream", a.cfg.Gate.Upstream,
			"version", versionString(), "digest", a.cfg.Ticket.Digest)
	} else {
		a.log.Info("tktd is serving", "url", browseURL(scheme, ln.Addr(), "/login"), "version", versionString(),
			"digest", a.cfg.Ticket.Digest, "stores", a.stores.Names())
		if a.opsLn == nil && !loopback(ln.Addr()) {
			a.log.Info("/metrics is served on the portal's listener, to whoever reaches it; server.metrics_listen moves it to an address of its own")
		}
	}
	if a.gate == nil && a.cfg.DefaultStore() {
		a.log.Info("add a user with: tktctl user add --data-dir " + a.cfg.DataDir + " NAME")
	}

	var tick <-chan time.Time
	if iv := s.ReloadInterval; iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("server stopped: %w", err)
		case <-hup:
			a.reload("SIGHUP")
		case <-tick:
			if a.watch.changed() {
				a.reload("files changed")
			}
		case <-ctx.Done():
			stop()
			return a.shutdown(srv)
		}
	}
}

// connLimit is the bound on open connections: server.max_connections, or
// gate.max_connections for the gate, or one derived from the open-file
// limit.
func (a *app) connLimit() *connLimit {
	n := a.cfg.Server.MaxConnections
	if a.gate != nil {
		n = a.cfg.Gate.MaxConnections
	}
	if n == 0 {
		n = defaultMaxConnections(openFileLimit(), a.gate != nil)
	}
	a.log.Debug("connection limit", "max_connections", n)
	return newConnLimit(n, a.metrics.connectionShed)
}

// shutdown stops accepting connections and waits for the requests in
// flight, at most server.shutdown_timeout.
func (a *app) shutdown(srv *http.Server) error {
	timeout := a.cfg.Server.ShutdownTimeout
	a.log.Info("shutting down: refusing new connections, draining requests in flight",
		"in_flight", a.metrics.active.Load(), "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		a.log.Error("shutdown timed out: closed the connections still open", "in_flight", a.metrics.active.Load())
		return errors.New("shutdown timed out with requests in flight")
	}
	a.log.Info("drained: every request finished; stopped")
	return nil
}

// loopback reports whether addr is a loopback address, reachable from this
// machine only.
func loopback(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	return err == nil && ap.Addr().IsLoopback()
}
