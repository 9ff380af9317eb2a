package web

import (
	"net/url"
	"strings"

	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// redirects decides where a login may send the browser.
type redirects struct {
	allowed   tkthttp.HostList // AllowedRedirects
	urlTicket tkthttp.HostList // URLTicketHosts; also allowed as destinations
	plainHTTP tkthttp.HostList // URLTicketHTTPHosts: may get a URL ticket over plain http
	arg       string           // URLTicketArg
}

// target is a back URL that passed the checks.
type target struct {
	url       string // what goes in the Location header
	urlTicket bool   // the host wants the ticket as a URL parameter
	cleartext bool   // a URL ticket would travel over plain http, which the host is not allowed
}

// check returns the safe form of a back URL, or ok=false when it must not be
// followed. It accepts exactly two shapes:
//
//   - a path on this portal: "/" not followed by '/' (a "//host"
//     network-path reference leaves the site);
//   - an absolute http or https URL, "scheme://authority" with nothing
//     else before the path, whose authority is a bare allow-listed host.
//
// Before anything else it refuses every byte a browser treats specially or
// strips (controls, spaces, tab, newline, backslash, which browsers read as
// '/' in special URLs) and every non-ASCII byte (unicode dots and full-width
// characters that IDNA maps to '.' or '/'). Such input never comes from a
// real redirect: mod_auth_tkt and browsers send back URLs percent-encoded.
func (rd *redirects) check(raw string) (target, bool) {
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
	case rd.allowed.Allows(host, port):
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
