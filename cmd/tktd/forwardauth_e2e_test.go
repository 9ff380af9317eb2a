package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// nginxAuthSubrequest is the documented location that asks tktd (%[1]s):
// the port is written out, since the test's nginx listens on one of its own.
const nginxAuthSubrequest = `
	location = /tkt-auth {
		internal;
		proxy_pass http://%[1]s/auth/nginx;
		proxy_pass_request_body off;
		proxy_set_header Content-Length "";
		proxy_set_header X-Original-URL $scheme://$host:$server_port$request_uri;
		proxy_set_header X-Original-Method $request_method;
		proxy_set_header X-Forwarded-For $remote_addr;
	}
`

// nginxAuthRequest is the documented nginx configuration for /auth, in
// front of the application at %[2]s.
const nginxAuthRequest = nginxAuthSubrequest + `	location / {
		auth_request /tkt-auth;
		auth_request_set $tkt_user $upstream_http_remote_user;
		auth_request_set $tkt_groups $upstream_http_remote_groups;
		auth_request_set $tkt_data $upstream_http_remote_data;
		auth_request_set $tkt_cookie $upstream_http_set_cookie;
		auth_request_set $tkt_location $upstream_http_location;
		add_header Set-Cookie $tkt_cookie;
		error_page 401 = @tkt_login;
		proxy_set_header Remote-User $tkt_user;
		proxy_set_header Remote-Groups $tkt_groups;
		proxy_set_header Remote-Data $tkt_data;
		proxy_set_header Authorization "";
		proxy_pass http://%[2]s;
	}
	location @tkt_login {
		add_header Set-Cookie $tkt_cookie;
		if ($tkt_location = "") {
			return 401;
		}
		return 302 $tkt_location;
	}
`

