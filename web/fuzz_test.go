package web

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// FuzzHostList: an allow-list entry either fails to parse or admits exactly
// what it names.
func FuzzHostList(f *testing.F) {
	for _, s := range []string{"app.example.com", ".example.com", "h:8080", "[::1]:80", "user@h", "h:", "xn--bcher-kva.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		l, err := parseHostList([]string{entry})
		if err != nil {
			return
		}
		e := strings.ToLower(strings.TrimSpace(entry))
		if d, ok := strings.CutPrefix(e, "."); ok {
			if !l.allows(d, "") || !l.allows("x."+d, "1") || l.allows("x"+d, "") {
				t.Fatalf("suffix %q misbehaves", e)
			}
			return
		}
		host, port, _ := splitAuthority(e)
		if !l.allows(host, port) || strings.ContainsAny(host, "@/\\%?#") {
			t.Fatalf("entry %q: host %q port %q", e, host, port)
		}
	})
}

// FuzzGuestPattern: a pattern either fails or expands to a name a ticket
// can carry.
func FuzzGuestPattern(f *testing.F) {
	for _, s := range []string{"guest", "%U", "g%8U", "%36U-x", "%", "%0U", "%99U"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		g, err := newGuestUser(GuestOptions{User: pattern})
		if err != nil {
			return
		}
		if n := g.name(); n == "" || strings.ContainsAny(n, "!\x00") {
			t.Fatalf("pattern %q gives %q", pattern, n)
		}
	})
}

// FuzzClientIP: whatever X-Forwarded-For holds, the client address is the
// peer or one of the listed addresses, never something made up.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:1", "203.0.113.9, 10.0.0.2")
	f.Add("192.0.2.1:1", "1.2.3.4")
	f.Add("10.0.0.1:1", ",,junk,::1")
	ps := proxies{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		ci := ps.client(r)
		if !ci.ip.IsValid() {
			return
		}
		peer := netip.Addr{}
		if ap, err := netip.ParseAddrPort(remote); err == nil {
			peer = ap.Addr().Unmap()
		} else if a, err := netip.ParseAddr(remote); err == nil {
			peer = a.Unmap() // a bare address is accepted too
		}
		if ci.ip == peer {
			return
		}
		if !ps.trusted(peer) {
			t.Fatalf("untrusted peer %q: client %s from XFF", remote, ci.ip)
		}
		found := false
		for h := range strings.SplitSeq(xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil && a.Unmap() == ci.ip {
				found = true
			}
		}
		if !found {
			t.Fatalf("client %s is in neither %q nor %q", ci.ip, remote, xff)
		}
	})
}
