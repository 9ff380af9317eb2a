package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestHostListsAgree: the host allow-lists (url_ticket_hosts,
// allowed_redirects, forward_auth.rules[].hosts) have one parser, so
// `tktctl config check` (config.Parse) and serve's own validation (the app
// built from the settings as they stand, without config.Validate) give
// every entry of testdata/host-lists.json the same verdict, the one the
// file expects, and config check names the key of every refused entry.
func TestHostListsAgree(t *testing.T) {
	var lists struct{ Good, Bad []string }
	testenv.ReadJSON(t, "../../testdata/host-lists.json", &lists)
	base := config.Defaults()
	base.DataDir = t.TempDir()
	if _, err := base.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	settings := []struct {
		key  string
		yaml func(entry string) string
		set  func(c *config.Config, entry string)
		port bool // entries with a port are refused
	}{
		{"url_ticket_hosts[0]", func(e string) string { return "url_ticket_hosts: [" + e + "]" },
			func(c *config.Config, e string) { c.URLTicketHosts = []string{e} }, false},
		{"url_ticket_http_hosts[0]", func(e string) string { return "url_ticket_http_hosts: [" + e + "]" },
			func(c *config.Config, e string) { c.URLTicketHTTPHosts = []string{e} }, false},
		{"allowed_redirects[0]", func(e string) string { return "allowed_redirects: [" + e + "]" },
			func(c *config.Config, e string) { c.AllowedRedirects = []string{e} }, false},
		{"forward_auth.rules[0].hosts[0]", func(e string) string { return "forward_auth: {rules: [{hosts: [" + e + "]}]}" },
			func(c *config.Config, e string) { c.ForwardAuth.Rules = []config.AuthRule{{Hosts: []string{e}}} }, true},
	}
	log := newLogger(config.Log{Level: "error", Format: "json"}, &bytes.Buffer{})
	for _, s := range settings {
		for i, entry := range append(lists.Good, lists.Bad...) {
			quoted, _ := json.Marshal(entry) // JSON is YAML
			want := i < len(lists.Good) && !(s.port && hasPort(entry))

			_, checkErr := config.Parse([]byte(s.yaml(string(quoted))+"\n"), nil)
			c := base
			s.set(&c, entry)
			a, serveErr := newApp(context.Background(), c, log, newMetrics("test"))
			if serveErr == nil {
				a.close()
			}
			if (checkErr == nil) != want || (serveErr == nil) != want {
				t.Errorf("%s %q: want ok=%v; config check: %v; serve: %v", s.key, entry, want, checkErr, serveErr)
				continue
			}
			if checkErr != nil && !strings.Contains(checkErr.Error(), s.key+": ") {
				t.Errorf("%s %q: config check's error does not name the key: %v", s.key, entry, checkErr)
			}
		}
	}
}

// hasPort tells "host:port" and "[v6]:port" from "host" and "[v6]".
func hasPort(entry string) bool {
	e := strings.TrimSpace(entry)
	return strings.LastIndexByte(e, ':') > strings.LastIndexByte(e, ']')
}

// TestServeNamesTheHostListKey: tktd serve refuses a bad host entry at
// start, naming the key, as config check does (the issue that found two
// parsers: serve failed with a message that named no key).
func TestServeNamesTheHostListKey(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ yaml, want string }{
		{"url_ticket_hosts: [app.example.com.]\n", `url_ticket_hosts[0]: "app.example.com.": drop the trailing dot`},
		{"allowed_redirects: [ok.example, 'https://app.example']\n", `allowed_redirects[1]: "https://app.example": give the host only`},
	} {
		file := filepath.Join(dir, "tktd.yaml")
		if err := os.WriteFile(file, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := run(&env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }},
			[]string{"serve", "--config", file, "--data-dir", filepath.Join(dir, "data")})
		if code != exitConfig || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.yaml, code, errb.String(), c.want)
		}
	}
}