// checkProtected runs the browser's story against a protected site at
// base: sent to log in, logged in, let in as itself whatever it claims,
// refused where a token is missing.
func checkProtected(t *testing.T, base string, hits *int, loginStatus int) {
	c := testenv.Browser(t)
	resp, _ := getAs(t, c, base+"/page?x=1&y=2", "Remote-User", "mallory", "Accept", "text/html")
	wantLogin := base + "/login?back=" + url.QueryEscape(base+"/page?x=1&y=2")
	if resp.StatusCode != loginStatus || location(resp) != wantLogin {
		t.Fatalf("without a ticket: %d %q, want %d %q", resp.StatusCode, location(resp), loginStatus, wantLogin)
	}
	if *hits != 0 {
		t.Fatal("the application was reached without a ticket")
	}
	if resp, _ := getAs(t, c, base+"/api", "Accept", "application/json"); resp.StatusCode != 401 {
		t.Errorf("API client without a ticket: %d", resp.StatusCode)
	}

	resp, body := testenv.Login(t, c, base, "alice", "alice-pw", base+"/page?x=1&y=2")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"/page?x=1&y=2" {
		t.Fatalf("login: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, saw := getAs(t, c, base+"/page?x=1&y=2", "Remote-User", "mallory", "Remote-Groups", "root")
	if resp.StatusCode != 200 || saw.User != "alice" || saw.Groups != "admin,staff" {
		t.Fatalf("with alice's ticket: %d, the application saw %+v", resp.StatusCode, saw)
	}
	if resp, _ := getAs(t, c, base+"/admin/x"); resp.StatusCode != 200 {
		t.Errorf("alice at /admin: %d", resp.StatusCode)
	}

	bob := testenv.Browser(t)
	testenv.Login(t, bob, base, "bob", "bob-pw", "/")
	if resp, saw := getAs(t, bob, base+"/page"); resp.StatusCode != 200 || saw.User != "bob" {
		t.Errorf("bob: %d %+v", resp.StatusCode, saw)
	}
	if resp, _ := getAs(t, bob, base+"/admin/x"); resp.StatusCode != 403 {
		t.Errorf("bob at /admin, without the admin token: %d", resp.StatusCode)
	}
}

// The forward-auth rules of every proxy test: /admin needs the admin
// token, /public is open to all.
const proxyRules = `forward_auth:
  rules:
    - paths: [/admin]
      tokens: [admin]
    - paths: [/public]
      bypass: true
`

// caddySite is the Caddyfile of docs/proxies.md, inside the harness's site
// block: %[1]s is tktd, %[2]s the application.
//
//   - The request_header lines drop the client's identity headers, also
//     spelled with underscores, from every request. At the top of the site
//     they run before every handle (Caddy's directive order puts
//     request_header before handle); next to forward_auth in one block they
//     would run after it and delete what copy_headers has just set.
//   - The portal's pages go to tktd. reverse_proxy keeps the client's Host
//     (the login POST's same-origin check compares it with Origin) and
//     sets X-Forwarded-For, -Proto and -Host itself.
//   - The bypassed paths never reach forward_auth: for a 2xx answer without
//     Remote-User, copy_headers of Caddy before 2.10 sets the header to the
//     literal "{http.reverse_proxy.header.Remote-User}" (caddy#6610), which
//     the application would take for a user name.
//   - Everything else goes through forward_auth.
const caddySite = `
	request_header -Remote-User
	request_header -Remote-Groups
	request_header -Remote-Data
	request_header -Remote_User
	request_header -Remote_Groups
	request_header -Remote_Data

	@tkt_portal path /login* /logout* /static/* /account/*
	handle @tkt_portal {
		reverse_proxy %[1]s
	}
	@tkt_public path /public /public/*
	handle @tkt_public {
		reverse_proxy %[2]s
	}
	handle {
		forward_auth %[1]s {
			uri /auth
			copy_headers Remote-User Remote-Groups Remote-Data
		}
		reverse_proxy %[2]s {
			header_up -Authorization
		}
	}
`

// haproxyConf is the HAProxy configuration of docs/proxies.md after the
// global and defaults sections: %[1]s is tktd, %[2]s the application. The
// portal's pages have a backend of their own; the tkt-auth action and the
// rules acting on its verdict sit in the application's backend, so they
// run for everything but the portal (and the fail-closed 503 needs no
// exception for it). The action drops the client's Remote-User,
// Remote-Groups and Remote-Data in both spellings, with hyphens and with
// underscores.
const haproxyConf = `
frontend www
	bind 127.0.0.1:$PORT
	use_backend tkt_portal if { path_beg /login /logout /static/ /account/ }
	default_backend app

backend tkt_portal
	option forwardfor
	http-request set-header X-Forwarded-Proto %%[ssl_fc,iif(https,http)]
	server tktd %[1]s

backend app
	http-request lua.tkt-auth http://%[1]s/auth
	http-request redirect code 302 location %%[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 302 } { var(txn.tkt_location) -m found }
	http-request redirect code 303 location %%[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 303 } { var(txn.tkt_location) -m found }
	http-request redirect code 307 location %%[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 307 } { var(txn.tkt_location) -m found }
	http-request deny deny_status 401 if { var(txn.tkt_status) -m int 401 }
	http-request deny deny_status 403 if { var(txn.tkt_status) -m int 403 }
	http-request deny deny_status 503 unless { var(txn.tkt_status) -m int 200:299 }
	http-after-response add-header Set-Cookie %%[var(txn.tkt_set_cookie)] if { var(txn.tkt_set_cookie) -m found }
	server app %[2]s
`

// traefikConf returns the Traefik configuration of docs/proxies.md as a
// reader would copy it, with its names pointed at the test's servers: the
// host app.example.com becomes 127.0.0.1 (Host() matches without the
// port), tktd:8080 becomes tktd and app:8000 the application.
func traefikConf(t *testing.T, tktd, app string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "proxies.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok1 := strings.Cut(string(b), "## Traefik (`forwardAuth`)")
	_, block, ok2 := strings.Cut(section, "```yaml\n")
	conf, _, ok3 := strings.Cut(block, "```")
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("docs/proxies.md: no yaml block under the Traefik heading")
	}
	conf = strings.NewReplacer("app.example.com", "127.0.0.1", "http://tktd:8080", "http://"+tktd, "http://app:8000", app).Replace(conf)
	for _, name := range []string{"app.example.com", "tktd:8080", "app:8000"} {
		if strings.Contains(conf, name) {
			t.Fatalf("docs/proxies.md's Traefik configuration names %s in a way the test does not know", name)
		}
	}
	return conf
}

// refreshEnv makes every ticket at least a second old due for a refresh,
// so that the tests see whether a refreshed cookie gets to the browser.
var refreshEnv = []string{"TKT_TICKET_REFRESH=1"}

// guardedSite starts the application behind a spellingGuard and tktd with
// proxyRules, refreshing every ticket that is a second old.
func guardedSite(t *testing.T) (app *httptest.Server, hits *int, g *spellingGuard, cfg string, tktdAddr string) {
	tktdBin, _ := buildBinaries(t)
	app, hits = protectedApp(t)
	g = &spellingGuard{}
	app = g.guard(t, app)
	cfg = proxySite(t, proxyRules)
	tktd := startTktd(t, tktdBin, refreshEnv, "--config", cfg)
	return app, hits, g, cfg, strings.TrimPrefix(tktd.base, "http://")
}

// checkProxy runs a browser's story, forged identity headers and an
// expired ticket through the proxy at base.
func checkProxy(t *testing.T, base string, hits *int, g *spellingGuard, cfg string) {
	checkProtected(t, base, hits, http.StatusFound)
	checkForged(t, base)
	g.check(t)
	expiredTicket(t, base, cfg)
	checkBearer(t, base)
	checkClientAddress(t, base)
}

// checkClientAddress logs alice in from 127.0.0.2 through the proxy at
// base. Her ticket is bound to the client's address as the proxy names it
// to tktd (X-Forwarded-For), at the login and at /auth alike: it lets her
// in from 127.0.0.2, and the same cookie from 127.0.0.3 is sent to log in.
// A proxy that named itself instead would bind every ticket to its own
// address, and a stolen cookie would work from anywhere. The gate behind a
// proxy is checked the same way.
func checkClientAddress(t *testing.T, base string) {
	t.Helper()
	from2 := browserFrom(t, "127.0.0.2")
	if resp, body := testenv.Login(t, from2, base, "alice", "alice-pw", "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login from 127.0.0.2: %d\n%s", resp.StatusCode, body)
	}
	if resp, saw := getAs(t, from2, base+"/page"); resp.StatusCode != 200 || saw.User != "alice" {
		t.Errorf("alice from 127.0.0.2, where she logged in: %d, the application saw %+v", resp.StatusCode, saw)
	}
	from3 := browserFrom(t, "127.0.0.3")
	from3.Jar = from2.Jar
	resp, saw := getAs(t, from3, base+"/page", "Accept", "text/html")
	if resp.StatusCode/100 != 3 || !strings.HasPrefix(location(resp), base+"/login?") {
		t.Errorf("alice's cookie from 127.0.0.3: %d %q, the application saw %+v; want a redirect to the login page",
			resp.StatusCode, location(resp), saw)
	}
}

