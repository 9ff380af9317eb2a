package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// DefaultGateListen is where `tktd gate` listens when nothing says.
const DefaultGateListen = "127.0.0.1:8081"

// ForwardAuth configures the forward-auth endpoint, /auth.
type ForwardAuth struct {
	// LoginURL is where browsers without a valid ticket are sent by
	// proxies that pass /auth's answer on (Traefik, Caddy, Envoy): the
	// portal's public URL, e.g. https://login.example.com/login. Empty
	// means /login on the application's own host.
	LoginURL string `koanf:"login_url"`
	// UnauthURL is where a valid ticket without a required token sends
	// the browser; empty answers 403.
	UnauthURL string `koanf:"unauth_url"`
	// Headers name the identity headers of the answer.
	Headers Headers `koanf:"headers"`
	// Rules set the requirement by host and path, first match wins;
	// requests that match none need a valid ticket with one of
	// ticket.tokens (if any). Decoded by hand, so that a mistyped key in a
	// rule is an error rather than a rule that checks less.
	Rules []AuthRule `koanf:"-"`
}

// Headers name the headers that carry an identity to an application. Empty
// names mean Remote-User, Remote-Groups and Remote-Data.
type Headers struct {
	User   string `koanf:"user"`
	Groups string `koanf:"groups"`
	Data   string `koanf:"data"`
}

// Identity returns h as the ticket package's IdentityHeaders.
func (h Headers) Identity() tkthttp.IdentityHeaders {
	return tkthttp.IdentityHeaders{User: h.User, Groups: h.Groups, Data: h.Data}
}

// AuthRule is one forward-auth rule.
type AuthRule struct {
	// Hosts: exact ("app.example.com") or domains (".example.com"); empty
	// matches any host.
	Hosts []string `koanf:"hosts"`
	// Paths: prefixes on a segment boundary ("/admin" covers /admin/x,
	// not /administrator); empty matches any path.
	Paths []string `koanf:"paths"`
	// Tokens: any one admits; empty requires none.
	Tokens []string `koanf:"tokens"`
	// Guest lets requests without a valid ticket through as guest.user.
	Guest bool `koanf:"guest"`
	// Bypass lets every request through unchecked.
	Bypass bool `koanf:"bypass"`
	// Basic takes HTTP Basic credentials (see the basic section) as well
	// as tickets.
	Basic bool `koanf:"basic"`
	// MaxAuthAge demands a recent login: an older one (or a ticket that
	// records none) is sent to the portal to confirm who it is.
	MaxAuthAge time.Duration `koanf:"max_auth_age"`
	// Methods: the rule matches only these methods (Apache's <Limit>);
	// empty matches every method.
	Methods []string `koanf:"methods"`
	// Networks: the rule matches only clients inside these CIDR prefixes
	// or addresses (Apache's "Require ip"); empty matches every client.
	Networks []string `koanf:"networks"`
	// Deny refuses every request the rule matches with 403.
	Deny bool `koanf:"deny"`
	// Users: only these users get in ("require user"); AllTokens: only
	// tickets holding every one of them (Satisfy All), besides Tokens.
	Users     []string `koanf:"users"`
	AllTokens []string `koanf:"all_tokens"`
	// UnauthURL replaces forward_auth.unauth_url under this rule.
	UnauthURL string   `koanf:"unauth_url"`
	Location  Location `koanf:",squash"`
}

// Location holds mod_auth_tkt's per-location ticket settings, for a
// forward-auth rule and for the gate. Unset, the ticket section's apply.
type Location struct {
	// Timeout and Refresh replace ticket.timeout and ticket.refresh
	// (TKTAuthTimeout, TKTAuthTimeoutRefresh): a service account's
	// long-lived ticket is taken only where the timeout is that long.
	Timeout *time.Duration `koanf:"timeout"`
	Refresh *float64       `koanf:"refresh"`
	// TimeoutURL is where an expired ticket sends the browser, and
	// PostTimeoutURL where it sends a POST; empty: the login URL
	// (TKTAuthTimeoutURL, TKTAuthPostTimeoutURL).
	TimeoutURL     string `koanf:"timeout_url"`
	PostTimeoutURL string `koanf:"post_timeout_url"`
	// GuestFallback makes a guest of an expired ticket, and GuestCookie
	// gives guests a ticket of their own; both need guest
	// (TKTAuthGuestFallback, TKTAuthGuestCookie).
	GuestFallback bool `koanf:"guest_fallback"`
	GuestCookie   bool `koanf:"guest_cookie"`
	// RequireTLS refuses plain HTTP: browsers are sent to the https URL
	// (TKTAuthRequireSSL).
	RequireTLS bool `koanf:"require_tls"`
	// IgnoreIP takes tickets from any address, for a service account's
	// ticket minted without one (TKTAuthIgnoreIP); a ticket refreshed
	// here is unbound too, so such a location wants refresh: 0.
	IgnoreIP bool `koanf:"ignore_ip"`
}

