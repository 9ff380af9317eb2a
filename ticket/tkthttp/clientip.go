package tkthttp

import (
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/netip"
	"strings"
)

// The headers a trusted proxy can name the client in. Only one is read:
// a proxy that writes X-Forwarded-For passes a client-sent Forwarded header
// through untouched (and the other way round), so reading both would let a
// client name itself.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded"
)

// ClientAddrConfig says whose word is taken on where a request comes from.
// The zero value trusts no proxy: the connection's peer is the client.
// The Middleware uses it, and so should any server of the project that
// binds, throttles or logs by client address, so that all of them agree on
// who the client is.
type ClientAddrConfig struct {
	// TrustedProxies are the peers whose Header, X-Forwarded-Proto and
	// X-Forwarded-Host are believed. Requests from elsewhere are judged by
	// their connection alone.
	TrustedProxies []netip.Prefix
	// ClientIPHeader is the header those proxies name the client in:
	// HeaderXForwardedFor ("" means that) or HeaderForwarded, in any case.
	// Any other value believes no proxy at all (Check reports it): a
	// misconfiguration must not let clients name themselves.
	ClientIPHeader string
}

// ClientOrigin is what a request says about its client, believed only as
// far as the proxies it passed are trusted.
type ClientOrigin struct {
	// Addr is the client's address, IPv4-mapped IPv6 unmapped. It is
	// invalid (the zero Addr) when unknown: RemoteAddr is not an address,
	// or a trusted proxy wrote something unreadable where the client's
	// address should be. An unknown client is never replaced by a guess,
	// since a ticket bound to a guess would be bound to the wrong client.
	Addr netip.Addr
	// Proxied is true when the peer is a trusted proxy, so the forwarding
	// headers were read.
	Proxied bool
	// AddrForwarded is true when a trusted proxy named the client in its
	// header (ClientIPHeader); false when Addr is the peer's own address,
	// as a proxy that sends no header leaves it.
	AddrForwarded bool
	// HTTPS is true when the client spoke TLS: to us, or to the trusted
	// proxy that says so (the proxy's word wins over our own connection,
	// since the client's scheme is what its browser enforces).
	HTTPS bool
	// Host is the host the client asked for, with any port: r.Host, or
	// what a trusted proxy forwarded if it is a valid URL authority.
	Host string
	// HostForwarded is true when Host came from a trusted proxy's header
	// (X-Forwarded-Host, or the host of a Forwarded element) rather than
	// from the request itself.
	HostForwarded bool
}

// Check reports every invalid trusted prefix and an unknown Header at once.
func (c ClientAddrConfig) Check() error {
	var errs []error
	for i, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("trusted proxy %d is not a valid prefix", i+1))
		}
	}
	if _, ok := c.mode(); !ok {
		errs = append(errs, fmt.Errorf("client IP header %q: use %s or %s", c.ClientIPHeader, HeaderXForwardedFor, HeaderForwarded))
	}
	return errors.Join(errs...)
}

// mode tells which header Header names; ok is false for anything else.
func (c ClientAddrConfig) mode() (forwarded, ok bool) {
	switch {
	case c.ClientIPHeader == "" || c.ClientIPHeader == HeaderXForwardedFor || strings.EqualFold(c.ClientIPHeader, HeaderXForwardedFor):
		return false, true
	case c.ClientIPHeader == HeaderForwarded || strings.EqualFold(c.ClientIPHeader, HeaderForwarded):
		return true, true
	}
	return false, false
}

