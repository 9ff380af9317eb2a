package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/proxytest"
)

// appSaw is what the protected application received.
type appSaw struct {
	User, Groups, Data string
	Cookie             string
	Auth               string // the Authorization header
}

// protectedApp records what reaches it; hits counts the requests.
func protectedApp(t *testing.T) (*httptest.Server, *int) {
	hits := new(int)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*hits++
		json.NewEncoder(w).Encode(appSaw{r.Header.Get("Remote-User"), r.Header.Get("Remote-Groups"), r.Header.Get("Remote-Data"), r.Header.Get("Cookie"), r.Header.Get("Authorization")})
	}))
	t.Cleanup(s.Close)
	return s, hits
}

// proxySite writes a configuration with an htpasswd store holding alice
// (groups staff and admin) and bob (staff), trusting the loopback proxy,
// and returns its path. extra is appended to the YAML.
func proxySite(t *testing.T, extra string) string {
	dir := t.TempDir()
	var users strings.Builder
	for _, u := range []string{"alice", "bob"} {
		h, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&users, "%s:%s\n", u, h)
	}
	write := privateFiles(t, dir)
	conf := fmt.Sprintf(`trusted_proxies: [127.0.0.1]
allowed_redirects: [127.0.0.1]
ticket: {secret_file: %s}
stores:
  - type: htpasswd
    path: %s
    group_path: %s
%s`, write("secret", "proxy e2e secret 0123456789\n"), write("htpasswd", users.String()), write("groups", "staff: alice bob\nadmin: alice\n"), extra)
	return write("tktd.yaml", conf)
}

// portalLocations hands the portal's pages to tktd, so the login page
// lives on the application's host, as /auth's default login_url expects.
const portalLocations = `
	location ~ ^/(login|logout|static/) {
		proxy_pass http://%[1]s;
		proxy_set_header Host $http_host;
		proxy_set_header X-Forwarded-For $remote_addr;
		proxy_set_header X-Forwarded-Proto $scheme;
	}
`

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

// getAs fetches base+path with c, adding headers, and decodes what the
// application saw when it answered.
func getAs(t *testing.T, c *http.Client, u string, header ...string) (*http.Response, appSaw) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var saw appSaw
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &saw); err != nil {
			t.Fatalf("%s: %v in %q", u, err, body)
		}
	}
	return resp, saw
}

// location is the redirect target, resolved against the request's URL
// (nginx makes relative redirects absolute, Go servers do not).
func location(resp *http.Response) string {
	u, err := resp.Location()
	if err != nil {
		return ""
	}
	return u.String()
}

// checkProtected runs the browser's story against a protected site at
// base: sent to log in, logged in, let in as itself whatever it claims,
// refused where a token is missing.
func checkProtected(t *testing.T, base string, hits *int, loginStatus int) {
	c := browser(t)
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

	resp, body := login(t, c, base, "alice", "alice-pw", base+"/page?x=1&y=2")
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

	bob := browser(t)
	login(t, bob, base, "bob", "bob-pw", "/")
	if resp, saw := getAs(t, bob, base+"/page"); resp.StatusCode != 200 || saw.User != "bob" {
		t.Errorf("bob: %d %+v", resp.StatusCode, saw)
	}
	if resp, _ := getAs(t, bob, base+"/admin/x"); resp.StatusCode != 403 {
		t.Errorf("bob at /admin, without the admin token: %d", resp.StatusCode)
	}
}

// TestE2EGate puts tktd gate between the real nginx and an application.
func TestE2EGate(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, hits := protectedApp(t)
	cfg := proxySite(t, "")
	tktd := startTktd(t, tktdBin, nil, "--config", cfg)
	ops := freeAddr(t)
	gate := startGate(t, tktdBin, []string{"TKT_GATE_METRICS_LISTEN=" + ops}, "--config", cfg, "--upstream", app.URL, "--login-url", "/login")
	ngx := proxytest.Nginx(t, "server {\n\tlisten 127.0.0.1:$PORT;\n"+
		fmt.Sprintf(portalLocations, strings.TrimPrefix(tktd.base, "http://"))+
		fmt.Sprintf(`	location / {
		proxy_pass http://%s;
		proxy_set_header Host $http_host;
		proxy_set_header X-Forwarded-For $remote_addr;
		proxy_set_header X-Forwarded-Proto $scheme;
	}
`, strings.TrimPrefix(gate.base, "http://"))+"}\n")
	defer func() {
		if t.Failed() {
			t.Logf("nginx's log:\n%s", ngx.LogTail(40))
		}
	}()
	// The gate's requirement is site-wide (ticket.tokens); /admin is open
	// to every valid ticket here, so check the token on a second gate.
	checkGate(t, ngx.URL(), hits)
	_, page := get(t, browser(t), "http://"+ops+"/metrics")
	if got := metricValue(page, `tkt_http_requests_total{code="2xx",route="gate"}`); got == "" || got == "0" {
		t.Errorf("the gate's metrics count no requests: %q", got)
	}

	strict := startGate(t, tktdBin, nil, "--config", cfg, "--upstream", app.URL, "--tokens", "admin")
	c := browser(t)
	login(t, c, tktd.base, "bob", "bob-pw", "/")
	if resp, _ := getAs(t, c, strict.base+"/x"); resp.StatusCode != 403 {
		t.Errorf("bob at a gate requiring admin: %d", resp.StatusCode)
	}
}

func checkGate(t *testing.T, base string, hits *int) {
	c := browser(t)
	resp, _ := getAs(t, c, base+"/page?x=1&y=2", "Remote-User", "mallory", "Accept", "text/html")
	wantLogin := base + "/login?back=" + url.QueryEscape(base+"/page?x=1&y=2")
	if resp.StatusCode != http.StatusTemporaryRedirect || location(resp) != wantLogin {
		t.Fatalf("without a ticket: %d %q, want 307 %q", resp.StatusCode, location(resp), wantLogin)
	}
	if *hits != 0 {
		t.Fatal("the application was reached without a ticket")
	}
	if resp, _ := login(t, c, base, "alice", "alice-pw", base+"/page"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	resp, saw := getAs(t, c, base+"/page", "Remote-User", "mallory", "Remote_User", "mallory")
	if resp.StatusCode != 200 || saw.User != "alice" || saw.Groups != "admin,staff" {
		t.Fatalf("with alice's ticket: %d, the application saw %+v", resp.StatusCode, saw)
	}
	if strings.Contains(saw.Cookie, "auth_tkt") {
		t.Errorf("the ticket cookie reached the application: %q", saw.Cookie)
	}
	checkClientAddress(t, base)
}