// set reports whether l changes anything.
func (l Location) set() bool { return l != Location{} }

// Basic configures HTTP Basic for scripts and API clients, at /auth (rules
// with basic: true) and at the gate (gate.basic).
type Basic struct {
	// Realm is named in WWW-Authenticate; default "tkt".
	Realm string `koanf:"realm"`
	// CacheTTL is how long a password the stores accepted is remembered
	// (a keyed hash of it, never the password); default 5m.
	CacheTTL time.Duration `koanf:"cache_ttl"`
	// IssueTicket answers a good password with a ticket cookie too, so a
	// client that keeps cookies skips the stores afterwards.
	IssueTicket bool `koanf:"issue_ticket"`
}

// Gate configures `tktd gate`, the reverse proxy that protects one
// application.
type Gate struct {
	Listen string `koanf:"listen"`
	// Upstream is the application's base URL, http(s)://host:port[/path].
	Upstream string `koanf:"upstream"`
	// LoginURL is the portal's login page; browsers without a valid ticket
	// are sent there with the original URL in back_arg.
	LoginURL string `koanf:"login_url"`
	// UnauthURL is where a ticket without a required token (ticket.tokens)
	// sends the browser; empty answers 403.
	UnauthURL string  `koanf:"unauth_url"`
	Headers   Headers `koanf:"headers"`
	// Guest lets requests without a valid ticket through as guest.user.
	Guest bool `koanf:"guest"`
	// Basic takes HTTP Basic credentials, checked against the stores.
	Basic bool `koanf:"basic"`
	// MaxAuthAge demands a recent login, as a forward_auth rule's does.
	MaxAuthAge time.Duration `koanf:"max_auth_age"`
	// MetricsListen, when set, is a host:port of its own where the gate
	// serves /metrics and /healthz, apart from the application's paths.
	MetricsListen string `koanf:"metrics_listen"`
	// MaxConnections is the gate's server.max_connections; 0 means half
	// of the portal's default, since each client connection may take one
	// to the application too.
	MaxConnections int `koanf:"max_connections"`
	// PassTicketCookie hands the ticket cookie to the application. Off, the
	// application never sees it: it gets the identity headers, and a
	// compromised application cannot replay the user's ticket elsewhere.
	PassTicketCookie bool `koanf:"pass_ticket_cookie"`
	// Users and AllTokens narrow who gets in, as a rule's do.
	Users     []string `koanf:"users"`
	AllTokens []string `koanf:"all_tokens"`
	Location  Location `koanf:",squash"`
}

func (c Config) validateForwardAuth(p *problems) {
	fa := c.ForwardAuth
	checkURL(p, "forward_auth.login_url", fa.LoginURL)
	checkURL(p, "forward_auth.unauth_url", fa.UnauthURL)
	checkHeaders(p, "forward_auth.headers", fa.Headers)
	for i, r := range fa.Rules {
		key := fmt.Sprintf("forward_auth.rules[%d]", i)
		for j, h := range r.Hosts {
			hk := fmt.Sprintf("%s.hosts[%d]", key, j)
			if err := checkHost(h); err != nil {
				p.wrap(hk, err)
			} else if l, _ := tkthttp.ParseHostList([]string{h}); l.HasPort() {
				p.add(hk, "%q: rules match host names, without a port", h)
			}
		}
		for j, path := range r.Paths {
			if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \t\r\n") {
				p.add(fmt.Sprintf("%s.paths[%d]", key, j), "%q: want a path starting with / (no query)", path)
			}
		}
		for j, tok := range r.Tokens {
			p.wrap(fmt.Sprintf("%s.tokens[%d]", key, j), ticket.CheckRequiredToken(tok))
		}
		for j, m := range r.Methods {
			if m == "" || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				p.add(fmt.Sprintf("%s.methods[%d]", key, j), "%q: write an HTTP method in capitals, such as GET or POST", m)
			}
		}
		_, bad := parsePrefixes(key+".networks", r.Networks)
		*p = append(*p, bad...)
		checkURL(p, key+".unauth_url", r.UnauthURL)
		checkRequirement(p, key, r.Users, r.AllTokens)
		checkLocation(p, key, r.Location, r.Guest)
		switch checks := r.Guest || r.Basic || len(r.Tokens)+len(r.Users)+len(r.AllTokens) > 0 || r.UnauthURL != "" || r.Location.set(); {
		case r.Bypass && r.Deny:
			p.add(key+".deny", "a rule cannot both bypass and deny: keep one")
		case r.Bypass && checks:
			p.add(key+".bypass", "a bypass rule checks nothing: drop its tokens, users, guest, basic and ticket settings")
		case r.Deny && checks:
			p.add(key+".deny", "a deny rule refuses everything it matches: drop its tokens, users, guest, basic and ticket settings")
		}
		checkMaxAuthAge(p, key+".max_auth_age", r.MaxAuthAge, r.Bypass)
	}
	if strings.ContainsAny(c.Basic.Realm, "\"\\\r\n") {
		p.add("basic.realm", "%q: no quotes, backslashes or line breaks", c.Basic.Realm)
	}
	if c.Basic.CacheTTL < 0 {
		p.add("basic.cache_ttl", "must not be negative")
	}
	g := c.Gate
	if _, _, err := net.SplitHostPort(g.Listen); err != nil {
		p.add("gate.listen", "%q is not host:port", g.Listen)
	}
	if _, _, err := net.SplitHostPort(g.MetricsListen); g.MetricsListen != "" && err != nil {
		p.add("gate.metrics_listen", "%q is not host:port", g.MetricsListen)
	}
	if g.Upstream != "" {
		u, err := url.Parse(g.Upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.add("gate.upstream", "%q: want http(s)://host:port[/path]", g.Upstream)
		}
	}
	checkURL(p, "gate.login_url", g.LoginURL)
	checkURL(p, "gate.unauth_url", g.UnauthURL)
	checkHeaders(p, "gate.headers", g.Headers)
	checkMaxAuthAge(p, "gate.max_auth_age", g.MaxAuthAge, false)
	checkRequirement(p, "gate", g.Users, g.AllTokens)
	checkLocation(p, "gate", g.Location, g.Guest)
}

