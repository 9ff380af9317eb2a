package proxytest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// HAProxyAuthLua returns docs/haproxy/tkt-auth.lua, the forward-auth
// action for HAProxy 2.6+ (Lua 5.3, core.httpclient) that tkt hands out:
// HAProxy has no auth_request of its own. The tests run the very script
// the documentation tells users to copy to /etc/haproxy.
func HAProxyAuthLua(t testing.TB) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("proxytest: cannot tell where the source tree is")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "docs", "haproxy", "tkt-auth.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// HAProxy starts haproxy -db (foreground, no master-worker) with conf, the
// frontends and backends; "$PORT" and "$DIR" are replaced in it and a
// frontend must bind 127.0.0.1:$PORT.
//
// The harness writes global and defaults itself: logs to stderr (which
// LogTail shows), mode http, option httplog and short timeouts, so a stuck
// backend fails a test in seconds. files are written as they are (no
// placeholders replaced) into $DIR next to haproxy.cfg under their names (no
// directories); every one whose name ends in ".lua" is also loaded with
// lua-load, in name order, since lua-load belongs in the global section that
// the caller does not write.
func HAProxy(t testing.TB, conf string, files map[string]string) *Server {
	t.Helper()
	for name := range files {
		if name == "" || name != filepath.Base(name) || name == "haproxy.cfg" || name == "output.log" {
			t.Fatalf("proxytest: HAProxy file name %q: want a plain file name other than the harness's own", name)
		}
	}
	return run(t, haproxyProxy(conf, files))
}

func haproxyProxy(conf string, files map[string]string) proxy {
	return proxy{
		name:  "haproxy",
		bins:  []string{"haproxy", "/usr/sbin/haproxy"},
		hint:  "Debian package haproxy",
		write: func(dir string, port int) ([]string, error) { return writeHAProxy(dir, port, conf, files) },
	}
}

const haproxyGlobal = `global
	log stderr format raw local0 info
	# No CA bundle lookups for the Lua httpclient: the tests speak plain HTTP.
	httpclient.ssl.verify none
%s
defaults
	mode http
	log global
	option httplog
	timeout connect 2s
	timeout client 10s
	timeout server 10s
	timeout http-request 5s

`

func writeHAProxy(dir string, port int, conf string, files map[string]string) ([]string, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	var loads strings.Builder
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(files[name]), 0o644); err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".lua") {
			fmt.Fprintf(&loads, "\tlua-load %s\n", path)
		}
	}
	text := fmt.Sprintf(haproxyGlobal, loads.String()) + expand(conf, dir, port)
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return nil, err
	}
	return []string{"-db", "-f", path}, nil
}
