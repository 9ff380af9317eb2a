package tkthttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// Config says how a Middleware checks tickets: mod_auth_tkt's
// per-location settings for an http.Handler. Its zero value (plus
// Ticket.Secret) protects a handler with MD5 tickets bound to the client
// address and answers 401 to a request without a valid ticket.
//
// Each field says what it does and then names the TKTAuth* directive it
// stands for, for sites that migrate from Apache. Where the module is
// insecure or buggy the middleware differs on purpose (docs/ticket-format.md
// lists every difference); the field says how, and differential_test.go
// asserts each difference against the real module.
type Config struct {
	// Ticket is how tickets are read and re-issued: the digest, secrets,
	// timeout, refresh fraction, IP binding and the required tokens (any
	// one of which admits).
	Ticket ticket.Config

	// CookieName names the ticket cookie, and the URL ticket parameter;
	// "" means ticket.DefaultCookieName, auth_tkt (TKTAuthCookieName).
	CookieName string
	// CookieDomain is the Domain of the cookies the middleware sets, so
	// that every host under it shares the ticket; "" sets host-only
	// cookies (TKTAuthDomain; the module then writes the Host header, or
	// any client's X-Forwarded-Host, as the domain).
	CookieDomain string
	// CookiePath is the ticket cookie's path; "" means "/", the module's
	// only choice.
	CookiePath string
	// CookieExpires makes ticket cookies persistent for that long; 0 sets
	// session cookies (TKTAuthCookieExpires).
	CookieExpires time.Duration
	// SecureCookie marks ticket cookies Secure even on plain-HTTP
	// requests, for a site whose TLS ends at a proxy (TKTAuthCookieSecure).
	// Cookies on requests that came over TLS are Secure anyway; the module
	// forgets the flag when it refreshes a ticket, we never do. Every
	// cookie is HttpOnly.
	SecureCookie bool
	// SameSite is the ticket and back cookies' SameSite attribute; 0 means
	// Lax. SameSite=None needs SecureCookie. (The module sets none.)
	SameSite http.SameSite

	// LoginURL is where a browser without a valid ticket is sent: an
	// absolute http(s) URL or a path. "" answers 401 instead
	// (TKTAuthLoginURL; without it the module does nothing at all unless
	// guests are allowed).
	LoginURL string
	// TimeoutURL is where an expired ticket sends the browser, and
	// PostTimeoutURL where it sends a POST; "" falls back to LoginURL
	// (TKTAuthTimeoutURL, TKTAuthPostTimeoutURL).
	TimeoutURL, PostTimeoutURL string
	// RedirectStatus is the status of those redirects: 307 (0 means it,
	// as in the module: a POST stays a POST, so a login page that takes it
	// back can replay it), 302 or 303. A forward-auth endpoint whose proxy
	// hands the redirect to the browser wants 302, the answer Traefik and
	// Caddy users expect, which browsers follow with a GET.
	RedirectStatus int
	// StatusWithLocation answers 401 or 403 where a browser would be
	// redirected, with the redirect's target in the Location header: the
	// login, timeout or unauth URL, and (always a 401) a URL ticket's
	// clean URL with its cookie, or RequireTLS's https URL. It is for a
	// proxy that understands only those statuses and redirects by itself
	// (nginx's auth_request with error_page 401 and
	// $upstream_http_location, passing $upstream_http_set_cookie on).
	StatusWithLocation bool
	// BearerTickets accepts a ticket in "Authorization: Bearer <value>"
	// too, for API clients and scripts (a ticket from tktctl mint or the
	// portal). A bearer ticket is the request's credential: when it fails
	// the answer is a 401 (403 for a missing token) and no cookie is
	// tried, and it is never refreshed, since the client keeps no cookie.
	BearerTickets bool
	// Challenge is the WWW-Authenticate value sent with every 401, e.g.
	// `Basic realm="example", charset="UTF-8"` where a front end accepts
	// passwords. "" sends none.
	Challenge string
	// MaxAuthAge, when set, demands a recent login: a valid ticket whose
	// auth time (ticket.Tokens.AuthTime, when the user last proved who
	// they are at the portal) is older, or which records none (tickets
	// from mod_auth_tkt's login pages or tktctl mint), sends a browser to
	// LoginURL with StepUpParam added (reason=reauth: "confirm it's you")
	// and the back URL; an API client gets 401 (a bearer ticket: RFC
	// 9470's insufficient_user_authentication). The ticket is not
	// deleted. No TKTAuth* directive matches it: mod_auth_tkt cannot
	// check it.
	MaxAuthAge time.Duration
	// UnauthURL is where a valid ticket without a required token sends
	// the browser; "" answers 403 (TKTAuthUnauthURL; without it the module
	// sends such a user to the login page, which sends them back).
	UnauthURL string
	// Users and AllTokens narrow who is admitted beyond Ticket.Tokens
	// (see Requirement): Apache's "require user" and several tokens
	// required together. A valid ticket that fails them is refused as one
	// without a required token (UnauthURL, or 403).
	Users     []string
	AllTokens []string

	// BackArg names the login URL's parameter that carries the original
	// URL; "" means "back" (TKTAuthBackArgName). NoBackArg leaves the
	// original URL out (TKTAuthBackArgName None).
	BackArg   string
	NoBackArg bool
	// BackCookieName carries the original URL in a cookie of that name
	// instead of a parameter (TKTAuthBackCookieName).
	BackCookieName string
	// QuerySeparator is put between a login URL's own query and the back
	// parameter: "&" or ";". "" means "&", where the module defaults to
	// ";" (TKTAuthQuerySeparator): net/url and the WHATWG URL standard no
	// longer split queries on ';', so a Go login page would never see a
	// ";back=" parameter.
	QuerySeparator string

	// RequireTLS refuses requests that did not come over TLS: a plain-HTTP
	// GET or HEAD from a browser is redirected to the same URL over https,
	// anything else gets 403 (TKTAuthRequireSSL; the module sends it to
	// the login URL, which then sends the user back to the plain-HTTP URL).
	RequireTLS bool

	// GuestLogin lets a request without a valid ticket proceed as a guest
	// (TKTAuthGuestLogin), named by GuestUser (TKTAuthGuestUser, default
	// "guest"), in which %U stands for a random UUID and %<n>U for its
	// first n characters. GuestEmpty names guests "" (TKTAuthGuestEmpty).
	GuestLogin bool
	GuestUser  string
	GuestEmpty bool
	// GuestCookie issues the guest a ticket, so it keeps its generated
	// name (TKTAuthGuestCookie). The ticket carries ticket.GuestToken: it
	// gives a guest's identity where GuestLogin is set, and is no ticket
	// anywhere else tkt validates (mod_auth_tkt takes it for a login).
	GuestCookie bool
	// GuestFallback makes a guest of an expired ticket, rather than
	// sending it to the timeout URL (TKTAuthGuestFallback).
	GuestFallback bool

	// URLTicketHosts are the hosts that accept a ticket in the URL
	// (?auth_tkt=...), the cross-domain hand-over of a login on another
	// domain, as ParseHostList reads them: "www.example.com" exactly, or
	// ".example.com" for that domain and every subdomain. Empty means URL
	// tickets are ignored. (The module takes them on every host and sets
	// the cookie before checking it.)
	URLTicketHosts []string

	// ClientAddrConfig names the trusted proxies, whose word on the
	// client's address, scheme and host is taken; the zero value trusts
	// none, and the connection's peer is the client.
	ClientAddrConfig

	// Revocation, when set, refuses tickets taken back before their
	// timeout (see Revocation); nil trusts every good signature, as the
	// module does.
	Revocation Revocation
	// Sessions, when set, refuses tickets whose server-side session has
	// ended, and extends a session when its ticket is re-issued (see
	// Sessions). With or without it, a ticket's session token is kept out
	// of the identity's tokens (Identity.Session holds it).
	Sessions Sessions
	// Renew, when set, renews a ticket before it is re-issued (see Renew);
	// nil re-issues it as it is, as the module does.
	Renew Renew

	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets a line for every ticket refused or re-issued, with the
	// reason and never a secret or a ticket; nil means no logging.
	Logger *slog.Logger
}

