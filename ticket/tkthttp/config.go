package tkthttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// New checks c, reporting every problem at once, and returns
// the middleware it describes.
func New(c Config) (*Middleware, error) {
	c.TrustedProxies = append(c.TrustedProxies[:0:0], c.TrustedProxies...)
	c.URLTicketHosts = append(c.URLTicketHosts[:0:0], c.URLTicketHosts...)
	if c.CookieName == "" {
		c.CookieName = ticket.DefaultCookieName
	}
	if c.CookiePath == "" {
		c.CookiePath = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.BackArgName == "" {
		c.BackArgName = "back"
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
	v, err := ticket.NewVerifier(c.Ticket)
	if err != nil {
		errs = append(errs, err)
	}
	for _, f := range [][2]string{{"cookie name", c.CookieName}, {"back cookie name", c.BackCookieName}, {"back argument name", c.BackArgName}} {
		if f[1] != "" && !ValidName(f[1]) {
			bad("%s %q: use letters, digits and -._~ only", f[0], f[1])
		}
	}
	if c.BackCookieName != "" && c.BackCookieName == c.CookieName {
		bad("back cookie name %q is the ticket cookie's name", c.BackCookieName)
	}
	if c.CookieDomain != "" && !ValidCookieDomain(c.CookieDomain) {
		bad("cookie domain %q is not a domain name", c.CookieDomain)
	}
	if !ValidCookiePath(c.CookiePath) {
		bad("cookie path %q must start with / and hold no ';', ',', spaces or control characters", c.CookiePath)
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
	if g := parseGuestName(c.GuestUser); !c.GuestEmpty && strings.ContainsAny(g.prefix+g.suffix, "!\x00") {
		bad("guest user %q holds '!' or NUL, which a ticket cannot carry", c.GuestUser)
	}
	hosts, err := ParseHostList(c.URLTicketHosts)
	if err != nil {
		errs = append(errs, fmt.Errorf("URL ticket hosts: %w", err))
	}
	clients := ClientAddrConfig{TrustedProxies: c.TrustedProxies, Header: c.ClientIPHeader}
	errs = append(errs, clients.Check())
	// The canonical name keeps Origin on its fast path, without case folding.
	if fwd, _ := clients.mode(); fwd {
		clients.Header = HeaderForwarded
	} else {
		clients.Header = HeaderXForwardedFor
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("middleware config: %w", err)
	}

	m := &Middleware{
		cfg:      c,
		verifier: v,
		clients:  clients,
		guest:    parseGuestName(c.GuestUser),
		urlHosts: hosts,
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
