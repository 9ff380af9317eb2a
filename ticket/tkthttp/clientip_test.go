package tkthttp

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testProxies = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("127.0.0.1/32"),
}

func testClientConfig(forwarded bool) ClientAddrConfig {
	if forwarded {
		return ClientAddrConfig{TrustedProxies: testProxies, ClientIPHeader: HeaderForwarded}
	}
	return ClientAddrConfig{TrustedProxies: testProxies}
}

func TestClientOrigin(t *testing.T) {
	type want struct {
		Addr    string // "" means invalid (unknown)
		Proxied bool
		HTTPS   bool
		Host    string
	}
	for _, c := range []struct {
		name      string
		forwarded bool
		cfg       *ClientAddrConfig // overrides forwarded
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
		// 0.0.0.0 and :: name no client: a ticket bound to them is an
		// unbound one, so taking them would turn binding off.
		{name: "xff-unspecified-v4", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"0.0.0.0"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "xff-unspecified-v6", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"::"}},
			want: want{Proxied: true, Host: "app.example"}},
		// A proxy that names nobody (an empty header) leaves its peer the
		// client, as if it had sent no header.
		{name: "xff-blank-is-absent", remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"", " "}},
			want: want{Addr: "10.0.0.1", Proxied: true, Host: "app.example"}},
		{name: "forwarded-blank-is-absent", forwarded: true, remote: "10.0.0.1:5", hdr: http.Header{"Forwarded": {""}},
			want: want{Addr: "10.0.0.1", Proxied: true, Host: "app.example"}},
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
		// From the portal's (web) former parser: a client-written prefix of
		// the chain is skipped, garbage between trusted hops is not.
		{name: "xff-one-proxy-https", remote: "10.0.0.1:1", hdr: http.Header{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}},
			want: want{Addr: "203.0.113.9", Proxied: true, HTTPS: true, Host: "app.example"}},
		{name: "xff-spoofed-left-part", remote: "10.0.0.1:1", hdr: http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.9, 10.0.0.2"}, "X-Forwarded-Proto": {"http"}},
			want: want{Addr: "203.0.113.9", Proxied: true, Host: "app.example"}},
		{name: "xff-garbage-between-trusted-hops", remote: "10.0.0.1:1", hdr: http.Header{"X-Forwarded-For": {"203.0.113.9, junk, 10.0.0.2"}},
			want: want{Proxied: true, Host: "app.example"}},
		{name: "zero-config-trusts-nobody", cfg: &ClientAddrConfig{}, remote: "10.0.0.1:5", hdr: http.Header{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"}},
			want: want{Addr: "10.0.0.1", Host: "app.example"}},
		{name: "header-any-case", cfg: &ClientAddrConfig{TrustedProxies: testProxies, ClientIPHeader: "forwarded"}, remote: "10.0.0.1:5",
			hdr: http.Header{"Forwarded": {"for=198.51.100.1"}, "X-Forwarded-For": {"203.0.113.9"}}, want: want{Addr: "198.51.100.1", Proxied: true, Host: "app.example"}},
		{name: "unknown-header-trusts-nobody", cfg: &ClientAddrConfig{TrustedProxies: testProxies, ClientIPHeader: "X-Real-IP"}, remote: "10.0.0.1:5",
			hdr: http.Header{"X-Real-Ip": {"198.51.100.1"}, "X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}}, want: want{Addr: "10.0.0.1", Host: "app.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: c.remote, Host: "app.example", Header: c.hdr}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			cfg := testClientConfig(c.forwarded)
			if c.cfg != nil {
				cfg = *c.cfg
			}
			o := cfg.Origin(r)
			got := want{Proxied: o.Proxied, HTTPS: o.HTTPS, Host: o.Host}
			if o.Addr.IsValid() {
				got.Addr = o.Addr.String()
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
	// the portal's (web) former FuzzClientIP seeds
	f.Add("10.0.0.1:1", "203.0.113.9, 10.0.0.2", "", false)
	f.Add("192.0.2.1:1", "1.2.3.4", "", false)
	f.Add("10.0.0.1:1", ",,junk,::1", "", false)
	f.Fuzz(func(t *testing.T, remote, xff, fwd string, forwarded bool) {
		r := &http.Request{RemoteAddr: remote, Host: "app.example", Header: http.Header{
			"X-Forwarded-For": {xff}, "Forwarded": {fwd}, "X-Forwarded-Host": {xff},
		}}
		cfg := testClientConfig(forwarded)
		o := cfg.Origin(r)
		again := cfg.Origin(r)
		if o != again {
			t.Fatalf("not deterministic: %+v then %+v", o, again)
		}
		peer := parsePeer(remote)
		if !o.Proxied {
			if o.Addr != peer || o.Host != "app.example" {
				t.Fatalf("untrusted peer %q, yet client %v host %q", remote, o.Addr, o.Host)
			}
			return
		}
		if !cfg.isTrusted(peer) {
			t.Fatalf("proxied from untrusted peer %v", peer)
		}
		if o.Addr.Is4In6() {
			t.Fatalf("mapped address %v", o.Addr)
		}
		if o.Addr.IsValid() && o.Addr.Zone() != "" {
			t.Fatalf("address with a zone %v", o.Addr)
		}
		if o.Host != "app.example" && (!validHost(o.Host) || strings.ContainsAny(o.Host, "/\\ \r\n\"")) {
			t.Fatalf("unsafe host %q", o.Host)
		}
		if o.Addr.IsValid() && o.Addr != peer && !headerNames(o.Addr, xff, fwd, forwarded) {
			t.Fatalf("client %v is neither the peer nor named in the header", o.Addr)
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

func TestClientAddrConfigCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  ClientAddrConfig
		want []string // substrings of the error; none means valid
	}{
		{name: "zero", cfg: ClientAddrConfig{}},
		{name: "xff", cfg: ClientAddrConfig{TrustedProxies: testProxies, ClientIPHeader: HeaderXForwardedFor}},
		{name: "forwarded-lower-case", cfg: ClientAddrConfig{ClientIPHeader: "forwarded"}},
		{name: "unmasked-prefix", cfg: ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}}},
		{name: "invalid-prefix-and-header", cfg: ClientAddrConfig{TrustedProxies: []netip.Prefix{testProxies[0], {}}, ClientIPHeader: "X-Real-IP"},
			want: []string{"trusted proxy 2 is not a valid prefix", `client IP header "X-Real-IP"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Check()
			if (err != nil) != (len(c.want) > 0) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// BenchmarkClientOrigin is the per-request cost every validator and the
// portal pay: a direct client, the usual X-Forwarded-For chain through two
// trusted proxies, and RFC 7239 Forwarded.
func BenchmarkClientOrigin(b *testing.B) {
	for _, c := range []struct {
		name      string
		forwarded bool
		remote    string
		hdr       http.Header
		want      string
	}{
		{name: "direct", remote: "203.0.113.1:40000", want: "203.0.113.1"},
		{name: "xff", remote: "10.0.0.1:40000", want: "198.51.100.1", hdr: http.Header{
			"X-Forwarded-For": {"6.6.6.6, 198.51.100.1, 10.2.2.2"}, "X-Forwarded-Proto": {"https"}}},
		{name: "forwarded", forwarded: true, remote: "10.0.0.1:40000", want: "198.51.100.1", hdr: http.Header{
			"Forwarded": {`for=6.6.6.6, for=198.51.100.1;proto=https;host=app.example, for="[fd00::2]:80"`}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := &http.Request{RemoteAddr: c.remote, Host: "app.example", Header: c.hdr}
			cfg := testClientConfig(c.forwarded)
			var o ClientOrigin
			b.ReportAllocs()
			for b.Loop() {
				o = cfg.Origin(r)
			}
			if o.Addr.String() != c.want {
				b.Fatalf("client %v, want %s", o.Addr, c.want)
			}
		})
	}
}

// AddrForwarded tells a client named by the trusted proxy from the
// proxy's own address standing in for it.
func TestClientOriginAddrForwarded(t *testing.T) {
	c := ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, tc := range []struct {
		hdr  http.Header
		want bool
	}{
		{nil, false},
		{http.Header{"X-Forwarded-For": {" "}}, false},
		{http.Header{"X-Forwarded-For": {"198.51.100.1"}}, true},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr, r.Header = "10.0.0.1:5", tc.hdr
		if got := c.Origin(r).AddrForwarded; got != tc.want {
			t.Errorf("%v: AddrForwarded %v, want %v", tc.hdr, got, tc.want)
		}
	}
	c.ClientIPHeader = HeaderForwarded
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr, r.Header = "10.0.0.1:5", http.Header{"Forwarded": {"for=198.51.100.1"}}
	if !c.Origin(r).AddrForwarded {
		t.Error("Forwarded: AddrForwarded false")
	}
}