// New checks c, reporting every problem at once, and returns
// the middleware it describes.
func New(c Config) (*Middleware, error) {
	c.TrustedProxies = append(c.TrustedProxies[:0:0], c.TrustedProxies...)
	c.URLTicketHosts = append(c.URLTicketHosts[:0:0], c.URLTicketHosts...)
	c.Users = append(c.Users[:0:0], c.Users...)
	c.AllTokens = append(c.AllTokens[:0:0], c.AllTokens...)
	if c.CookieName == "" {
		c.CookieName = ticket.DefaultCookieName
	}
	if c.CookiePath == "" {
		c.CookiePath = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.BackArg == "" {
		c.BackArg = "back"
	}
	if c.QuerySeparator == "" {
		c.QuerySeparator = "&"
	}
	if c.GuestUser == "" {
		c.GuestUser = DefaultGuestUser
	}
	if c.RedirectStatus == 0 {
		c.RedirectStatus = http.StatusTemporaryRedirect
	}

	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	// A guest's ticket is good only where guests are let in; elsewhere
	// it is no ticket (ticket.GuestToken).
	c.Ticket.Guests = c.GuestLogin
	v, err := ticket.NewVerifier(c.Ticket)
	if err != nil {
		errs = append(errs, err)
	}
	for _, f := range [][2]string{{"cookie name", c.CookieName}, {"back cookie name", c.BackCookieName}, {"back argument name", c.BackArg}} {
		if f[1] != "" && !ValidName(f[1]) {
			bad("%s %q: use letters, digits and -._~ only", f[0], f[1])
		}
	}
	if c.BackCookieName != "" && c.BackCookieName == c.CookieName {
		bad("back cookie name %q is the ticket cookie's name", c.BackCookieName)
	}
	for _, tok := range c.AllTokens {
		if err := ticket.CheckRequiredToken(tok); err != nil {
			errs = append(errs, err)
		}
	}
	if c.CookieDomain != "" && !ValidCookieDomain(c.CookieDomain) {
		bad("cookie domain %q is not a domain name", c.CookieDomain)
	}
	if !ValidCookiePath(c.CookiePath) {
		bad("cookie path %q must start with / and hold no ';', ',', spaces or control characters", c.CookiePath)
	}
	if c.MaxAuthAge < 0 {
		bad("max auth age %v is negative", c.MaxAuthAge)
	}
	if c.CookieExpires < 0 {
		bad("cookie expiry %v is negative", c.CookieExpires)
	} else if c.CookieExpires > 0 && c.CookieExpires < time.Second {
		bad("cookie expiry %v is less than a second", c.CookieExpires)
	}
	switch c.SameSite {
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if !c.SecureCookie {
			bad("SameSite=None needs SecureCookie: browsers drop insecure SameSite=None cookies")
		}
	default:
		bad("SameSite %d: use Lax, Strict or None", c.SameSite)
	}
	for _, f := range [][2]string{{"login URL", c.LoginURL}, {"timeout URL", c.TimeoutURL}, {"post timeout URL", c.PostTimeoutURL}, {"unauth URL", c.UnauthURL}} {
		if err := CheckRedirectURL(f[1]); err != nil {
			bad("%s %q: %v", f[0], f[1], err)
		}
	}
	switch c.RedirectStatus {
	case http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect:
	default:
		bad("redirect status %d: use 302, 303 or 307", c.RedirectStatus)
	}
	if c.QuerySeparator != "&" && c.QuerySeparator != ";" {
		bad("query separator %q: use & or ;", c.QuerySeparator)
	}
	if !c.GuestLogin && (c.GuestCookie || c.GuestFallback || c.GuestEmpty) {
		bad("guest cookie, fallback and empty guest names need guest login")
	}
	if c.GuestCookie && c.GuestEmpty {
		bad("a guest cookie needs a guest user name, but guest names are empty")
	}
	guest, err := ParseGuestUser(c.GuestUser)
	if err != nil && !c.GuestEmpty {
		errs = append(errs, err)
	}
	hosts, err := ParseHostList(c.URLTicketHosts)
	if err != nil {
		errs = append(errs, fmt.Errorf("URL ticket hosts: %w", err))
	}
	clients := c.ClientAddrConfig
	errs = append(errs, clients.Check())
	// The canonical name keeps Origin on its fast path, without case folding.
	if fwd, _ := clients.mode(); fwd {
		clients.ClientIPHeader = HeaderForwarded
	} else {
		clients.ClientIPHeader = HeaderXForwardedFor
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("middleware config: %w", err)
	}

	m := &Middleware{
		cfg:      c,
		verifier: v,
		clients:  clients,
		guest:    guest,
		urlHosts: hosts,
		require:  Requirement{Tokens: c.Ticket.Tokens, AllTokens: c.AllTokens, Users: c.Users},
		log:      c.Logger,
		now:      c.Now,
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}
