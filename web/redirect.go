package web

import (
	"net/url"
	"slices"
	"strings"

	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// redirects decides where a login may send the browser: to what tktd
// knows to be its own (the host the portal was reached at, OwnHosts,
// OwnPorts on the portal's host, URLTicketHosts) and to AllowedRedirects.
type redirects struct {
	allowed   tkthttp.HostList // AllowedRedirects
	own       tkthttp.HostList // OwnHosts: the rules' hosts, the gate's address
	ownPorts  []string         // OwnPorts: on the host the portal was reached at
	urlTicket tkthttp.HostList // URLTicketHosts; also allowed as destinations
	plainHTTP tkthttp.HostList // URLTicketHTTPHosts: may get a URL ticket over plain http
	arg       string           // URLTicketArg
}

// refusedBack is the log line of a refused back URL, naming the setting
// that would allow it.
const refusedBack = "back URL refused: its host is none of tktd's own (the host the portal was reached at, " +
	"forward_auth.rules' hosts, the gate's address, url_ticket_hosts); to allow it, add it to allowed_redirects"

// target is a back URL that passed the checks.
type target struct {
	url       string // what goes in the Location header
	urlTicket bool   // the host wants the ticket as a URL parameter
	cleartext bool   // a URL ticket would travel over plain http, which the host is not allowed
}

// check returns the safe form of a back URL, or ok=false when it must not be
// followed. self is the authority ("host" or "host:port") the request
// came to, "" for none. It accepts exactly two shapes:
//
//   - a path on this portal: "/" not followed by '/' (a "//host"
//     network-path reference leaves the site);
//   - an absolute http or https URL, "scheme://authority" with nothing
//     else before the path, whose authority is a bare host of ours or an
//     allow-listed one. The host the request came to is ours: the
//     browser asked for it, so a URL there is as safe as a path, and it
//     is where the portal lives on the application's host behind a
//     proxy.
//
// Before anything else it refuses every byte a browser treats specially or
// strips (controls, spaces, tab, newline, backslash, which browsers read as
// '/' in special URLs) and every non-ASCII byte (unicode dots and full-width
// characters that IDNA maps to '.' or '/'). Such input never comes from a
// real redirect: mod_auth_tkt and browsers send back URLs percent-encoded.
func (rd *redirects) check(raw, self string) (target, bool) {
	if raw == "" || len(raw) > 4096 {
		return target{}, false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return target{}, false
		}
	}
	if raw[0] == '/' {
		if len(raw) > 1 && raw[1] == '/' {
			return target{}, false
		}
		return target{url: raw}, true
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return target{}, false
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return target{}, false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := strings.ToLower(rest[:end]), rest[end:]
	host, port, err := tkthttp.SplitAuthority(authority)
	if err != nil {
		return target{}, false
	}
	t := target{url: scheme + "://" + authority + tail}
	switch {
	case rd.urlTicket.Allows(host, port):
		t.urlTicket = true
		t.cleartext = scheme == "http" && !rd.plainHTTP.Allows(host, port)
	case rd.allowed.Allows(host, port), rd.own.Allows(host, port), rd.isSelf(scheme, host, port, self):
	default:
		return target{}, false
	}
	// A final parse catches what the byte checks above let through but
	// net/url would read another way; the result must agree on the host.
	u, err := url.Parse(t.url)
	if err != nil || u.Opaque != "" || u.User != nil || strings.ToLower(u.Host) != authority {
		return target{}, false
	}
	return t, true
}

// isSelf reports whether host and port (as written, "" for none) of a URL
// with scheme name the authority self the request came to, or one of
// OwnPorts on its host. A port left out is the scheme's default; self
// without a port came on a default one, 80 or 443, either of which the
// back URL may name (the proxy in front may have said http or https).
func (rd *redirects) isSelf(scheme, host, port, self string) bool {
	shost, sport, err := tkthttp.SplitAuthority(strings.ToLower(self))
	if self == "" || err != nil || host != shost {
		return false
	}
	if slices.Contains(rd.ownPorts, port) {
		return true
	}
	defPort := map[string]string{"http": "80", "https": "443"}[scheme]
	switch {
	case sport == "":
		return port == "" || port == "80" || port == "443"
	case port == "":
		return sport == defPort
	}
	return port == sport
}

// withTicket appends arg=value to the query of a checked absolute URL,
// before any fragment, after dropping every parameter already called arg:
// a back URL carrying an attacker's own auth_tkt would otherwise log the
// victim in as the attacker at the validator that reads the first one.
func withTicket(rawURL, arg, value string) string {
	base, frag, hasFrag := strings.Cut(rawURL, "#")
	path, query, _ := strings.Cut(base, "?")
	var kept []string
	for p := range strings.SplitSeq(query, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil && uk == arg || k == arg {
			continue
		}
		kept = append(kept, p)
	}
	kept = append(kept, url.QueryEscape(arg)+"="+url.QueryEscape(value))
	out := path + "?" + strings.Join(kept, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
