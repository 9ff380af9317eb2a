package ticket

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// NewMiddleware checks c, reporting every problem at once, and returns
// the middleware it describes.
func NewMiddleware(c MiddlewareConfig) (*Middleware, error) {
	c.TrustedProxies = append(c.TrustedProxies[:0:0], c.TrustedProxies...)
	c.URLTicketHosts = append(c.URLTicketHosts[:0:0], c.URLTicketHosts...)
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
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
	v, err := NewVerifier(c.Ticket)
	if err != nil {
		errs = append(errs, err)
	}
	for _, f := range [][2]string{{"cookie name", c.CookieName}, {"back cookie name", c.BackCookieName}, {"back argument name", c.BackArgName}} {
		if f[1] != "" && !validName(f[1]) {
			bad("%s %q: use letters, digits and -._~ only", f[0], f[1])
		}
	}
	if c.BackCookieName != "" && c.BackCookieName == c.CookieName {
		bad("back cookie name %q is the ticket cookie's name", c.BackCookieName)
	}
	if c.CookieDomain != "" && !validCookieDomain(c.CookieDomain) {
		bad("cookie domain %q is not a domain name", c.CookieDomain)
	}
	if !strings.HasPrefix(c.CookiePath, "/") || strings.ContainsAny(c.CookiePath, ";,\x7f") || hasCTLOrSpace(c.CookiePath) {
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
		if err := checkRedirectURL(f[1]); err != nil {
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
	hosts, err := parseHostList(c.URLTicketHosts)
	if err != nil {
		errs = append(errs, err)
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

// validName accepts cookie and parameter names that need no quoting or
// escaping anywhere: RFC 6265 tokens that are also unreserved in URLs.
func validName(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return s != ""
}

func validCookieDomain(d string) bool {
	d = strings.TrimPrefix(d, ".")
	if d == "" || len(d) > 253 || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for _, c := range []byte(d) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func hasCTLOrSpace(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

// checkRedirectURL accepts "" (unset), an absolute http(s) URL or an
// absolute path, without a fragment (the back parameter goes at the end)
// and without anything a Location header could not carry as is.
func checkRedirectURL(s string) error {
	if s == "" {
		return nil
	}
	if hasCTLOrSpace(s) {
		return errors.New("holds spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Fragment != "" || strings.Contains(s, "#"):
		return errors.New("has a fragment")
	case u.Scheme == "" && u.Host == "":
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
			return errors.New("a relative URL must be a path starting with a single /")
		}
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return errors.New("must be an http or https URL, or a path")
	}
	return nil
}

// hostList is the URL ticket allow-list: exact host names, and domains
// (written ".example.com") that also cover their subdomains.
type hostList struct {
	exact, domains []string
}

func parseHostList(hosts []string) (hostList, error) {
	var l hostList
	var errs []error
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		name := strings.TrimPrefix(h, ".")
		if !validCookieDomain(name) && !validIPLiteralHost(name) {
			errs = append(errs, fmt.Errorf("URL ticket host %q is not a host name (no scheme, port or path)", h))
			continue
		}
		if strings.HasPrefix(h, ".") {
			l.domains = append(l.domains, name)
		} else {
			l.exact = append(l.exact, name)
		}
	}
	return l, errors.Join(errs...)
}

// validIPLiteralHost accepts a bracketed IPv6 address, as it stands in a
// Host header. (IPv4 addresses pass as domain names.)
func validIPLiteralHost(h string) bool {
	if !strings.HasPrefix(h, "[") || !strings.HasSuffix(h, "]") {
		return false
	}
	a, err := netip.ParseAddr(h[1 : len(h)-1])
	return err == nil && a.Is6() && a.Zone() == ""
}

// allows reports whether host (as in the Host header, port and all) may
// receive URL tickets.
func (l hostList) allows(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(hostOnly(host), "."))
	if h == "" {
		return false
	}
	for _, e := range l.exact {
		if h == e {
			return true
		}
	}
	for _, d := range l.domains {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// hostOnly cuts the port from host[:port], keeping IPv6 brackets.
func hostOnly(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			return host[:i+1]
		}
		return ""
	}
	if i := strings.IndexByte(host, ':'); i >= 0 {
		return host[:i]
	}
	return host
}
