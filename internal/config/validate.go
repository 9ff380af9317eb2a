package config

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Validate reports every problem with c at once, each as a FieldError
// naming the setting. It reads nothing secret, but it does look at the
// files c names (they must exist and be readable), so run it where tktd
// runs.
func (c Config) Validate() error {
	var p problems
	c.validateServer(&p)
	c.validateTicket(&p)
	c.validateCookie(&p)
	c.validatePortal(&p)
	c.validateStores(&p)
	c.validateForwardAuth(&p)
	c.validateRedis(&p)
	c.validateSessions(&p)
	c.validateMFA(&p)
	return p.err()
}

func (c Config) validateServer(p *problems) {
	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen", "%q is not host:port (e.g. 127.0.0.1:8080 or :443)", c.Listen)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.add("listen", "bad port %q", port)
	} else if host != "" && !validListenHost(host) {
		p.add("listen", "bad host %q", host)
	}
	if c.Server.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.Server.MetricsListen); err != nil {
			p.add("server.metrics_listen", "%q is not host:port (e.g. 127.0.0.1:9100)", c.Server.MetricsListen)
		} else if c.Server.MetricsListen == c.Listen {
			p.add("server.metrics_listen", "%q is the portal's own listen address: give /metrics an address of its own, or leave server.metrics_listen empty", c.Listen)
		}
	}
	switch {
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		p.add("tls.cert_file", "missing: tls.key_file is set")
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		p.add("tls.key_file", "missing: tls.cert_file is set")
	case c.TLS.Enabled():
		if _, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			p.wrap("tls", err)
		}
	}
	if c.TLS.HSTSMaxAge < 0 {
		p.add("tls.hsts_max_age", "must not be negative (0 sends no Strict-Transport-Security)")
	}
	if c.DataDir == "" {
		p.add("data_dir", "empty: give a directory (default %s)", DefaultDataDir)
	}
	s := c.Server
	for _, d := range []struct {
		key string
		d   time.Duration
	}{
		{"server.read_header_timeout", s.ReadHeaderTimeout},
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.idle_timeout", s.IdleTimeout},
		{"server.shutdown_timeout", s.ShutdownTimeout},
		{"server.reload_interval", s.ReloadInterval},
		{"store_timeout", c.StoreTimeout},
	} {
		if d.d < 0 {
			p.add(d.key, "must not be negative")
		}
	}
	if s.MaxConnections < 0 {
		p.add("server.max_connections", "must not be negative (0 derives it from the open-file limit)")
	}
	if c.Gate.MaxConnections < 0 {
		p.add("gate.max_connections", "must not be negative (0 derives it from the open-file limit)")
	}
	if s.MaxHeaderBytes < 1024 || s.MaxHeaderBytes > 1<<20 {
		p.add("server.max_header_bytes", "%d is outside 1024 to 1048576", s.MaxHeaderBytes)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "warning", "error":
	default:
		p.add("log.level", "unknown level %q: want debug, info, warn or error", c.Log.Level)
	}
	switch strings.ToLower(c.Log.Format) {
	case "", "auto", "json", "text":
	default:
		p.add("log.format", "unknown format %q: want json, text or auto", c.Log.Format)
	}
	switch strings.ToLower(c.Log.Access) {
	case "info", "debug", "off":
	default:
		p.add("log.access", "unknown access log level %q: want info, debug or off", c.Log.Access)
	}
	if n := c.Passwords.MinLength; n < 1 || n > 64 {
		p.add("passwords.min_length", "%d is outside 1 to 64 (default %d)", n, DefaultPasswordMinLength)
	}
	if c.Log.AccessRate < 0 {
		p.add("log.access_rate", "must not be negative (0 means no cap)")
	}
}

func (c Config) validateTicket(p *problems) {
	t := c.Ticket
	d, err := ticket.ParseDigest(t.Digest)
	if err != nil {
		p.add("ticket.digest", "unknown digest %q: want md5, sha256, sha512 or hmac-sha256", t.Digest)
	}
	if t.SecretFile != "" {
		p.wrap("ticket.secret_file", checkTicketSecretFile(t.SecretFile, t.AllowWeakSecret))
	} else if _, err := os.Lstat(c.SecretPath()); err == nil {
		// The generated secret: checked only once it exists.
		p.wrap("ticket.secret_file", checkTicketSecretFile(c.SecretPath(), t.AllowWeakSecret))
	}
	for i, f := range t.OldSecretFiles {
		p.wrap(fmt.Sprintf("ticket.old_secret_files[%d]", i), checkTicketSecretFile(f, t.AllowWeakSecret))
	}
	if t.Timeout < 0 {
		p.add("ticket.timeout", "must not be negative (0 means no time check)")
	}
	if t.Refresh < 0 || t.Refresh > 1 {
		p.add("ticket.refresh", "%v is outside 0 to 1", t.Refresh)
	}
	switch {
	case t.MaxLifetime < 0:
		p.add("ticket.max_lifetime", "must not be negative (0 means no cap)")
	case t.MaxLifetime == 0:
	case t.Timeout == 0:
		p.add("ticket.max_lifetime", "needs ticket.timeout: without a timeout tickets never expire, so there is nothing to cap")
	case t.MaxLifetime < t.Timeout:
		p.add("ticket.max_lifetime", "%s is shorter than ticket.timeout %s: set it to at least the timeout, or 0 for no cap",
			FormatDuration(t.MaxLifetime), FormatDuration(t.Timeout))
	}
	if t.IPv4Prefix < 0 || t.IPv4Prefix > 32 {
		p.add("ticket.ipv4_prefix", "%d is outside 0 to 32", t.IPv4Prefix)
	}
	if t.IPv6Prefix < 0 || t.IPv6Prefix > 128 {
		p.add("ticket.ipv6_prefix", "%d is outside 0 to 128", t.IPv6Prefix)
	}
	if err == nil && d != ticket.HMACSHA256 && (t.IPv4Prefix != 0 && t.IPv4Prefix != 32 || t.IPv6Prefix != 0) {
		p.add("ticket.ipv4_prefix", "binding tickets to a network needs digest hmac-sha256; %s binds one IPv4 address", d)
	}
	for i, tok := range t.Tokens {
		if err := ticket.CheckRequiredToken(tok); err != nil {
			p.wrap(fmt.Sprintf("ticket.tokens[%d]", i), err)
		}
	}
}

