package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestBrowseURL(t *testing.T) {
	tests := []struct {
		scheme, addr, want string
	}{
		{"http", "[::]:80", "http://localhost/login"},
		{"http", "0.0.0.0:8080", "http://localhost:8080/login"},
		{"https", "[::]:443", "https://localhost/login"},
		{"https", "[::]:80", "https://localhost:80/login"},
		{"http", "127.0.0.1:8080", "http://127.0.0.1:8080/login"},
		{"http", "[::1]:8080", "http://[::1]:8080/login"},
		{"http", "[::1]:80", "http://[::1]/login"},
		{"http", "192.0.2.7:80", "http://192.0.2.7/login"},
	}
	for _, tt := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := browseURL(tt.scheme, addr, "/login"); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.scheme, tt.addr, got, tt.want)
		}
	}
}

// runServe runs tktd in-process with args and the environment env, and
// returns its exit code and stderr.
func runServe(t *testing.T, vars map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	code := run(&env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] },
		environ: func() []string { return environ }}, args)
	return code, errb.String()
}

// TestListenTaken: an address another program holds is named with its
// setting and the ways to change it, not as the bare "bind: address
// already in use".
func TestListenTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	dataDir := filepath.Join(t.TempDir(), "data")

	code, stderr := runServe(t, nil, "serve", "--listen", addr, "--data-dir", dataDir)
	want := "tktd: listen: " + addr + " is already in use: another program (another tktd?) listens there; stop it, or give listen a free address (in the configuration file, or TKT_LISTEN, or --listen)\n"
	if code != exitFailed || !strings.HasSuffix(stderr, want) {
		t.Errorf("listen: exit %d, stderr %q\nwant %q", code, stderr, want)
	}

	code, stderr = runServe(t, map[string]string{"TKT_SERVER_METRICS_LISTEN": addr}, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	want = "tktd: server.metrics_listen: " + addr + " is already in use: another program (another tktd?) listens there; stop it, or give server.metrics_listen a free address (in the configuration file, or TKT_SERVER_METRICS_LISTEN)\n"
	if code != exitFailed || !strings.HasSuffix(stderr, want) {
		t.Errorf("metrics_listen: exit %d, stderr %q\nwant %q", code, stderr, want)
	}
}

// TestMistypedEnv: a TKT_ variable one typo away from a setting's stops
// tktd as an unknown YAML key does, naming the variable it resembles.
func TestMistypedEnv(t *testing.T) {
	code, stderr := runServe(t, map[string]string{"TKT_LISTN": "127.0.0.1:0", "TKT_SECRET": "tktctl's"},
		"serve", "--data-dir", filepath.Join(t.TempDir(), "data"))
	if want := "tktd: TKT_LISTN: not a setting (did you mean TKT_LISTEN?)\n"; code != exitConfig || stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", code, stderr, want)
	}
}
