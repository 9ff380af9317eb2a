package proxytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Caddy starts Caddy with site, the body of the one site block the harness
// writes, "http://:$PORT { bind 127.0.0.1 ... }"; "$PORT" and "$DIR" are
// replaced in it. (A site address http://127.0.0.1:PORT would bind every
// interface and match the Host header 127.0.0.1 only; this way Caddy listens
// on loopback only and serves whatever Host a test sends.)
//
// The harness writes the global options block so that Caddy talks to no one
// and writes nothing outside the temporary directory: admin off (no admin
// endpoint on :2019 to collide with another Caddy), auto_https off (no
// certificates, no ACME, no trust store), storage under $DIR, and a
// one-second grace period so SIGTERM ends it quickly. HOME, XDG_DATA_HOME and
// XDG_CONFIG_HOME point into $DIR as well: Caddy 2.6 knows no persist_config
// option and always saves its running config as
// $XDG_CONFIG_HOME/caddy/autosave.json. Caddy logs to stderr, which LogTail
// shows.
func Caddy(t testing.TB, site string) *Server {
	t.Helper()
	return run(t, caddyProxy(site))
}

func caddyProxy(site string) proxy {
	return proxy{
		name:  "caddy",
		bins:  []string{"caddy", "/usr/bin/caddy"},
		hint:  "Debian package caddy",
		write: func(dir string, port int) ([]string, error) { return writeCaddy(dir, port, site) },
		env: func(dir string) []string {
			return []string{"HOME=" + dir, "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
				"XDG_CONFIG_HOME=" + filepath.Join(dir, "config")}
		},
	}
}

const caddyGlobal = `{
	admin off
	auto_https off
	grace_period 1s
	storage file_system {
		root $DIR/data/caddy
	}
}

http://:$PORT {
	bind 127.0.0.1
`

func writeCaddy(dir string, port int, site string) ([]string, error) {
	text := expand(caddyGlobal, dir, port) + strings.TrimRight(expand(site, dir, port), "\n") + "\n}\n"
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return nil, err
	}
	return []string{"run", "--config", path, "--adapter", "caddyfile"}, nil
}
