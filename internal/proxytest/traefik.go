package proxytest

import (
	"os"
	"path/filepath"
	"testing"
)

// TraefikBin is the command that runs Traefik's forwardAuth middleware:
// internal/proxytest/traefik, built by .ci/run (Debian packages no
// Traefik).
const TraefikBin = "tkt-traefik-forwardauth"

// Traefik starts Traefik's own forwardAuth and headers middlewares behind
// its entry point's X-Forwarded-* handling, as internal/proxytest/traefik
// builds them, with conf: that command's JSON configuration, whose "listen"
// should be "127.0.0.1:$PORT". Its middlewares are Traefik's dynamic
// configuration, field for field; its routers match path prefixes in order.
func Traefik(t testing.TB, conf string) *Server {
	t.Helper()
	return run(t, traefikProxy(conf))
}

func traefikProxy(conf string) proxy {
	return proxy{
		name: "traefik",
		bins: []string{TraefikBin},
		hint: "build it with: cd internal/proxytest/traefik && go build -o /usr/local/bin/" + TraefikBin + " .",
		write: func(dir string, port int) ([]string, error) {
			path := filepath.Join(dir, "traefik.json")
			if err := os.WriteFile(path, []byte(expand(conf, dir, port)), 0o644); err != nil {
				return nil, err
			}
			return []string{"-config", path}, nil
		},
	}
}
