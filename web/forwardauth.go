package web

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// ForwardAuthConfig configure the forward-auth endpoint that nginx
// (auth_request), Traefik (forwardAuth), Caddy (forward_auth), HAProxy and
// Envoy (ext_authz over HTTP) ask before they pass a request on.
type ForwardAuthConfig struct {
	// Ticket is how tickets are read and refreshed. Its Tokens are the
	// requirement of requests that match no rule.
	Ticket ticket.Config
	// Cookie is the ticket cookie, as the portal sets it; refreshed
	// tickets ride back in a Set-Cookie on the answer.
	Cookie CookieConfig
	// LoginURL is where a browser without a valid ticket is sent when the
	// proxy hands our answer to the browser (Traefik, Caddy, Envoy): an
	// absolute URL of the portal, or a path on the application's own host;
	// default "/login".
	LoginURL string
	// UnauthURL is where a browser whose ticket lacks a required token is
	// sent; "" answers 403.
	UnauthURL string
	// BackArg names the login URL's destination parameter; default "back".
	BackArg string
	// Headers name the answer's identity headers; the zero value means
	// Remote-User, Remote-Groups and Remote-Data.
	Headers tkthttp.IdentityHeaders
	// Rules pick the requirement of a request by host and path; the first
	// that matches wins.
	Rules []ForwardAuthRule
	// Basic, when set, lets rules that say so take HTTP Basic credentials.
	Basic *BasicConfig
	// BearerTickets accepts a ticket in "Authorization: Bearer <ticket>"
	// like the cookie, for scripts and API clients (see
	// tkthttp.Config.BearerTickets). tktd turns it on unless its
	// applications' clients send bearer tokens of their own.
	BearerTickets bool
	// GuestUser is the name pattern of guests on rules that allow them
	// (%U and %<n>U as in mod_auth_tkt); default "guest".
	GuestUser string
	// Renew, when set, renews a ticket due for refresh from the user
	// stores before it is re-issued, under every rule (NewRenew builds
	// one); nil re-issues tickets as they are.
	Renew tkthttp.Renew
	// Revocation, when set, refuses tickets taken back before their
	// timeout, under every rule (tkthttp.Config.Revocation).
	Revocation tkthttp.Revocation
	// Sessions, when set, refuses tickets whose session has ended and
	// extends a session when its ticket is refreshed, under every rule
	// (tkthttp.Config.Sessions). HTTP Basic records sessions of its own
	// through Basic.Sessions.
	Sessions tkthttp.Sessions
	// URLTicketHosts accept a ticket in the URL (?auth_tkt=...), the
	// cross-domain hand-over, when the proxy passes redirects on.
	URLTicketHosts []string
	// ClientAddrConfig names the proxies allowed to ask, and the header
	// they name the client in. Only their X-Original-URL, X-Forwarded-*
	// and Forwarded headers are believed; a request from anywhere else is
	// refused, since its idea of the original URL and client address could
	// be anything. No trusted proxy refuses every request, with a log line
	// that says so.
	tkthttp.ClientAddrConfig
	// Path is where the endpoint is mounted; default "/auth". Requests
	// under it (Path + "/app/x") ask about that path, as Envoy's ext_authz
	// path_prefix sends them.
	Path string
	// Logger gets a line for every refused ticket and misconfigured
	// proxy; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ForwardAuthRule is the requirement of the requests it matches.
type ForwardAuthRule struct {
	// Hosts are exact hosts ("app.example.com", "app.example.com:8443")
	// or domains (".example.com", the domain and its subdomains); empty
	// matches every host.
	Hosts []string
	// Paths are path prefixes on a segment boundary: "/admin" matches
	// /admin, /admin/ and /admin/x, not /administrator. Empty matches
	// every path.
	Paths []string
	// Tokens are required, any one of them admits; empty requires none.
	Tokens []string
	// Guest lets requests without a valid ticket through as a guest.
	Guest bool
	// Bypass lets every request through unchecked (health checks, public
	// assets), with no identity headers.
	Bypass bool
	// Basic takes HTTP Basic credentials (ForwardAuthConfig.Basic) as
	// well as tickets.
	Basic bool
	// MaxAuthAge, when set, demands a login no older than that: an older
	// one is sent back to the login page to confirm who it is
	// (tkthttp.Config.MaxAuthAge). HTTP Basic credentials are a proof
	// of the moment and always pass.
	MaxAuthAge time.Duration

	// Methods, when set, match only requests with one of these methods
	// (Apache's <Limit GET POST>); empty matches every method.
	Methods []string
	// Networks, when set, match only clients inside one of them (the
	// client's address behind trusted proxies; Apache's "Require ip"):
	// with Bypass, those clients need no ticket; with Deny, they are
	// kept out.
	Networks []netip.Prefix
	// Deny refuses every request the rule matches with 403, ticket or
	// not (Apache's "Require all denied").
	Deny bool
	// Users admits only these users, AllTokens only tickets with every
	// one of them, on top of Tokens (see tkthttp.Requirement).
	Users, AllTokens []string

	// mod_auth_tkt's per-location settings; nil or "" takes the
	// endpoint's. Timeout and Refresh replace Ticket's
	// (TKTAuthTimeout, TKTAuthTimeoutRefresh): a service account's
	// long-lived ticket is accepted only under a rule with a long
	// Timeout.
	Timeout                               *time.Duration
	Refresh                               *float64
	TimeoutURL, PostTimeoutURL, UnauthURL string
	// GuestFallback makes a guest of an expired ticket, GuestCookie
	// gives guests a ticket (both need Guest); RequireTLS refuses plain
	// HTTP (see tkthttp.Config); IgnoreIP takes tickets from any address
	// (ticket.Config.IgnoreIP, TKTAuthIgnoreIP).
	GuestFallback, GuestCookie, RequireTLS, IgnoreIP bool
}

// ForwardAuth is the forward-auth endpoint's http.Handler. Its state is
// swapped atomically by Reload, like the portal's.
type ForwardAuth struct {
	state atomic.Pointer[forwardState]
}

// NewForwardAuth validates o, reporting every problem at once.
func NewForwardAuth(o ForwardAuthConfig) (*ForwardAuth, error) {
	st, err := newForwardState(o)
	if err != nil {
		return nil, err
	}
	f := &ForwardAuth{}
	f.state.Store(st)
	return f, nil
}

// Reload validates o and swaps it in; on error the previous state stays.
func (f *ForwardAuth) Reload(o ForwardAuthConfig) error {
	st, err := newForwardState(o)
	if err != nil {
		return err
	}
	f.state.Store(st)
	return nil
}

// forwardState is one immutable configuration of the endpoint.
type forwardState struct {
	rules    []forwardRule
	fallback forwardRule // requests that match no rule
	headers  tkthttp.IdentityHeaders
	clients  tkthttp.ClientAddrConfig
	log      *slog.Logger
	path     string
	basic    *basicAuth // nil without ForwardAuthConfig.Basic
	// methodRules and networkRules: some rule matches by method, or by
	// client network, so the proxy must say which (original).
	methodRules, networkRules bool
}

// forwardRule is a rule with its two middlewares: one answering 401 and
// 403 (with the login page in Location) for proxies that do the redirect
// themselves (nginx), one redirecting browsers for proxies that pass our
// answer on (Traefik, Caddy).
type forwardRule struct {
	hosts            tkthttp.HostList
	anyHost          bool
	paths            []string
	methods          []string
	networks         []netip.Prefix
	bypass, basic    bool
	deny             bool
	requireTLS       bool // Basic credentials only over https, as tickets
	require          tkthttp.Requirement
	status, redirect *tkthttp.Middleware
}

func newForwardState(o ForwardAuthConfig) (*forwardState, error) {
	st := &forwardState{
		headers: o.Headers,
		clients: o.ClientAddrConfig,
		log:     o.Logger,
		path:    cmp.Or(o.Path, "/auth"),
	}
	if st.log == nil {
		st.log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	var err error
	if st.basic, err = newBasicAuth(o.Basic, o.Ticket, o.Cookie, o.Logger, o.Now); err != nil {
		errs = append(errs, err)
	}
	if st.fallback, err = newForwardRule(o, ForwardAuthRule{Tokens: o.Ticket.Tokens}); err != nil {
		errs = append(errs, err)
	}
	for i, r := range o.Rules {
		fr, err := newForwardRule(o, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("forward auth rule %d: %w", i+1, err))
		}
		st.rules = append(st.rules, fr)
		st.methodRules = st.methodRules || len(r.Methods) > 0
		st.networkRules = st.networkRules || len(r.Networks) > 0
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return st, nil
}

func newForwardRule(o ForwardAuthConfig, r ForwardAuthRule) (forwardRule, error) {
	var errs []error
	hosts, err := tkthttp.ParseHostList(r.Hosts)
	if err != nil {
		errs = append(errs, fmt.Errorf("hosts: %w", err))
	} else if hosts.HasPort() {
		// Proxies route by name (nginx's $host has no port at all), so
		// a port would make the rule miss requests that name none.
		errs = append(errs, errors.New("hosts: rules match host names, without a port"))
	}
	fr := forwardRule{hosts: hosts, anyHost: len(r.Hosts) == 0, bypass: r.Bypass, basic: r.Basic, deny: r.Deny, requireTLS: r.RequireTLS,
		methods: r.Methods, networks: r.Networks,
		require: tkthttp.Requirement{Tokens: r.Tokens, AllTokens: r.AllTokens, Users: r.Users}}
	for _, m := range r.Methods {
		if !httpToken(m) || strings.ToUpper(m) != m {
			errs = append(errs, fmt.Errorf("method %q: write an HTTP method in capitals, such as GET", m))
		}
	}
	for _, n := range r.Networks {
		if !n.IsValid() {
			errs = append(errs, errors.New("networks: an invalid prefix"))
		}
	}
	for _, p := range r.Paths {
		np, ok := rulePath(p)
		if p == "" || p[0] != '/' || !ok {
			errs = append(errs, fmt.Errorf("path %q must start with / and hold no . or .. segments, backslashes or control characters", p))
			continue
		}
		// "/secret/" covers /secret too, which applications serve alike.
		if len(np) > 1 {
			np = strings.TrimSuffix(np, "/")
		}
		fr.paths = append(fr.paths, np)
	}
	if (r.Bypass || r.Deny) && (!fr.require.Empty() || r.Guest || r.Basic || r.checksTickets()) {
		errs = append(errs, errors.New("a bypass or deny rule checks no ticket: tokens, users, guest, basic and the ticket settings make no sense on it"))
	}
	if r.Bypass && r.Deny {
		errs = append(errs, errors.New("a rule cannot both bypass and deny"))
	}
	if r.Bypass && r.MaxAuthAge != 0 {
		errs = append(errs, errors.New("a bypass rule checks nothing: max auth age makes no sense on it"))
	}
	if r.Basic && o.Basic == nil {
		errs = append(errs, errors.New("basic: HTTP Basic is not configured"))
	}
	tc := LocationTicket(o.Ticket, r.Timeout, r.Refresh, r.IgnoreIP)
	tc.Tokens = r.Tokens
	challenge := ""
	if r.Basic && o.Basic != nil {
		challenge = basicChallenge(o.Basic.Realm)
	}
	mc := tkthttp.Config{
		Ticket:           tc,
		CookieName:       o.Cookie.Name,
		CookieDomain:     o.Cookie.Domain,
		CookiePath:       o.Cookie.Path,
		CookieExpires:    o.Cookie.Expires,
		SecureCookie:     o.Cookie.Secure,
		BackArg:          o.BackArg,
		GuestLogin:       r.Guest,
		GuestUser:        o.GuestUser,
		GuestFallback:    r.GuestFallback,
		GuestCookie:      r.GuestCookie,
		RequireTLS:       r.RequireTLS,
		Users:            r.Users,
		AllTokens:        r.AllTokens,
		TimeoutURL:       r.TimeoutURL,
		PostTimeoutURL:   r.PostTimeoutURL,
		Renew:            o.Renew,
		Revocation:       o.Revocation,
		Sessions:         o.Sessions,
		BearerTickets:    o.BearerTickets,
		Challenge:        challenge,
		ClientAddrConfig: o.ClientAddrConfig,
		Logger:           o.Logger,
		Now:              o.Now,
		LoginURL:         cmp.Or(o.LoginURL, "/login"),
		UnauthURL:        cmp.Or(r.UnauthURL, o.UnauthURL),
		URLTicketHosts:   o.URLTicketHosts,
		MaxAuthAge:       r.MaxAuthAge,
		// nginx turns any answer but 2xx, 401 and 403 into a 500, so the
		// status flavour names the login page (or the URL without its
		// URL ticket) in a 401's Location for nginx to redirect to.
		StatusWithLocation: true,
	}
	if fr.status, err = tkthttp.New(mc); err != nil {
		return fr, errors.Join(append(errs, err)...)
	}
	mc.StatusWithLocation = false
	mc.RedirectStatus = http.StatusFound
	fr.redirect, err = tkthttp.New(mc)
	errs = append(errs, err)
	return fr, errors.Join(errs...)
}

// checksTickets reports whether r sets any of the per-location ticket
// settings.
func (r ForwardAuthRule) checksTickets() bool {
	return r.Timeout != nil || r.Refresh != nil || r.TimeoutURL != "" || r.PostTimeoutURL != "" || r.UnauthURL != "" ||
		r.GuestFallback || r.GuestCookie || r.RequireTLS || r.IgnoreIP
}

// LocationTicket is base, the site's ticket settings, as a location (a
// forward-auth rule, the gate) with mod_auth_tkt's per-location timeout,
// refresh and ignore_ip has them; nil and false keep base's. A location
// whose timeout is longer than base's never refreshes: it takes tickets
// older than the rest of the site does, and one it re-issued would carry
// the time of now, fresh everywhere else (a stolen 20-day-old ticket
// laundered by a 30-day service-account rule).
func LocationTicket(base ticket.Config, timeout *time.Duration, refresh *float64, ignoreIP bool) ticket.Config {
	tc := base
	if timeout != nil {
		tc.Timeout = *timeout
	}
	if refresh != nil {
		tc.Refresh = *refresh
	}
	if base.Timeout > 0 && (tc.Timeout == 0 || tc.Timeout > base.Timeout) {
		tc.Refresh = 0
	}
	tc.IgnoreIP = tc.IgnoreIP || ignoreIP
	return tc
}

// match picks the rule for a request to host (lowercase, without its
// port: rules match names), path and method from client.
func (st *forwardState) match(host, path, method string, client netip.Addr) *forwardRule {
	for i := range st.rules {
		r := &st.rules[i]
		if (r.anyHost || r.hosts.Allows(host, "")) && pathMatches(r.paths, path) &&
			(len(r.methods) == 0 || slices.Contains(r.methods, method)) && inNetworks(r.networks, client) {
			return r
		}
	}
	return &st.fallback
}

// inNetworks reports whether client lies in one of the prefixes; no
// prefixes take every client.
func inNetworks(prefixes []netip.Prefix, client netip.Addr) bool {
	if len(prefixes) == 0 {
		return true
	}
	client = client.Unmap()
	for _, p := range prefixes {
		if p.Contains(client) {
			return true
		}
	}
	return false
}

// ServeHTTP answers one question of a proxy: may the request it describes
// through? 200 with the identity headers when it may; otherwise 401, 403 or
// a redirect to the login page, as the proxy's style asks.
func (f *ForwardAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := f.state.Load()
	o := st.clients.Origin(r)
	if !o.Proxied {
		// Most often a proxy just set up: say which setting lets it ask.
		peer := peerHost(r.RemoteAddr)
		st.log.LogAttrs(r.Context(), slog.LevelWarn, "forward auth refused: the asking peer is not a trusted proxy; "+
			"if it is your proxy, add its address ("+peer+") to trusted_proxies in tktd's configuration",
			slog.String("peer", r.RemoteAddr))
		forwardError(w, http.StatusForbidden, "forward auth is for trusted proxies only: add this proxy's address ("+peer+
			") to trusted_proxies in tktd's configuration")
		return
	}
	orig, style, err := st.original(r, &o)
	if err != nil {
		st.log.LogAttrs(r.Context(), slog.LevelWarn, "forward auth: the proxy did not say which request it asks about",
			slog.String("peer", r.RemoteAddr), slog.String("reason", err.Error()))
		forwardError(w, http.StatusBadRequest, err.Error())
		return
	}
	host, _, err := tkthttp.SplitAuthority(o.Host)
	if err != nil {
		forwardError(w, http.StatusBadRequest, "bad original host")
		return
	}
	path, ok := rulePath(orig.URL.Path)
	if !ok {
		st.log.LogAttrs(r.Context(), slog.LevelWarn, "forward auth refused: a path that applications may read differently",
			slog.String("client", o.Addr.String()))
		forwardError(w, http.StatusBadRequest, "the path holds . or .. segments, backslashes, control characters or escapes that applications read differently")
		return
	}
	rule := st.match(lower(host), path, orig.Method, o.Addr)
	if rule.deny {
		st.log.LogAttrs(r.Context(), slog.LevelDebug, "forward auth refused: a deny rule",
			slog.String("client", o.Addr.String()))
		forwardError(w, http.StatusForbidden, "denied by a rule")
		return
	}
	if rule.bypass {
		// Empty identity headers, which say "nobody": a proxy that copies
		// them replaces whatever the client sent, and Caddy before 2.10
		// would otherwise write its unfilled placeholder as the user name.
		st.headers.Set(w.Header(), tkthttp.Identity{})
		w.WriteHeader(http.StatusOK)
		return
	}
	var id tkthttp.Identity
	// Under require_tls, a password over plain http is not taken: the
	// ticket's middleware sends browsers to https and refuses the rest.
	if rule.basic && hasBasic(orig) && (o.HTTPS || !rule.requireTLS) {
		id, ok = st.basic.authenticate(w, orig, o, rule.require, style == styleStatus)
	} else if style == styleRedirect {
		id, ok = rule.redirect.AuthenticateFrom(w, orig, o)
	} else {
		id, ok = rule.status.AuthenticateFrom(w, orig, o)
	}
	if !ok {
		return
	}
	if err := st.headers.Check(id); err != nil {
		st.log.LogAttrs(r.Context(), slog.LevelWarn, "forward auth refused: identity unfit for a header",
			slog.String("reason", err.Error()))
		forwardError(w, http.StatusForbidden, "identity cannot be passed in a header")
		return
	}
	st.headers.Set(w.Header(), id)
	w.WriteHeader(http.StatusOK)
}

// forwardError answers a request the endpoint cannot judge.
func forwardError(w http.ResponseWriter, status int, reason string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s: %s\n", http.StatusText(status), reason)
}

// peerHost is the address part of a RemoteAddr, as trusted_proxies takes
// it; RemoteAddr itself when it has no port.
func peerHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// lower is strings.ToLower without the allocation when s is lowercase
// already, as host names nearly always are.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