// browserFrom is a browser whose connections come from the loopback
// address from.
func browserFrom(t *testing.T, from string) *http.Client {
	c := testenv.Browser(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

// checkBearer sends alice's ticket as a bearer token, as a script would:
// she is let in, and the ticket does not travel on to the application.
func checkBearer(t *testing.T, base string) {
	t.Helper()
	c := testenv.Browser(t)
	testenv.Login(t, c, base, "alice", "alice-pw", "/")
	u, _ := url.Parse(base)
	var value string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "auth_tkt" {
			value = ck.Value
		}
	}
	if value == "" {
		t.Fatal("no ticket after the login")
	}
	resp, saw := getAs(t, testenv.Browser(t), base+"/page", "Authorization", "Bearer "+value, "Accept", "application/json")
	if resp.StatusCode != 200 || saw.User != "alice" || saw.Auth != "" {
		t.Errorf("bearer ticket: %d, the application saw %+v", resp.StatusCode, saw)
	}
}

// TestE2ECaddyForwardAuth puts the real Caddy, with forward_auth to tktd's
// /auth, in front of an application.
func TestE2ECaddyForwardAuth(t *testing.T) {
	app, hits, g, cfg, tktd := guardedSite(t)
	caddy := proxytest.Caddy(t, fmt.Sprintf(caddySite, tktd, strings.TrimPrefix(app.URL, "http://")))
	checkProxy(t, caddy.URL(), hits, g, cfg)
	// forward_auth copies a 2xx answer's headers into the request to the
	// application and drops the rest: the refreshed ticket never gets to
	// the browser (Caddy 2.6; should a later Caddy pass it on, that is news
	// for docs/proxies.md's caveat, not a failure).
	if set := refreshedTicket(t, caddy.URL()); len(set) > 0 {
		t.Logf("this Caddy passes a refreshed ticket on a 200 (%q): docs/proxies.md's caveat is out of date", set)
	}
}

// TestE2EHAProxyForwardAuth puts the real HAProxy, with the tkt-auth Lua
// action of docs/haproxy, in front of an application.
func TestE2EHAProxyForwardAuth(t *testing.T) {
	app, hits, g, cfg, tktd := guardedSite(t)
	hap := proxytest.HAProxy(t, fmt.Sprintf(haproxyConf, tktd, strings.TrimPrefix(app.URL, "http://")),
		map[string]string{"tkt-auth.lua": proxytest.HAProxyAuthLua(t)})
	checkProxy(t, hap.URL(), hits, g, cfg)
	if set := refreshedTicket(t, hap.URL()); len(set) != 1 {
		t.Errorf("refreshed ticket cookies on a 200: %q, want one", set)
	}
}

// TestE2ETraefikForwardAuth puts the real Traefik, with the configuration
// of docs/proxies.md, in front of an application.
func TestE2ETraefikForwardAuth(t *testing.T) {
	app, hits, g, cfg, tktd := guardedSite(t)
	tr := proxytest.Traefik(t, traefikConf(t, tktd, app.URL))
	checkProxy(t, tr.URL(), hits, g, cfg)
	// addAuthCookiesToResponse: the refreshed ticket gets to the browser.
	if set := refreshedTicket(t, tr.URL()); len(set) != 1 {
		t.Errorf("refreshed ticket cookies on a 200: %q, want one", set)
	}
	// A bypassed path is let in without an identity, whatever the
	// client claims.
	resp, saw := getAs(t, testenv.Browser(t), tr.URL()+"/public/x", "Remote-User", "mallory")
	if resp.StatusCode != 200 || saw.User != "" {
		t.Errorf("bypassed /public: %d, the application saw %+v", resp.StatusCode, saw)
	}
}

// TestE2ENginxForwardAuth puts the real nginx, with auth_request to tktd's
// /auth as docs/proxies.md configures it, in front of an application: the
// browser's story, forged identity headers in every spelling (nginx drops
// headers with underscores by default), an expired ticket, and a
// refreshed one, which docs/proxies.md promises gets to the browser.
func TestE2ENginxForwardAuth(t *testing.T) {
	app, hits, g, cfg, tktd := guardedSite(t)
	ngx := proxytest.Nginx(t, "server {\n\tlisten 127.0.0.1:$PORT;\n"+
		fmt.Sprintf(portalLocations, tktd)+fmt.Sprintf(nginxAuthRequest, tktd, strings.TrimPrefix(app.URL, "http://"))+"}\n")
	checkProxy(t, ngx.URL(), hits, g, cfg)
	if set := refreshedTicket(t, ngx.URL()); len(set) != 1 {
		t.Errorf("refreshed ticket cookies on a 200: %q, want one", set)
	}
}

// spellingGuard stands in front of an application's handler and notes
// every identity header that reaches it spelled other than the
// application reads it: CGI, PHP and WSGI read Remote_User as
// HTTP_REMOTE_USER just like Remote-User (see tkthttp.IdentityHeaders.Strip),
// so a proxy must drop those as well. nginx drops every header with an
// underscore by default; Caddy and HAProxy pass them on.
type spellingGuard struct {
	mu   sync.Mutex
	seen []string
}

// guard serves app's handler behind g on a server of its own, for the
// proxy to send the application's requests to.
func (g *spellingGuard) guard(t *testing.T, app *httptest.Server) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range r.Header {
			if k == "Remote-User" || k == "Remote-Groups" || k == "Remote-Data" {
				continue
			}
			h := http.Header{k: v}
			(tkthttp.IdentityHeaders{}).Strip(h)
			if len(h) == 0 {
				g.mu.Lock()
				g.seen = append(g.seen, fmt.Sprintf("GET %s with %s: %q", r.URL.Path, k, v))
				g.mu.Unlock()
			}
		}
		app.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (g *spellingGuard) check(t *testing.T) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.seen {
		t.Errorf("an identity header in another spelling reached the application: %s", s)
	}
}

