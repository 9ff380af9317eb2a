package web

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// hostList is a parsed allow-list of redirect hosts.
//
// An entry is an exact host ("app.example.com"), an exact host and port
// ("app.example.com:8443", "[::1]:8080"), or a domain suffix
// (".example.com"). A suffix admits the bare domain (example.com) as well as
// every sub-domain: an operator who writes ".example.com" means "our domain",
// and a cookie for Domain=example.com is sent to both anyway. An entry without
// a port admits any port on that host: a browser's cookies do not tell ports
// apart either, so a port adds no isolation worth a surprise.
type hostList struct {
	exact  map[string]bool // "host" or "host:port", lowercase
	suffix []string        // ".example.com", lowercase
}

func parseHostList(entries []string) (hostList, error) {
	l := hostList{exact: map[string]bool{}}
	var errs []error
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if d, ok := strings.CutPrefix(e, "."); ok {
			if !validHostname(d) {
				errs = append(errs, fmt.Errorf("allow-list entry %q: not a domain suffix like .example.com", e))
				continue
			}
			l.suffix = append(l.suffix, e)
			continue
		}
		host, port, err := splitAuthority(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("allow-list entry %q: %v", e, err))
			continue
		}
		if port != "" {
			l.exact[host+":"+port] = true
		} else {
			l.exact[host] = true
		}
	}
	return l, errors.Join(errs...)
}

// allows reports whether host (lowercase, brackets kept for IPv6) with port
// (may be empty) is on the list.
func (l hostList) allows(host, port string) bool {
	if l.exact[host] || port != "" && l.exact[host+":"+port] {
		return true
	}
	for _, s := range l.suffix {
		if host == s[1:] || strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// splitAuthority splits "host", "host:port", "[v6]" or "[v6]:port", all
// lowercase, checking every character: a letter, digit, '-' or '.' in a
// name, a real IPv6 literal in brackets, a decimal port. Anything a browser
// might read differently from us (userinfo, percent escapes, backslashes,
// unicode dots, IDN in U-label form) is refused rather than interpreted.
func splitAuthority(a string) (host, port string, err error) {
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", errors.New("unterminated IPv6 literal")
		}
		ip, perr := netip.ParseAddr(a[1:end])
		if perr != nil || !ip.Is6() || ip.Zone() != "" {
			return "", "", errors.New("bad IPv6 literal")
		}
		host, a = a[:end+1], a[end+1:]
		if a == "" {
			return host, "", nil
		}
		if a[0] != ':' {
			return "", "", errors.New("junk after IPv6 literal")
		}
		port = a[1:]
	} else {
		host = a
		if i := strings.LastIndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i+1:]
		}
		if !validHostname(host) {
			return "", "", errors.New("not a host name (letters, digits, '-' and '.' only; IDN in xn-- form)")
		}
		if port == "" && strings.HasSuffix(a, ":") {
			return "", "", errors.New("empty port")
		}
	}
	if port != "" {
		n, perr := strconv.ParseUint(port, 10, 16)
		if perr != nil || n == 0 || port[0] == '0' {
			return "", "", errors.New("bad port")
		}
	}
	return host, port, nil
}

// validHostname accepts lowercase LDH names: labels of a-z, 0-9 and '-',
// separated by single dots, no leading or trailing dot. IPv4 literals pass
// as names of digits.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// redirects decides where a login may send the browser.
type redirects struct {
	allowed   hostList // AllowedRedirects
	urlTicket hostList // URLTicketHosts; also allowed as destinations
	arg       string   // URLTicketArg
}

// target is a back URL that passed the checks.
type target struct {
	url       string // what goes in the Location header
	urlTicket bool   // the host wants the ticket as a URL parameter
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
	host, port, err := splitAuthority(authority)
	if err != nil {
		return target{}, false
	}
	t := target{url: scheme + "://" + authority + tail}
	switch {
	case rd.urlTicket.allows(host, port):
		t.urlTicket = true
	case rd.allowed.allows(host, port):
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
