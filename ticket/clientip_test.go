package ticket

import (
	"crypto/tls"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testResolver(forwarded bool) clientResolver {
	return clientResolver{forwarded: forwarded, trusted: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("127.0.0.1/32"),
	}}
}

func TestResolveClient(t *testing.T) {
	type want struct {
		Addr    string // "" means invalid (unknown)
		Proxied bool
		HTTPS   bool
		Host    string
	}
	for _, c := range []struct {
		name      string
		forwarded bool
		remote    string
		tls       bool
		hdr       http.Header
		want      want
	}{
		{name: "direct", remote: "203.0.113.1:5", want: want{Addr: "203.0.113.1", Host: "app.example"}},
		{name: "direct-tls", remote: "203.0.113.1:5", tls: true, want: want{Addr: "203.0.113.1", HTTPS: true, Host: "app.example"}},
		{name: "direct-ipv6", remote: "[2001:db8::1]:5", want: want{Addr: "2001:db8::1", Host: "app.example"}},
		{name: "direct-mapped", remote: "[::ffff:203.0.113.1]:5", want: want{Addr: "203.0.113.1", Host: "app.example"}},
		{name: "no-port", remote: "203.0.113.1", want: want{Addr: "203.0.113.1", Host: "app.example"}},
		{name: "unparsable-peer", remote: "pipe", hdr: http.Header{"X-Forwarded-For": {"1.2.3.4"}}, want: want{Host: "app.example"}},
		{name: "untrusted-with-headers", remote: "203.0.113.1:5",
			hdr:  http.Header{"X-Forwarded-For": {"1.2.3.4"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.example"}},
			want: want{Addr: "203.0.113.1", Host: "app.example"}},
		{name: "trusted-no-header", remote: "10.0.0.1:5", want: want{Addr: "10.0.0.1", Proxied: true, Host: "app.example"}},
		{name: "xff-one", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			want: want{Addr: "198.51.100.1", Proxied: true, Host: "app.example"}},
		{name: "xff-chain-and-lines", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1", "10.2.2.2 ,10.3.3.3"}},
			want: want{Addr: "198.51.100.1", Proxied: true, Host: "app.example"}},
		{name: "xff-all-trusted-leftmost", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"10.9.9.9, 127.0.0.1"}},
			want: want{Addr: "10.9.9.9", Proxied: true, Host: "app.example"}},
		{name: "xff-with-ports", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"[2001:db8::7]:443, 198.51.100.1:80"}},
			want: want{Addr: "198.51.100.1", Proxied: true, Host: "app.example"}},
		{name: "xff-ipv6-bare", remote: "[fd00::1]:5", hdr: http.Header{"X-Forwarded-For": {"2001:db8::7"}},
			want: want{Addr: "2001:db8::7", Proxied: true, Host: "app.example"}},
		{name: "xff-garbage-right", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"198.51.100.1, junk"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "xff-garbage-left-of-client", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"junk, 198.51.100.1"}},
			want: want{Addr: "198.51.100.1", Proxied: true, Host: "app.example"}},
		{name: "xff-empty-element", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"198.51.100.1,"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "xff-zone-refused", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"fe80::1%eth0"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "x-forwarded-proto-host-last", remote: "10.0.0.1:5",
			hdr:  http.Header{"X-Forwarded-Proto": {"http, https"}, "X-Forwarded-Host": {"a.example", "b.example:8443"}},
			want: want{Addr: "10.0.0.1", Proxied: true, HTTPS: true, Host: "b.example:8443"}},
		{name: "x-forwarded-proto-http-over-tls", remote: "10.0.0.1:5", tls: true, hdr: http.Header{"X-Forwarded-Proto": {"http"}},
			want: want{Addr: "10.0.0.1", Proxied: true, Host: "app.example"}},
		{name: "x-forwarded-host-bad", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-Host": {"a b"}},
			want: want{Addr: "10.0.0.1", Proxied: true, Host: "app.example"}},
		{name: "forwarded", forwarded: true, remote: "10.0.0.1:5",
			hdr:  http.Header{"Forwarded": {`for=6.6.6.6;proto=http, For="[2001:db8::9]:80";Proto=HTTPS;host="x.example", for=10.1.1.1;proto=http;host=inner`}},
			want: want{Addr: "2001:db8::9", Proxied: true, HTTPS: true, Host: "x.example"}},
		{name: "forwarded-unknown", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"Forwarded": {"for=unknown"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "forwarded-obfuscated", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"Forwarded": {"for=_hidden, for=10.1.1.1"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "forwarded-no-for", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"Forwarded": {"proto=https"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "forwarded-quoted-comma", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"Forwarded": {`for="198.51.100.1";host="a,b"`}},
			want: want{Addr: "198.51.100.1", Proxied: true, Host: "app.example"}},
		{name: "forwarded-all-trusted", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"Forwarded": {"for=10.5.5.5;proto=https", "for=10.6.6.6"}},
			want: want{Addr: "10.5.5.5", Proxied: true, HTTPS: true, Host: "app.example"}},
		{name: "forwarded-mode-ignores-xff", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}},
			want: want{Addr: "10.0.0.1", Proxied: true, Host: "app.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.remote, Host: "app.example", Header: c.hdr}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			res := testResolver(c.forwarded)
			o := res.resolve(r)
			got := want{Proxied: o.proxied, HTTPS: o.https, Host: o.host}
			if o.addr.IsValid() {
				got.Addr = o.addr.String()
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// FuzzClientIP: whatever the headers say, the client address is the peer
// unless the peer is trusted; an address taken from a header is never a
// trusted one unless every hop was; addresses come out unmapped; and the
// host is always safe to put in a Location header.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:5", "198.51.100.1, 10.2.2.2", `for="[2001:db8::9]:80";proto=https;host="x"`, false)
	f.Add("10.0.0.1:5", "", `for=6.6.6.6, for="_x";by=1, for=unknown`, true)
	f.Add("203.0.113.1:5", "1.2.3.4", "for=1.2.3.4", true)
	f.Add("[::ffff:10.0.0.1]:1", "::ffff:1.2.3.4,[::1]:9", `for="\"quoted\\";host=a b`, true)
	f.Add("10.0.0.1:5", "", `for=1.2.3.4;host="`, true)
	f.Fuzz(func(t *testing.T, remote, xff, fwd string, forwarded bool) {
		r := &http.Request{RemoteAddr: remote, Host: "app.example", Header: http.Header{
			"X-Forwarded-For": {xff}, "Forwarded": {fwd}, "X-Forwarded-Host": {xff},
		}}
		res := testResolver(forwarded)
		o := res.resolve(r)
		again := res.resolve(r)
		if o != again {
			t.Fatalf("not deterministic: %+v then %+v", o, again)
		}
		peer := parsePeer(remote)
		if !o.proxied {
			if o.addr != peer || o.host != "app.example" {
				t.Fatalf("untrusted peer %q, yet client %v host %q", remote, o.addr, o.host)
			}
			return
		}
		if !res.isTrusted(peer) {
			t.Fatalf("proxied from untrusted peer %v", peer)
		}
		if o.addr.Is4In6() {
			t.Fatalf("mapped address %v", o.addr)
		}
		if o.addr.IsValid() && o.addr.Zone() != "" {
			t.Fatalf("address with a zone %v", o.addr)
		}
		if o.host != "app.example" && (!validHost(o.host) || strings.ContainsAny(o.host, "/\\ \r\n\"")) {
			t.Fatalf("unsafe host %q", o.host)
		}
		if o.addr.IsValid() && o.addr != peer && !headerNames(o.addr, xff, fwd, forwarded) {
			t.Fatalf("client %v is neither the peer nor named in the header", o.addr)
		}
	})
}

// headerNames reports whether the forwarding header in use names a.
func headerNames(a netip.Addr, xff, fwd string, forwarded bool) bool {
	var nodes []string
	if forwarded {
		for _, e := range appendForwarded(nil, fwd) {
			nodes = append(nodes, e.forNode)
		}
	} else {
		nodes = strings.Split(xff, ",")
	}
	for _, n := range nodes {
		if b, ok := parseNode(n); ok && b == a {
			return true
		}
	}
	return false
}

func TestParseNode(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4": "1.2.3.4", " 1.2.3.4 ": "1.2.3.4", "1.2.3.4:80": "1.2.3.4", "1.2.3.4:_x": "1.2.3.4",
		"::1": "::1", "[::1]": "::1", "[::1]:443": "::1", "::ffff:1.2.3.4": "1.2.3.4", "[::ffff:1.2.3.4]:1": "1.2.3.4",
		"": "", "unknown": "", "_hidden": "", "1.2.3.4:": "", "1.2.3.4:8 0": "", "[1.2.3.4]": "", "[::1": "", "[::1]x": "",
		"fe80::1%eth0": "", "[fe80::1%eth0]": "", "1.2.3": "", "01.2.3.4": "",
	} {
		a, ok := parseNode(in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("parseNode(%q) = %q, want %q", in, got, want)
		}
	}
}
