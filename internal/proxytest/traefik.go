package proxytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Traefik starts the real Traefik (v3.6, built by internal/proxytest/traefik:
// Debian packages none) with dynamic, the test's dynamic configuration in
// YAML, as its file provider's file; "$PORT" and "$DIR" are replaced in it.
// Its routers and services are all the test's.
//
// The harness writes the static configuration: the entry point "web" on
// 127.0.0.1:$PORT, whose routers need no entryPoints of their own; the API
// on another loopback port, which the harness asks until the file's routers
// are in force, failing the start with Traefik's reasons when one of them is
// disabled (a missing service, say: Traefik itself only logs it and answers
// 404); no version check, no usage statistics, no dashboard, a one-second
// grace period so SIGTERM ends it quickly, and logs on stdout. dynamic must
// hold at least one router.
func Traefik(t testing.TB, dynamic string) *Server {
	t.Helper()
	return run(t, traefikProxy(dynamic))
}

const traefikStatic = `global: {checkNewVersion: false, sendAnonymousUsage: false}
entryPoints:
  web:
    address: "127.0.0.1:$PORT"
    transport: {lifeCycle: {graceTimeOut: 1s}}
  traefik:
    address: "127.0.0.1:%d"
    transport: {lifeCycle: {graceTimeOut: 1s}}
api: {insecure: true, dashboard: false}
providers:
  file: {filename: "$DIR/dynamic.yml", watch: false}
log: {level: DEBUG, noColor: true}
`

func traefikProxy(dynamic string) proxy {
	var api int // the API's port, chosen by write
	return proxy{
		name: "traefik",
		bins: []string{"traefik"},
		hint: "build it with: cd internal/proxytest/traefik && go build -o /usr/local/bin/traefik github.com/traefik/traefik/v3/cmd/traefik",
		write: func(dir string, port int) ([]string, error) {
			var err error
			if api, err = freePort(); err != nil {
				return nil, err
			}
			static := filepath.Join(dir, "traefik.yml")
			if err := os.WriteFile(static, []byte(expand(fmt.Sprintf(traefikStatic, api), dir, port)), 0o644); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, "dynamic.yml"), []byte(expand(dynamic, dir, port)), 0o644); err != nil {
				return nil, err
			}
			return []string{"--configFile=" + static}, nil
		},
		ready: func(*Server) (bool, error) { return traefikRouters(api) },
	}
}

// traefikRouters asks Traefik's API whether the file's routers are in
// force: false until they are listed, an error naming every one Traefik
// has disabled and why.
func traefikRouters(api int) (bool, error) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(api) + "/api/http/routers")
	if err != nil {
		return false, nil // not up yet
	}
	defer resp.Body.Close()
	var routers []struct {
		Name   string   `json:"name"`
		Status string   `json:"status"`
		Errors []string `json:"error"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&routers) != nil {
		return false, nil
	}
	var found bool
	var errs []error
	for _, r := range routers {
		if !strings.HasSuffix(r.Name, "@file") {
			continue
		}
		found = true
		if r.Status != "enabled" {
			errs = append(errs, fmt.Errorf("router %s is %s: %s", r.Name, r.Status, strings.Join(r.Errors, "; ")))
		}
	}
	return found, errors.Join(errs...)
}
