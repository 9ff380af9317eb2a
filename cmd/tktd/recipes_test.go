package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// The proxy recipes of docs/proxies.md are the configurations the tests
// run: each is read from the page, not kept in a copy here that could
// drift from what readers copy. Only what a test cannot run as written is
// replaced, each replacement checked to have happened exactly as the
// page's own comments describe it:
//
//   - the documented addresses of tktd (127.0.0.1:8080) and of the
//     application (127.0.0.1:9000) become the test's;
//   - the proxy listens on a free loopback port ($PORT) over plain HTTP
//     instead of 80 or 443, with the site address (Caddy) or bind line
//     (HAProxy) of the harness, and nginx writes the port into
//     X-Original-URL, as its block's comment says to on another port;
//   - HAProxy's global section (lua-load) and the host name
//     app.example.com belong to the harness: it loads
//     docs/haproxy/tkt-auth.lua itself, and a proxy with one site serves
//     any host.

// docsPage is docs/proxies.md.
func docsPage(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "proxies.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docsBlocks returns the first code block in lang under the heading of
// docs/proxies.md, and the first yaml block after it in the same section:
// the proxy's configuration and tktd's ("" when there is none).
func docsBlocks(t *testing.T, heading, lang string) (proxy, tktd string) {
	t.Helper()
	_, section, ok := strings.Cut(docsPage(t), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/proxies.md: no heading %q", heading)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	proxy, rest, ok := fence(section, lang)
	if !ok {
		t.Fatalf("docs/proxies.md: no %s block under %q", lang, heading)
	}
	tktd, _, _ = fence(rest, "yaml")
	return proxy, tktd
}

// fence returns the first ```lang block of text and what follows it.
func fence(text, lang string) (block, rest string, ok bool) {
	_, after, ok1 := strings.Cut(text, "```"+lang+"\n")
	block, rest, ok2 := strings.Cut(after, "```")
	return block, rest, ok1 && ok2
}

// replaceAll applies the pairs of old and new strings to conf, failing the
// test when one of the old strings is not there: the page changed, and
// the test must say how it runs the new one.
func replaceAll(t *testing.T, what, conf string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(conf, pairs[i]) {
			t.Fatalf("docs/proxies.md's %s configuration no longer holds %q", what, pairs[i])
		}
		conf = strings.ReplaceAll(conf, pairs[i], pairs[i+1])
	}
	for _, name := range []string{"127.0.0.1:8080", "127.0.0.1:9000", "app.example.com"} {
		if strings.Contains(conf, name) {
			t.Fatalf("docs/proxies.md's %s configuration names %s in a way the test does not know:\n%s", what, name, conf)
		}
	}
	return conf
}

// nginxRecipe is docs/proxies.md's nginx server block for tktd and app
// (host:port), and tktd's configuration from the same section.
func nginxRecipe(t *testing.T, tktd, app string) (conf, tktdConf string) {
	conf, tktdConf = docsBlocks(t, "## nginx (`auth_request`)", "nginx")
	conf = replaceAll(t, "nginx", conf,
		"listen 80;", "listen 127.0.0.1:$PORT;",
		"$scheme://$host$request_uri", "$scheme://$host:$server_port$request_uri",
		"server_name app.example.com;", "",
		"127.0.0.1:8080", tktd, "127.0.0.1:9000", app)
	return conf, tktdConf
}

// caddyRecipe is the body of docs/proxies.md's Caddy site, for the
// harness's own site block, and tktd's configuration.
func caddyRecipe(t *testing.T, tktd, app string) (site, tktdConf string) {
	conf, tktdConf := docsBlocks(t, "## Caddy (`forward_auth`)", "caddy")
	open, body, ok1 := strings.Cut(conf, "{\n")
	i := strings.LastIndex(body, "}")
	if !ok1 || i < 0 || strings.TrimSpace(open) != "app.example.com" {
		t.Fatalf("docs/proxies.md: the Caddy block is not one site block for app.example.com:\n%s", conf)
	}
	return replaceAll(t, "Caddy", body[:i], "127.0.0.1:8080", tktd, "127.0.0.1:9000", app), tktdConf
}

// haproxyRecipe is docs/proxies.md's HAProxy configuration from its first
// frontend on, after the harness's global and defaults sections, and
// tktd's configuration.
func haproxyRecipe(t *testing.T, tktd, app string) (conf, tktdConf string) {
	conf, tktdConf = docsBlocks(t, "## HAProxy", "haproxy")
	global, rest, ok := strings.Cut(conf, "frontend ")
	if !ok || !strings.Contains(global, "lua-load /etc/haproxy/tkt-auth.lua") {
		t.Fatalf("docs/proxies.md: the HAProxy configuration does not load tkt-auth.lua before its frontend:\n%s", conf)
	}
	return replaceAll(t, "HAProxy", "frontend "+rest,
		"bind :443 ssl crt /etc/haproxy/certs/app.example.com.pem", "bind 127.0.0.1:$PORT",
		"127.0.0.1:8080", tktd, "127.0.0.1:9000", app), tktdConf
}

// traefikConf returns the Traefik configuration of docs/proxies.md as a
// reader would copy it, with its names pointed at the test's servers: the
// host app.example.com becomes 127.0.0.1 (Host() matches without the
// port), tktd:8080 becomes tktd and app:8000 the application.
func traefikConf(t *testing.T, tktd, app string) string {
	t.Helper()
	conf, _ := docsBlocks(t, "## Traefik (`forwardAuth`)", "yaml")
	conf = strings.NewReplacer("app.example.com", "127.0.0.1", "http://tktd:8080", "http://"+tktd, "http://app:8000", app).Replace(conf)
	for _, name := range []string{"app.example.com", "tktd:8080", "app:8000"} {
		if strings.Contains(conf, name) {
			t.Fatalf("docs/proxies.md's Traefik configuration names %s in a way the test does not know", name)
		}
	}
	return conf
}

// TestE2EProxyRecipes follows docs/proxies.md from zero for nginx, Caddy
// and HAProxy: tktd with nothing but the section's own YAML and a data
// directory, a user added with tktctl, the proxy with the section's block,
// and a browser that is sent to the login page on the application's host,
// logs in, lands back on the page it asked for, and whose request reaches
// the application with Remote-User.
func TestE2EProxyRecipes(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	for _, tc := range []struct {
		name  string
		start func(t *testing.T, tktd, app string) (*proxytest.Server, string)
	}{
		{"nginx", func(t *testing.T, tktd, app string) (*proxytest.Server, string) {
			conf, tktdConf := nginxRecipe(t, tktd, app)
			return proxytest.Nginx(t, conf), tktdConf
		}},
		{"caddy", func(t *testing.T, tktd, app string) (*proxytest.Server, string) {
			site, tktdConf := caddyRecipe(t, tktd, app)
			return proxytest.Caddy(t, site), tktdConf
		}},
		{"haproxy", func(t *testing.T, tktd, app string) (*proxytest.Server, string) {
			conf, tktdConf := haproxyRecipe(t, tktd, app)
			return proxytest.HAProxy(t, conf, map[string]string{"tkt-auth.lua": proxytest.HAProxyAuthLua(t)}), tktdConf
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "tkt-data")
			addAlice(t, tktctlBin, data, "staff")
			app, hits := protectedApp(t)
			tktdAddr := testenv.FreeAddr(t)
			proxy, tktdConf := tc.start(t, tktdAddr, strings.TrimPrefix(app.URL, "http://"))
			if tktdConf == "" {
				t.Fatal("docs/proxies.md gives no tktd configuration (a yaml block) after the proxy's")
			}
			cfg := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), tktdConf, 0o600)
			startTktd(t, tktdBin, nil, "--config", cfg, "--data-dir", data, "--listen", tktdAddr)

			base := proxy.URL()
			c := testenv.Browser(t)
			resp, _ := getAs(t, c, base+"/page?x=1", "Accept", "text/html")
			wantLogin := base + "/login?back=" + url.QueryEscape(base+"/page?x=1")
			if resp.StatusCode != http.StatusFound || location(resp) != wantLogin || *hits != 0 {
				t.Fatalf("without a ticket: %d %q (the application reached %d times), want 302 %q",
					resp.StatusCode, location(resp), *hits, wantLogin)
			}
			resp, body := testenv.Login(t, c, base, "alice", "alice-pw", base+"/page?x=1")
			if resp.StatusCode != http.StatusSeeOther || location(resp) != base+"/page?x=1" {
				t.Fatalf("login: %d %q, want 303 back to the page\n%s", resp.StatusCode, location(resp), body)
			}
			resp, saw := getAs(t, c, base+"/page?x=1", "Remote-User", "mallory")
			if resp.StatusCode != 200 || saw.User != "alice" || saw.Groups != "staff" {
				t.Fatalf("after the login: %d, the application saw %+v", resp.StatusCode, saw)
			}
		})
	}
}
