package main

import (
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestE2EMetricsListen: with server.metrics_listen, /metrics leaves the
// portal's listener for an address of its own, where /healthz and /readyz
// answer too; the portal listens on every interface and logs a URL a
// browser opens, not http://[::]:PORT/login.
func TestE2EMetricsListen(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	opsAddr := testenv.FreeAddr(t)
	_, port, _ := net.SplitHostPort(testenv.FreeAddr(t))
	p := startTktd(t, tktdBin, []string{"TKT_SERVER_METRICS_LISTEN=" + opsAddr},
		"--data-dir", filepath.Join(t.TempDir(), "data"), "--listen", ":"+port)

	c := &http.Client{}
	if code, _ := get(t, c, p.base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the portal's listener: %d, want 404", code)
	}
	if code, _ := get(t, c, p.base+"/login"); code != http.StatusOK {
		t.Errorf("/login: %d", code)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		if code, body := get(t, c, "http://"+opsAddr+path); code != http.StatusOK {
			t.Errorf("%s on server.metrics_listen: %d %s", path, code, body)
		}
	}
	if _, body := get(t, c, "http://"+opsAddr+"/metrics"); !strings.Contains(body, "tkt_logins_total") {
		t.Errorf("/metrics lacks tkt_logins_total:\n%s", body)
	}
	for _, want := range []string{`"url":"http://localhost:` + port + `/login"`, `"url":"http://` + opsAddr + `/metrics"`} {
		if !strings.Contains(p.logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, p.logs.String())
		}
	}
	if strings.Contains(p.logs.String(), "[::]") {
		t.Errorf("the log names [::]:\n%s", p.logs.String())
	}
}

// TestE2EMetricsOnPortal: without server.metrics_listen, /metrics stays on
// the portal's listener, as configurations written before the setting
// expect, and a portal listening beyond loopback says how to move it.
func TestE2EMetricsOnPortal(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	_, port, _ := net.SplitHostPort(testenv.FreeAddr(t))
	p := startTktd(t, tktdBin, nil, "--data-dir", filepath.Join(t.TempDir(), "data"), "--listen", "0.0.0.0:"+port)
	if code, _ := get(t, &http.Client{}, p.base+"/metrics"); code != http.StatusOK {
		t.Errorf("/metrics: %d", code)
	}
	if !strings.Contains(p.logs.String(), "server.metrics_listen moves it") {
		t.Errorf("the log does not say how to move /metrics:\n%s", p.logs.String())
	}
}
