package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/tkt-sso/tkt/internal/config"
)

// listen opens the listener of setting key at addr. The two failures an
// operator meets, the port taken and a privileged port, are explained in
// terms of the setting and what to do, not of the system call.
func listen(key, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%s: %s is already in use: another program (another tktd?) listens there; stop it, or give %s a free address (%s)",
			key, addr, key, howToSet(key))
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("%s: %s: permission denied: ports below 1024 need root or the capability to bind them (setcap cap_net_bind_service=+ep on tktd); or listen on a port from 1024 up behind a proxy (%s)",
			key, addr, howToSet(key))
	}
	return nil, fmt.Errorf("%s: %w", key, err)
}

// howToSet names the ways to give the listen setting key a value.
func howToSet(key string) string {
	s := "in the configuration file, or " + config.EnvName(key)
	if key == "listen" || key == "gate.listen" {
		s += ", or --listen"
	}
	return s
}

// browseURL is a URL a person can open for a server listening at addr. A
// listener on every interface (":80", "0.0.0.0:80") reports its address
// as [::] or 0.0.0.0, which no browser opens: localhost stands for it,
// since it reaches the server from this machine, and from others the
// machine's own name does the same. The scheme's default port is left out.
func browseURL(scheme string, addr net.Addr, path string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String() + path
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
			return scheme + "://[" + host + "]" + path
		}
		return scheme + "://" + host + path
	}
	return scheme + "://" + net.JoinHostPort(host, port) + path
}