func (c Config) validateCookie(p *problems) {
	ck := c.Cookie
	if !tkthttp.ValidName(ck.Name) {
		p.add("cookie.name", "%q is not a cookie name (letters, digits and -._~)", ck.Name)
	}
	if ck.Domain != "" && !tkthttp.ValidCookieDomain(ck.Domain) {
		p.add("cookie.domain", "%q is not a domain name like example.com", ck.Domain)
	}
	if !tkthttp.ValidCookiePath(ck.Path) {
		p.add("cookie.path", "%q must start with / and hold no ';', ',', blanks or control characters", ck.Path)
	}
	if ck.Expires < 0 {
		p.add("cookie.expires", "must not be negative (0 means a session cookie)")
	}
}

func (c Config) validatePortal(p *problems) {
	if !tkthttp.ValidName(c.BackArg) {
		p.add("back_arg", "%q is not a query parameter name (letters, digits and -._~)", c.BackArg)
	}
	if !tkthttp.ValidName(c.URLTicketArg) {
		p.add("url_ticket_arg", "%q is not a query parameter name (letters, digits and -._~)", c.URLTicketArg)
	}
	checkHosts := func(key string, list []string) {
		for i, h := range list {
			p.wrap(fmt.Sprintf("%s[%d]", key, i), checkHost(h))
		}
	}
	checkHosts("allowed_redirects", c.AllowedRedirects)
	checkHosts("url_ticket_hosts", c.URLTicketHosts)
	checkHosts("url_ticket_http_hosts", c.URLTicketHTTPHosts)
	if c.DefaultURL != "" {
		u, err := url.Parse(c.DefaultURL)
		switch {
		case err != nil:
			p.add("default_url", "%q is not a URL", c.DefaultURL)
		case u.IsAbs() && (u.Scheme != "http" && u.Scheme != "https" || u.Host == ""):
			p.add("default_url", "%q: want an http(s) URL or a path starting with /", c.DefaultURL)
		case !u.IsAbs() && (!strings.HasPrefix(c.DefaultURL, "/") || strings.HasPrefix(c.DefaultURL, "//")):
			p.add("default_url", "%q: want an http(s) URL or a path starting with /", c.DefaultURL)
		}
	}
	// The portal's guests, /auth's guest rules and the gate's all read it.
	if _, err := tkthttp.ParseGuestUser(c.Guest.User); err != nil {
		p.wrap("guest.user", err)
	}
	if c.TemplatesDir != "" {
		if fi, err := os.Stat(c.TemplatesDir); err != nil {
			p.wrap("templates_dir", err)
		} else if !fi.IsDir() {
			p.add("templates_dir", "%s is not a directory", c.TemplatesDir)
		}
	}
	th := c.Throttle
	if th.MaxFailures < 0 || th.MaxIPFailures < 0 || th.MaxUserFailures < 0 || th.MaxKeys < 0 || th.Window < 0 || th.KnownFor < 0 {
		p.add("throttle", "max_failures, max_ip_failures, max_user_failures, max_keys, window and known_for must not be negative")
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		p.wrap("trusted_proxies", err)
	}
}

// TrustedProxyPrefixes parses TrustedProxies: CIDR prefixes, or single
// addresses meaning one host.
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	return ParsePrefixes(c.TrustedProxies)
}

// ParsePrefixes parses a list of CIDR prefixes, or single addresses
// meaning one host; each problem is keyed by its index ("[2]").
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out, p := parsePrefixes("", list)
	return out, p.err()
}

// parsePrefixes is ParsePrefixes with the problems keyed key[i].
func parsePrefixes(key string, list []string) ([]netip.Prefix, problems) {
	var out []netip.Prefix
	var p problems
	for i, s := range list {
		if pfx, err := netip.ParsePrefix(s); err == nil {
			if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
				// Client addresses are unmapped: so must the prefix be,
				// or ::ffff:192.0.2.0/120 would never match 192.0.2.7.
				pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
			}
			out = append(out, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			p.add(fmt.Sprintf("%s[%d]", key, i), "%q is not an address or CIDR prefix", s)
			continue
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, p
}

// validListenHost accepts a host name or an IP address (IPv6 without
// brackets, as net.SplitHostPort leaves it).
func validListenHost(host string) bool {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	_, _, err := tkthttp.SplitAuthority(host)
	return err == nil
}

// checkHost checks one entry of a host allow-list with the parser the
// servers use, so that every error names its key.
func checkHost(entry string) error {
	_, err := tkthttp.ParseHostList([]string{entry})
	return err
}

// validToken reports whether s is an RFC 7230 token, which cookie names are.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}