// checkRequirement checks users and all_tokens under key.
func checkRequirement(p *problems, key string, users, allTokens []string) {
	for j, u := range users {
		p.wrap(fmt.Sprintf("%s.users[%d]", key, j), ticket.CheckUID(u))
	}
	for j, tok := range allTokens {
		p.wrap(fmt.Sprintf("%s.all_tokens[%d]", key, j), ticket.CheckRequiredToken(tok))
	}
}

// checkLocation checks the per-location settings under key; guest says
// whether guests are let in there.
func checkLocation(p *problems, key string, l Location, guest bool) {
	if l.Timeout != nil && *l.Timeout < 0 {
		p.add(key+".timeout", "must not be negative (0: no time check)")
	}
	if l.Refresh != nil && (*l.Refresh < 0 || *l.Refresh > 1) {
		p.add(key+".refresh", "%v: want a fraction from 0 (never) to 1", *l.Refresh)
	}
	checkURL(p, key+".timeout_url", l.TimeoutURL)
	checkURL(p, key+".post_timeout_url", l.PostTimeoutURL)
	if !guest && l.GuestFallback {
		p.add(key+".guest_fallback", "needs guest: true (an expired ticket becomes a guest)")
	}
	if !guest && l.GuestCookie {
		p.add(key+".guest_cookie", "needs guest: true (guests get a ticket)")
	}
}

// checkURL accepts what the middleware takes as a login, timeout or unauth
// URL: "", an absolute http(s) URL or a path from the root.
func checkURL(p *problems, key, s string) {
	if err := tkthttp.CheckRedirectURL(s); err != nil {
		p.add(key, "%q: %v", s, err)
	}
}

func checkHeaders(p *problems, key string, h Headers) {
	for _, f := range [][2]string{{"user", h.User}, {"groups", h.Groups}, {"data", h.Data}} {
		if f[1] != "" && !validToken(f[1]) {
			p.add(key+"."+f[0], "%q is not a header name", f[1])
		}
	}
}

// decodeRules decodes forward_auth.rules, each entry checked for unknown
// keys: a rule with "token:" for "tokens:" would otherwise require nothing.
func decodeRules(raw any, probs *problems) []AuthRule {
	if raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		probs.add("forward_auth.rules", "want a list of rules, got %s", showValue(raw))
		return nil
	}
	var out []AuthRule
	t := reflect.TypeFor[AuthRule]()
	for i, item := range list {
		key := "forward_auth.rules[" + strconv.Itoa(i) + "]"
		m, ok := item.(map[string]any)
		if !ok {
			// The keys from the type, so that a new one is named too.
			probs.add(key, "want a map (%s), got %s", strings.Join(keysOf(t, ""), ", "), showValue(item))
			out = append(out, AuthRule{})
			continue
		}
		var r AuthRule
		probs.addDecode(key, decodeInto(m, &r))
		for _, u := range unknownKeys(m, t, "") {
			probs.wrap(key+"."+u, unknownKey(u, keysOf(t, "")))
		}
		out = append(out, r)
	}
	return out
}

// checkMaxAuthAge checks a rule's (or the gate's) max_auth_age.
func checkMaxAuthAge(p *problems, key string, age time.Duration, bypass bool) {
	switch {
	case age < 0:
		p.add(key, "must not be negative (0 means any login)")
	case age > 0 && age < time.Second:
		p.add(key, "%v is less than a second: tickets record the login to the second", age)
	case age > 0 && bypass:
		p.add(key, "a bypass rule checks nothing: drop its max_auth_age")
	}
}
