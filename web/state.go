package web

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

const (
	defaultBackArg      = "back"
	defaultTitle        = "Sign in"
	defaultDefaultURL   = "/"
	defaultStoreTimeout = 10 * time.Second
	// probeCookie is set on every login form; a POST without it comes from
	// a browser that refuses cookies, which would otherwise loop back to
	// the form forever.
	probeCookie = "tkt_probe"
	// loopCookie counts auto-logins in a short window: an application that
	// sends a signed-in user back to the portal (a missing token, with no
	// unauth URL configured) would otherwise bounce the browser between
	// the two until it gives up.
	loopCookie  = "tkt_autologin"
	loopWindow  = 30 * time.Second
	loopMax     = 3
	maxFormSize = 16 << 10
)

// state is everything a request needs, built once per New or Reload and
// never modified afterwards.
type state struct {
	cfg          Config
	verifier     *ticket.Verifier
	cookie       CookieConfig
	backArg      string
	urlTicketArg string
	title        string
	defaultURL   string
	redirects    *redirects
	portal       *url.URL // Config.PortalURL's scheme and host, nil without one
	guest        guestUser
	throttle     *throttler // nil when disabled
	passwords    *Passwords
	mfa          *mfaSettings // nil: no second factor
	clients      tkthttp.ClientAddrConfig
	assets       *assets
	log          *slog.Logger
	metrics      Metrics
	now          func() time.Time
	handler      http.Handler
}

