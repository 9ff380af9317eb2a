package config

import (
	"net"
	"net/netip"
	"strconv"
)

// OwnRedirects are the back URL destinations tktd knows to be its own
// besides the host the portal is reached at, allowed without
// allowed_redirects: the hosts of forward_auth.rules (the proxy in front
// of them asks tktd), and, when the gate is configured (gate.upstream),
// the gate's address. hosts are in allowed_redirects' syntax; ports are
// the gate's port, ours on whatever host the portal was reached at, since
// a gate listening on every address has no name of its own to list.
func (c Config) OwnRedirects() (hosts, ports []string) {
	for _, r := range c.ForwardAuth.Rules {
		hosts = append(hosts, r.Hosts...)
	}
	if c.Gate.Upstream == "" {
		return hosts, nil
	}
	host, port, err := net.SplitHostPort(c.Gate.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n <= 0 {
		return hosts, nil // Validate says so, or a service name: no port to match
	}
	if ip, err := netip.ParseAddr(host); host != "" && (err != nil || !ip.IsUnspecified()) {
		hosts = append(hosts, net.JoinHostPort(host, port))
	}
	return hosts, []string{port}
}