// forged are identity headers a client makes up, as they go on the wire:
// in odd cases and with underscores (checkProtected sends Remote-User and
// Remote-Groups canonically).
var forged = http.Header{
	"remote-user": {"mallory"}, "Remote_User": {"mallory"},
	"REMOTE-GROUPS": {"admin"}, "remote_groups": {"admin"},
	"Remote-Data": {"forged"}, "Remote_Data": {"forged"},
}

// getForged is getAs with the forged identity headers.
func getForged(t *testing.T, c *http.Client, u string) (*http.Response, appSaw) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range forged {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var saw appSaw
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&saw); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	return resp, saw
}

// checkForged sends the forged identity headers to a bypassed path,
// without a ticket and with alice's, and to a protected one with bob's
// ticket: the application sees no identity on the first and bob's alone
// on the second.
func checkForged(t *testing.T, base string) {
	t.Helper()
	c := testenv.Browser(t)
	for _, who := range []string{"anonymous", "alice"} {
		if who == "alice" {
			testenv.Login(t, c, base, "alice", "alice-pw", "/")
		}
		if resp, saw := getForged(t, c, base+"/public/x"); resp.StatusCode != 200 || saw != (appSaw{Cookie: saw.Cookie}) {
			t.Errorf("bypassed path, %s: %d, the application saw %+v", who, resp.StatusCode, saw)
		}
	}
	bob := testenv.Browser(t)
	testenv.Login(t, bob, base, "bob", "bob-pw", "/")
	if resp, saw := getForged(t, bob, base+"/page"); resp.StatusCode != 200 || saw.User != "bob" || saw.Groups != "staff" || saw.Data != "" {
		t.Errorf("bob: %d, the application saw %+v", resp.StatusCode, saw)
	}
}