func (c ClientAddrConfig) isTrusted(a netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Origin reads the peer from RemoteAddr. Only when the peer is a trusted
// proxy does it read the forwarding header, from the right: each hop
// appends the address it saw, so the right-most address that is not one of
// our proxies is the first one a client could not have forged. A
// malformed entry before that point means a trusted hop wrote garbage: the
// client is then unknown rather than guessed.
func (c ClientAddrConfig) Origin(r *http.Request) ClientOrigin {
	o := ClientOrigin{Addr: parsePeer(r.RemoteAddr), HTTPS: r.TLS != nil, Host: r.Host}
	forwarded, ok := c.mode()
	if !ok || len(c.TrustedProxies) == 0 || !o.Addr.IsValid() || !c.isTrusted(o.Addr) {
		return o
	}
	o.Proxied = true
	if forwarded {
		if f := r.Header[HeaderForwarded]; !blank(f) {
			o.AddrForwarded = true
			c.fromForwarded(f, &o)
		}
		return o
	}
	// Without the header the proxy itself is the client (a health check,
	// say): the peer address stands.
	if xff := r.Header[HeaderXForwardedFor]; len(xff) > 0 && !blank(xff) { // canonical keys: no folding on the hot path
		o.Addr, o.AddrForwarded = c.walk(listFromRight(xff), o.Addr), true
	}
	if p := lastListValue(r.Header["X-Forwarded-Proto"]); p != "" {
		o.HTTPS = strings.EqualFold(p, "https")
	}
	if h := lastListValue(r.Header["X-Forwarded-Host"]); validHost(h) {
		o.Host, o.HostForwarded = h, true
	}
	return o
}

// blank reports whether header lines hold nothing at all: a proxy that
// names no client (nginx's $http_x_forwarded_for when the client sent
// none), which is the same as no header.
func blank(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return true
}

// walk goes through forwarded node names from the right, starting at the
// trusted peer, and returns the first untrusted address; the left-most
// address when every hop is trusted; an invalid Addr when the chain breaks.
func (c ClientAddrConfig) walk(nodes iter.Seq[string], peer netip.Addr) netip.Addr {
	last := peer
	for n := range nodes {
		a, ok := parseNode(n)
		if !ok || a.IsUnspecified() {
			// 0.0.0.0 or :: is no client: tickets bound to it are
			// unbound ones, so a forged one would turn binding off.
			return netip.Addr{}
		}
		last = a
		if !c.isTrusted(a) {
			break
		}
	}
	return last
}

func (c ClientAddrConfig) fromForwarded(lines []string, o *ClientOrigin) {
	var elems []forwardedElement
	for _, l := range lines {
		elems = appendForwarded(elems, l)
	}
	if len(elems) == 0 {
		return
	}
	chosen := -1
	o.Addr = c.walk(func(yield func(string) bool) {
		for i := len(elems) - 1; i >= 0; i-- {
			chosen = i
			if !yield(elems[i].forNode) {
				return
			}
		}
	}, o.Addr)
	if !o.Addr.IsValid() {
		return
	}
	// The element that named the client was written by the proxy the
	// client talked to: its proto and host are what the client used.
	e := elems[chosen]
	if e.proto != "" {
		o.HTTPS = strings.EqualFold(e.proto, "https")
	}
	if validHost(e.host) {
		o.Host, o.HostForwarded = e.host, true
	}
}

// parsePeer reads RemoteAddr, "ip:port" as net/http sets it, or a bare
// address as some test harnesses do. IPv4-mapped IPv6 counts as IPv4.
func parsePeer(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// parseNode reads one forwarded node: "1.2.3.4", "1.2.3.4:80", "::1",
// "[::1]" or "[::1]:80". "unknown" and obfuscated names ("_hidden") are
// not addresses.
func parseNode(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		rest := s[end+1:]
		if rest != "" && !validPort(rest) {
			return netip.Addr{}, false
		}
		s = s[1:end]
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	}
	if i := strings.IndexByte(s, ':'); i >= 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		// exactly one colon: IPv4 with a port
		if !validPort(s[i:]) {
			return netip.Addr{}, false
		}
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validPort checks ":digits" (RFC 7239 also allows obfuscated ports, which
// say nothing we use, so those are accepted too).
func validPort(s string) bool {
	if len(s) < 2 || s[0] != ':' {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if !('0' <= c && c <= '9' || c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// listFromRight yields the comma-separated elements of header lines, the
// last element of the last line first, without allocating.
func listFromRight(lines []string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := len(lines) - 1; i >= 0; i-- {
			l := lines[i]
			for {
				j := strings.LastIndexByte(l, ',')
				if !yield(strings.TrimSpace(l[j+1:])) {
					return
				}
				if j < 0 {
					break
				}
				l = l[:j]
			}
		}
	}
}

// lastListValue is the right-most element of a comma-separated header:
// the one the nearest (trusted) proxy wrote.
func lastListValue(lines []string) string {
	for v := range listFromRight(lines) {
		return v
	}
	return ""
}

// validHost accepts what SplitAuthority accepts: a forwarded host goes
// into Location headers and back URLs, so anything else is dropped.
func validHost(h string) bool {
	_, _, err := SplitAuthority(h)
	return err == nil
}

// forwardedElement is one hop of a Forwarded header.
type forwardedElement struct {
	forNode, proto, host string
}

// appendForwarded parses one Forwarded header line (RFC 7239): elements
// separated by ',', pairs by ';', values tokens or quoted strings. A pair
// it cannot read ends its element with what was read so far; an element
// without "for" has an empty node, which the walk treats as garbage.
func appendForwarded(out []forwardedElement, line string) []forwardedElement {
	var e forwardedElement
	for i := 0; ; {
		// skip whitespace
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return append(out, e)
		}
		switch line[i] {
		case ',':
			out = append(out, e)
			e = forwardedElement{}
			i++
			continue
		case ';':
			i++
			continue
		}
		eq := strings.IndexByte(line[i:], '=')
		if eq < 0 {
			return append(out, e)
		}
		key := strings.TrimSpace(line[i : i+eq])
		i += eq + 1
		var val string
		val, i = forwardedValue(line, i)
		switch strings.ToLower(key) {
		case "for":
			e.forNode = val
		case "proto":
			e.proto = val
		case "host":
			e.host = val
		}
	}
}

// forwardedValue reads a token or quoted string starting at line[i] and
// returns it with the index after it.
func forwardedValue(line string, i int) (string, int) {
	if i < len(line) && line[i] == '"' {
		var b strings.Builder
		for i++; i < len(line); i++ {
			switch c := line[i]; c {
			case '\\':
				if i+1 < len(line) {
					i++
					b.WriteByte(line[i])
				}
			case '"':
				return b.String(), i + 1
			default:
				b.WriteByte(c)
			}
		}
		return b.String(), i // unterminated: what there is
	}
	j := i
	for j < len(line) && line[j] != ';' && line[j] != ',' {
		j++
	}
	return strings.TrimSpace(line[i:j]), j
}