// newState validates o and builds its state. prev, if any, lends its
// throttling counters when the throttle options did not change, so that a
// reload (SIGHUP) does not unlock every locked account.
func newState(o Config, prev *state) (*state, error) {
	s := &state{
		cfg:          o,
		cookie:       o.Cookie,
		backArg:      cmp.Or(o.BackArg, defaultBackArg),
		urlTicketArg: cmp.Or(o.URLTicketArg, ticket.DefaultCookieName),
		title:        cmp.Or(o.Title, defaultTitle),
		clients:      o.ClientAddrConfig,
		log:          o.Logger,
		metrics:      o.Metrics,
		now:          o.Now,
	}
	s.cookie.Name = cmp.Or(s.cookie.Name, ticket.DefaultCookieName)
	s.cookie.Path = cmp.Or(s.cookie.Path, "/")
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if s.now == nil {
		s.now = time.Now
	}

	var errs []error
	if o.Source == nil {
		errs = append(errs, errors.New("no user store (Source) configured"))
	}
	v, err := ticket.NewVerifier(o.Ticket)
	if err != nil {
		errs = append(errs, fmt.Errorf("ticket: %w", err))
	}
	s.verifier = v
	errs = append(errs, s.cookie.validate())
	if o.StoreTimeout < 0 {
		errs = append(errs, errors.New("store timeout must not be negative"))
	}
	if strings.ContainsFunc(o.HSTS, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		errs = append(errs, errors.New("HSTS value holds a control character"))
	}
	for name, v := range map[string]string{"back argument": s.backArg, "URL ticket argument": s.urlTicketArg} {
		if !tkthttp.ValidName(v) {
			errs = append(errs, fmt.Errorf("%s name %q: use letters, digits and -._~ only", name, v))
		}
	}
	allowed, err := tkthttp.ParseHostList(o.AllowedRedirects)
	if err != nil {
		errs = append(errs, fmt.Errorf("allowed redirects: %w", err))
	}
	own, err := tkthttp.ParseHostList(o.OwnHosts)
	if err != nil {
		errs = append(errs, fmt.Errorf("own hosts: %w", err))
	}
	for _, p := range o.OwnPorts {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			errs = append(errs, fmt.Errorf("own port %q is not a port number", p))
		}
	}
	urlTicket, err := tkthttp.ParseHostList(o.URLTicketHosts)
	if err != nil {
		errs = append(errs, fmt.Errorf("URL ticket hosts: %w", err))
	}
	plainHTTP, err := tkthttp.ParseHostList(o.URLTicketHTTPHosts)
	if err != nil {
		errs = append(errs, fmt.Errorf("URL ticket HTTP hosts: %w", err))
	}
	s.redirects = &redirects{allowed: allowed, own: own, ownPorts: o.OwnPorts, urlTicket: urlTicket, plainHTTP: plainHTTP, arg: s.urlTicketArg}
	if s.portal, err = portalOrigin(o.PortalURL); err != nil {
		errs = append(errs, err)
	}
	s.defaultURL = cmp.Or(o.DefaultURL, defaultDefaultURL)
	if t, ok := s.redirects.check(s.defaultURL, ""); !ok {
		errs = append(errs, fmt.Errorf("default URL %q is neither a path starting with a single '/' nor on the redirect allow-list", s.defaultURL))
	} else {
		s.defaultURL = t.url
	}
	if s.guest, err = newGuestUser(o.Guest); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, s.clients.Check())
	if err := o.Throttle.validate(); err != nil {
		errs = append(errs, err)
	} else if !o.Throttle.Disabled {
		to := o.Throttle.withDefaults()
		if prev != nil && prev.throttle != nil && prev.throttle.cfg == to {
			s.throttle = prev.throttle
		} else {
			s.throttle = newThrottler(to)
		}
	}
	s.passwords = &Passwords{source: o.Source, throttle: s.throttle, timeout: cmp.Or(o.StoreTimeout, defaultStoreTimeout), metrics: s.metrics}
	if s.mfa, err = newMFASettings(o.MFA, o.Ticket.Secret); err != nil {
		errs = append(errs, err)
	}
	if s.assets, err = loadAssets(o.TemplateDir); err != nil {
		errs = append(errs, fmt.Errorf("templates: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

func (c CookieConfig) validate() error {
	var errs []error
	if !tkthttp.ValidName(c.Name) {
		errs = append(errs, fmt.Errorf("cookie name %q: use letters, digits and -._~ only", c.Name))
	}
	if c.Domain != "" && !tkthttp.ValidCookieDomain(c.Domain) {
		errs = append(errs, fmt.Errorf("cookie domain %q is not a domain name", c.Domain))
	}
	if !tkthttp.ValidCookiePath(c.Path) {
		errs = append(errs, fmt.Errorf("cookie path %q must start with / and hold no ';', ',', blanks or control characters", c.Path))
	}
	if c.Expires < 0 {
		errs = append(errs, errors.New("cookie expiry must not be negative"))
	}
	if c.Name == probeCookie || c.Name == loopCookie {
		errs = append(errs, fmt.Errorf("cookie name %q is used by the portal itself", c.Name))
	}
	return errors.Join(errs...)
}

// contentSecurityPolicy is every page's; the pages that show a QR code
// add data: images (allowInlineImages).
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"

// routes builds the handler: every POST passes the cross-origin check, and
// every response carries the security headers.
func (s *state) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("GET /logout", s.logout)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /login/code", s.codeSubmit)
	mux.HandleFunc("POST /login/passkey", s.passkeySubmit)
	mux.HandleFunc("GET /account/security", s.security)
	mux.HandleFunc("POST /account/security", s.securitySubmit)
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /static/{name}", s.static)
	mux.HandleFunc("/login", s.methodNotAllowed("GET, HEAD, POST"))
	mux.HandleFunc("/logout", s.methodNotAllowed("GET, HEAD, POST"))
	mux.HandleFunc("/login/code", s.methodNotAllowed("POST"))
	mux.HandleFunc("/login/passkey", s.methodNotAllowed("POST"))
	mux.HandleFunc(securityPath, s.methodNotAllowed("GET, HEAD, POST"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, reasonNotFound)
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	return s.securityHeaders(cop.Handler(mux))
}

func (s *state) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.fail(w, r, http.StatusMethodNotAllowed, reasonMethod)
	}
}

// crossOrigin answers a POST that http.CrossOriginProtection refused.
func (s *state) crossOrigin(w http.ResponseWriter, r *http.Request) {
	ci := s.clients.Origin(r)
	if strings.HasPrefix(r.URL.Path, "/login") {
		s.metrics.Login(resultCSRF)
	}
	s.log.WarnContext(r.Context(), "cross-origin request refused",
		"path", r.URL.Path, "client_ip", ci.Addr.String(),
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	s.fail(w, r, http.StatusForbidden, reasonCSRF)
}

// securityHeaders sets what every response needs: no inline script or
// style can run (the pages have none), no framing (clickjacking of the
// form), no Referer (a URL may carry a ticket), and no caching of pages
// that show who is signed in. Static files override Cache-Control.
//
// The CSP has no form-action: Chromium applies it to the redirect that
// follows the form submission, which must reach allow-listed hosts; the
// redirect itself is checked server-side.
//
// Pages a client reached over HTTPS also carry the configured
// Strict-Transport-Security, so that the browser never again asks for the
// portal, where passwords and tickets travel, over plain HTTP.
func (s *state) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if s.cfg.HSTS != "" && s.clients.Origin(r).HTTPS {
			h.Set("Strict-Transport-Security", s.cfg.HSTS)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Login results, the fixed label set of Metrics.Login.
const (
	resultOK          = "ok"
	resultInvalid     = "invalid"
	resultUnavailable = "unavailable"
	resultThrottled   = "throttled"
	resultCSRF        = "csrf"
	resultBadRequest  = "bad_request"
)

type noMetrics struct{}

func (noMetrics) Login(string)               {}
func (noMetrics) TicketIssued()              {}
func (noMetrics) Throttled()                 {}
func (noMetrics) StoreLatency(time.Duration) {}