// refreshedTicket logs alice in, waits until her ticket is a second old
// (a ticket's clock ticks in seconds; the tests run tktd with
// ticket.refresh 1) and returns the ticket cookies the next request
// through the proxy hands the browser, for a test to expect or not. The
// request must go through either way.
func refreshedTicket(t *testing.T, base string) []string {
	t.Helper()
	c := testenv.Browser(t)
	if resp, body := testenv.Login(t, c, base, "alice", "alice-pw", "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", resp.StatusCode, body)
	}
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	resp, saw := getAs(t, c, base+"/page")
	if resp.StatusCode != 200 || saw.User != "alice" {
		t.Fatalf("alice with a ticket due for refresh: %d, the application saw %+v", resp.StatusCode, saw)
	}
	var set []string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "auth_tkt=") {
			set = append(set, v)
		}
	}
	return set
}

// expiredTicket sends alice's ticket, timed out an hour ago, for a page
// and checks that the browser is sent to the login page with the dead
// ticket cookie deleted: the Set-Cookie on /auth's 302 must get through.
// cfg is the configuration from proxySite, whose secret signs the ticket.
func expiredTicket(t *testing.T, base, cfg string) {
	t.Helper()
	secret, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "secret"))
	if err != nil {
		t.Fatal(err)
	}
	m := ticket.Minter{Digest: ticket.HMACSHA256, Secret: strings.TrimSuffix(string(secret), "\n")}
	val, err := m.MintCookie(ticket.Ticket{UID: "alice", Time: time.Now().Add(-3 * time.Hour)}, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := getAs(t, testenv.Browser(t), base+"/page", "Cookie", "auth_tkt="+val, "Accept", "text/html")
	wantLogin := base + "/login?back=" + url.QueryEscape(base+"/page")
	deleted := false
	for _, c := range resp.Cookies() {
		deleted = deleted || c.Name == "auth_tkt" && c.Value == "" && c.MaxAge < 0
	}
	if resp.StatusCode != http.StatusFound || location(resp) != wantLogin || !deleted {
		t.Errorf("an expired ticket: %d %q, Set-Cookie %q; want 302 %q deleting auth_tkt",
			resp.StatusCode, location(resp), resp.Header.Values("Set-Cookie"), wantLogin)
	}
}
