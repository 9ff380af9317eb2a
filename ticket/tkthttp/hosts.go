package tkthttp

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// HostList is an allow-list of hosts: the hosts that take URL tickets
// (Config.URLTicketHosts), and in tktd the hosts a login may send the
// browser back to and the hosts a forward-auth rule covers. Every one of
// those settings is parsed by ParseHostList and nothing else, so that a
// configuration check and the server that runs it can never disagree.
//
// An entry is one of
//
//   - a host: "app.example.com", "192.0.2.7" or "[2001:db8::7]", which
//     admits that host on any port (a browser's cookies do not tell ports
//     apart either, so a port adds no isolation worth a surprise);
//   - a host and a port: "app.example.com:8443", which admits that port
//     only;
//   - a domain: ".example.com", which admits example.com itself and every
//     name under it, on any port.
//
// Names are letters, digits and '-' in dot-separated labels (IDNs in their
// xn-- form) and match in any case. Anything else is refused with the
// reason, rather than read one way here and another way by a browser: a
// scheme, path, user info, wildcard, blank or non-ASCII character, and a
// trailing dot ("app.example.com." is the same DNS name, but to a browser
// another origin with its own cookies: list the name without the dot).
type HostList struct {
	exact    map[string]bool // "host" or "host:port", lower case
	domains  []string        // "example.com" for ".example.com"
	hasPorts bool            // some entry names a port
}

// ParseHostList parses an allow-list, reporting every bad entry at once;
// each error names its entry. A nil or empty list admits nothing.
func ParseHostList(entries []string) (HostList, error) {
	var l HostList
	var errs []error
	for _, e := range entries {
		if err := l.add(e); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", e, err))
		}
	}
	return l, errors.Join(errs...)
}

func (l *HostList) add(entry string) error {
	e := strings.ToLower(strings.TrimSpace(entry))
	switch {
	case e == "":
		return errors.New("empty: give a host name")
	case strings.Contains(e, "://"):
		return errors.New("give the host only, without the scheme")
	case strings.HasSuffix(e, "."):
		return errors.New("drop the trailing dot: hosts are matched by name without it")
	}
	if d, ok := strings.CutPrefix(e, "."); ok {
		if !validHostname(d) {
			return errors.New("not a domain like .example.com (letters, digits, '-' and '.'; IDNs in xn-- form)")
		}
		l.domains = append(l.domains, d)
		return nil
	}
	host, port, err := SplitAuthority(e)
	if err != nil {
		return err
	}
	if l.exact == nil {
		l.exact = map[string]bool{}
	}
	if port != "" {
		host += ":" + port
		l.hasPorts = true
	}
	l.exact[host] = true
	return nil
}

// Hosts lists the list's exact entries ("host" or "host:port", lower
// case), sorted; domains are left out, since no one host stands for them.
func (l HostList) Hosts() []string {
	return slices.Sorted(maps.Keys(l.exact))
}

// Empty reports whether the list admits nothing.
func (l HostList) Empty() bool { return len(l.exact) == 0 && len(l.domains) == 0 }

// HasPort reports whether some entry names a port. Lists matched against
// host names alone (forward-auth rules: proxies route by name) refuse them.
func (l HostList) HasPort() bool { return l.hasPorts }

// Allows reports whether the list admits host (lower case, IPv6 in
// brackets, no trailing dot) on port ("" when the URL names none).
func (l HostList) Allows(host, port string) bool {
	if l.exact[host] || port != "" && l.exact[host+":"+port] {
		return true
	}
	for _, d := range l.domains {
		if host == d || len(host) > len(d) && host[len(host)-len(d)-1] == '.' && host[len(host)-len(d):] == d {
			return true
		}
	}
	return false
}

// AllowsAuthority reports whether the list admits a request's host as it
// stands in the Host header: any case, with or without a port. A host that
// SplitAuthority refuses is admitted by no list.
func (l HostList) AllowsAuthority(authority string) bool {
	host, port, err := SplitAuthority(authority)
	return err == nil && l.Allows(strings.ToLower(host), port)
}

// SplitAuthority splits the authority of a URL without user info, as
// browsers send it in the Host header: "host", "host:port", "[v6]" or
// "[v6]:port". It checks every character, in any case: a name of
// letters, digits and '-' in dot-separated labels (an IPv4 address passes
// as one), a real IPv6 address in brackets, a decimal port from 1 to
// 65535. Anything a browser might read differently from us (user info,
// percent escapes, backslashes, blanks, Unicode dots, IDNs in U-label
// form, a trailing dot) is refused rather than interpreted. It does not
// allocate.
func SplitAuthority(a string) (host, port string, err error) {
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
			return "", "", errors.New("junk after the IPv6 literal")
		}
		port = a[1:]
	} else {
		host = a
		if i := strings.LastIndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i+1:]
			if port == "" {
				return "", "", errors.New("empty port")
			}
		}
		if !validHostname(host) {
			return "", "", errors.New("not a host name (letters, digits, '-' and '.' only; IDNs in xn-- form; no path, user info or blanks)")
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

// validHostname accepts LDH names in any case: labels of letters, digits
// and '-' (not at either end), separated by single dots, no leading or
// trailing dot, at most 253 characters. IPv4 addresses pass as names of
// digits.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i] | 0x20 // ASCII lower case; digits and '-' unchanged
			if !('a' <= c && c <= 'z' || '0' <= label[i] && label[i] <= '9' || label[i] == '-') {
				return false
			}
		}
	}
	return true
}
