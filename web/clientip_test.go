package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	ps := proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name, remote, xff, proto string
		want                     string
		secure                   bool
	}{
		{"direct", "192.0.2.1:1", "", "", "192.0.2.1", false},
		{"direct ignores XFF", "192.0.2.1:1", "203.0.113.9", "https", "192.0.2.1", false},
		{"mapped", "[::ffff:192.0.2.1]:1", "", "", "192.0.2.1", false},
		{"ipv6", "[2a00::1]:1", "", "", "2a00::1", false},
		{"one proxy", "10.0.0.1:1", "203.0.113.9", "https", "203.0.113.9", true},
		{"spoofed left part ignored", "10.0.0.1:1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "http", "203.0.113.9", false},
		{"all trusted", "10.0.0.1:1", "10.0.0.3, 10.0.0.2", "", "10.0.0.3", false},
		{"garbage stops the walk", "10.0.0.1:1", "203.0.113.9, junk, 10.0.0.2", "", "10.0.0.2", false},
		{"empty XFF", "10.0.0.1:1", "", "", "10.0.0.1", false},
		{"v6 proxy", "[2001:db8::5]:1", "2a00::7", "", "2a00::7", false},
		{"unparsable remote", "pipe", "203.0.113.9", "", "invalid IP", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		ci := ps.client(r)
		if ci.ip.String() != tt.want || ci.secure != tt.secure {
			t.Errorf("%s: got %s secure=%v, want %s secure=%v", tt.name, ci.ip, ci.secure, tt.want, tt.secure)
		}
	}
}
