package web

import (
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// docsNginx is docs/proxies.md's nginx server block with the block that
// puts the portal on the application's host inside it, pointed at the
// test's servers: tktd at tktd, the application at app, nginx listening
// on $PORT (which X-Original-URL then names, as the docs say).
func docsNginx(t *testing.T, tktd, app string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "proxies.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "## nginx (`auth_request`)")
	section, _, _ = strings.Cut(section, "\n## ")
	var server, portal string
	for _, block := range strings.Split(section, "```nginx\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		switch {
		case strings.HasPrefix(block, "server {"):
			server = block
		case strings.Contains(block, "location ~ ^/(login|logout|static/|account/)"):
			portal = block
		}
	}
	if server == "" || portal == "" && !strings.Contains(server, "location ~ ^/(login|logout|static/|account/)") {
		t.Fatal("docs/proxies.md: no nginx server block, or no block handing the portal's pages to tktd")
	}
	conf := server
	if !strings.Contains(server, "location ~ ^/(login|logout|static/|account/)") {
		end := strings.LastIndex(server, "}")
		conf = server[:end] + portal + "}\n"
	}
	// The listen line, comment and all, is the harness's port.
	conf = regexp.MustCompile(`(?m)^(\s*)listen [^\n]*$`).ReplaceAllString(conf, "${1}listen 127.0.0.1:$$PORT;")
	r := strings.NewReplacer(
		"proxy_pass http://127.0.0.1:8080", "proxy_pass http://"+tktd,
		"proxy_pass http://127.0.0.1:9000", "proxy_pass http://"+app,
		"$scheme://$host$request_uri", "$scheme://$host:$server_port$request_uri",
	)
	conf = r.Replace(conf)
	for _, s := range []string{"127.0.0.1:8080", "127.0.0.1:9000", "$host$request_uri"} {
		if strings.Contains(conf, s) {
			t.Fatalf("docs/proxies.md's nginx block names %s in a way the test does not know:\n%s", s, conf)
		}
	}
	return conf
}

// The real Chromium, through the real nginx configured as
// docs/proxies.md says, in front of the portal and the forward-auth
// endpoint: the portal on login.portal.localhost (cookie domain
// .portal.localhost) hands the ticket in the URL to app.other.localhost,
// another cookie domain;
// /auth/nginx takes it, nginx passes its host-only cookie on and sends the
// browser to the page without it; logout at the portal then ends the
// ticket on both domains through the logout chain. Chromium resolves both
// names to loopback (--host-resolver-rules) and keeps their cookies as it
// keeps any site's. They are under .localhost because Chromium sends
// Sec-Fetch-Site, which the login form's cross-origin check reads, only
// to origins it trusts: https, or localhost over plain HTTP.
func TestBrowserURLTicketTwoDomainsBehindNginx(t *testing.T) {
	tktdLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>app</title><p id="who">` + html.EscapeString(r.Header.Get("Remote-User")) +
			`</p><p id="cookie">` + html.EscapeString(r.Header.Get("Cookie")) + `</p>`))
	}))
	t.Cleanup(app.Close)
	ngx := proxytest.Nginx(t, docsNginx(t, tktdLn.Addr().String(), strings.TrimPrefix(app.URL, "http://")))
	port := strings.TrimPrefix(ngx.Addr(), "127.0.0.1:")
	portal, appBase := "http://login.portal.localhost:"+port, "http://app.other.localhost:"+port

	logs := &testenv.SyncBuffer{}
	pw, gr := writeHtpasswd(t, t.TempDir())
	store, err := htpasswd.New(htpasswd.Config{Path: pw, GroupPath: gr})
	if err != nil {
		t.Fatal(err)
	}
	o := Config{
		Ticket:           ticket.Config{Digest: ticket.HMACSHA256, Secret: testSecret, Timeout: time.Hour, Refresh: 0.5},
		Source:           store,
		Cookie:           CookieConfig{Domain: ".portal.localhost"},
		AllowedRedirects: []string{"login.portal.localhost"},
		URLTicketHosts:   []string{"app.other.localhost:" + port},
		ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Logger:           slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	fa, err := NewForwardAuth(ForwardAuthConfig{
		Ticket: o.Ticket, Cookie: o.Cookie, LoginURL: portal + "/login",
		URLTicketHosts: o.URLTicketHosts, ClientAddrConfig: o.ClientAddrConfig, Logger: o.Logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", fa)
	mux.Handle("/", p)
	srv := &httptest.Server{Listener: tktdLn, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("tkt's log:\n%s", logs)
		}
	})

	ctx := startBrowser(t, browserConfig{hostRules: "MAP *.localhost 127.0.0.1"})
	if resp := navigateTo(t, ctx, chromedp.Navigate(appBase+"/page?x=1")); resp.Status != 200 || !strings.HasPrefix(resp.URL, portal+"/login?") {
		t.Fatalf("the application without a ticket: %d at %s, want the portal's login page", resp.Status, resp.URL)
	}
	resp := submitLogin(t, ctx, "alice", alicePass)
	if resp.Status != 200 || resp.URL != appBase+"/page?x=1" {
		t.Fatalf("after the login: %d at %s, want the application's page without the ticket; page: %q\n%s", resp.Status, resp.URL, textOf(t, ctx, "body"), logs)
	}
	if who := textOf(t, ctx, "#who"); who != "alice" {
		t.Errorf("the application sees %q, want alice", who)
	}
	if c := textOf(t, ctx, "#cookie"); !strings.Contains(c, "auth_tkt=") {
		t.Errorf("the browser sent the application no ticket cookie: %q", c)
	}
	atApp, atPortal := browserCookies(t, ctx, appBase)["auth_tkt"], browserCookies(t, ctx, portal)["auth_tkt"]
	if atApp == nil || atApp.Domain != "app.other.localhost" || atPortal == nil || atPortal.Domain != ".portal.localhost" {
		t.Fatalf("ticket cookies: %+v at the application, %+v at the portal; want a host-only one and a .portal.localhost one", atApp, atPortal)
	}

	resp = navigateTo(t, ctx, chromedp.Navigate(portal+"/logout"))
	if resp.Status != 200 || !strings.HasPrefix(resp.URL, portal+"/logout") || !strings.Contains(textOf(t, ctx, "body"), "signed out") {
		t.Errorf("logout ends at %d %s: %q", resp.Status, resp.URL, textOf(t, ctx, "body"))
	}
	if c := browserCookies(t, ctx, appBase)["auth_tkt"]; c != nil {
		t.Errorf("after logout the application's ticket cookie is still there: %+v", c)
	}
	if c := browserCookies(t, ctx, portal)["auth_tkt"]; c != nil {
		t.Errorf("after logout the portal's ticket cookie is still there: %+v", c)
	}
	if resp := navigateTo(t, ctx, chromedp.Navigate(appBase+"/page")); !strings.HasPrefix(resp.URL, portal+"/login?") {
		t.Errorf("the application after logout: %d at %s, want the login page", resp.Status, resp.URL)
	}
}
