package config

import (
	"slices"
	"testing"
)

// Each source of a default back URL destination: the rules' hosts, and the
// gate's address when the gate is configured, by name when it listens on
// one address and by port on the portal's host either way.
func TestOwnRedirects(t *testing.T) {
	rules := []AuthRule{{Hosts: []string{"admin.example.com"}}, {Paths: []string{"/x"}}, {Hosts: []string{".wiki.example.com"}}}
	tests := []struct {
		name              string
		listen, upstream  string
		wantHosts, wantPo []string
	}{
		{"no gate", "127.0.0.1:8081", "", []string{"admin.example.com", ".wiki.example.com"}, nil},
		{"gate on loopback", "127.0.0.1:8081", "http://127.0.0.1:9000", []string{"admin.example.com", ".wiki.example.com", "127.0.0.1:8081"}, []string{"8081"}},
		{"gate by name", "gate.example.com:443", "http://127.0.0.1:9000", []string{"admin.example.com", ".wiki.example.com", "gate.example.com:443"}, []string{"443"}},
		{"gate on IPv6", "[::1]:8081", "http://127.0.0.1:9000", []string{"admin.example.com", ".wiki.example.com", "[::1]:8081"}, []string{"8081"}},
		{"gate everywhere", "0.0.0.0:8081", "http://127.0.0.1:9000", []string{"admin.example.com", ".wiki.example.com"}, []string{"8081"}},
		{"gate everywhere, no host", ":8081", "http://127.0.0.1:9000", []string{"admin.example.com", ".wiki.example.com"}, []string{"8081"}},
		{"gate on a service name", "127.0.0.1:http", "http://127.0.0.1:9000", []string{"admin.example.com", ".wiki.example.com"}, nil},
	}
	for _, tt := range tests {
		c := Defaults()
		c.ForwardAuth.Rules = rules
		c.Gate.Listen, c.Gate.Upstream = tt.listen, tt.upstream
		hosts, ports := c.OwnRedirects()
		if !slices.Equal(hosts, tt.wantHosts) || !slices.Equal(ports, tt.wantPo) {
			t.Errorf("%s: %q %q, want %q %q", tt.name, hosts, ports, tt.wantHosts, tt.wantPo)
		}
	}
}
