package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// ldapSite starts a real slapd holding carol (groups admins, staff), dave
// and erin (staff), and writes a tktd configuration that checks passwords
// there, takes HTTP Basic on /api and throttles after three failures.
func ldapSite(t *testing.T) (*slapdtest.Server, string) {
	srv := slapdtest.Start(t, slapdtest.Config{})
	base := srv.BaseDN
	var l slapdtest.LDIF
	l.Skeleton(base)
	var members []string
	for _, uid := range []string{"carol", "dave", "erin"} {
		dn := "uid=" + uid + ",ou=people," + base
		l.Entry(dn, "objectClass", "inetOrgPerson", "uid", uid, "cn", uid, "sn", "Test", "userPassword", slapdtest.SSHA(uid+"-pw"))
		members = append(members, "member", dn)
	}
	l.Entry("cn=admins,ou=groups,"+base, "objectClass", "groupOfNames", "cn", "admins", "member", "uid=carol,ou=people,"+base)
	l.Entry("cn=staff,ou=groups,"+base, append([]string{"objectClass", "groupOfNames", "cn", "staff"}, members...)...)
	srv.AddLDIF(t, l.String())

	dir := t.TempDir()
	write := privateFiles(t, dir)
	conf := fmt.Sprintf(`trusted_proxies: [127.0.0.1]
ticket: {secret_file: %s}
store_timeout: 2s
throttle: {max_failures: 3}
basic: {realm: scripts}
forward_auth:
  rules:
    - paths: [/api]
      basic: true
stores:
  - type: ldap
    urls: [%s]
    starttls: true
    ca_file: %s
    connect_timeout: 1s
    op_timeout: 1s
    bind_dn: cn=svc,%s
    bind_password_file: %s
    base_dn: ou=people,%s
    user_filter: (objectClass=inetOrgPerson)
    group_base_dn: ou=groups,%s
    group_filter: (objectClass=groupOfNames)
    group_member_attr: member
`, write("secret", "basic e2e secret 0123456789\n"), srv.URL, srv.CAFile, base, write("svc-pw", slapdtest.ServicePassword+"\n"), base, base)
	return srv, write("tktd.yaml", conf)
}

// curlResult is what curl got.
type curlResult struct {
	status int
	header http.Header
	body   string
	took   time.Duration
}

// curl runs the real curl with args and reads its -i output.
func curl(t *testing.T, args ...string) curlResult {
	t.Helper()
	bin := testenv.LookPath(t, "curl", "Debian package curl")
	// curl times the exchange itself (-w to stderr): on a busy machine
	// starting the process may take longer than the answer.
	cmd := exec.Command(bin, append([]string{"-sS", "-i", "--max-time", "15", "-w", "%{stderr}%{time_total}"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %q: %v: %s", args, err, stderr.String())
	}
	secs, err := strconv.ParseFloat(stderr.String(), 64)
	if err != nil {
		t.Fatalf("curl %q: time_total %q: %v", args, stderr.String(), err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(out))), nil)
	if err != nil {
		t.Fatalf("curl %q: %v in %q", args, err, out)
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return curlResult{resp.StatusCode, resp.Header, b.String(), time.Duration(secs * float64(time.Second))}
}

// nginxBasic is nginxAuthRequest for /api with HTTP Basic: the challenge
// of a refusal reaches the client, and the password never reaches the
// application.
const nginxBasic = nginxAuthSubrequest + `
	location /api/ {
		auth_request /tkt-auth;
		auth_request_set $tkt_user $upstream_http_remote_user;
		auth_request_set $tkt_groups $upstream_http_remote_groups;
		auth_request_set $tkt_location $upstream_http_location;
		auth_request_set $tkt_challenge $upstream_http_www_authenticate;
		error_page 401 = @tkt_login;
		proxy_set_header Remote-User $tkt_user;
		proxy_set_header Remote-Groups $tkt_groups;
		proxy_set_header Authorization "";
		proxy_pass http://%[2]s;
	}
	location @tkt_login {
		add_header WWW-Authenticate $tkt_challenge always;
		if ($tkt_location = "") {
			return 401;
		}
		return 302 $tkt_location;
	}
`

// checkBasic is a script's story with HTTP Basic at u (a protected URL):
// let in as itself, refused with the challenge for a wrong password or an
// unknown user, throttled after three failures (throttled is the status
// the proxy turns that into), and answered from the credential cache when
// the store is slow or gone, though never for a different password.
func checkBasic(t *testing.T, u string, slapd *slapdtest.Server, throttled, down int) {
	r := curl(t, "-u", "carol:carol-pw", u)
	if r.status != 200 || !strings.Contains(r.body, `"User":"carol"`) || !strings.Contains(r.body, `"Groups":"admins,staff"`) {
		t.Fatalf("carol: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, `"Auth":""`) {
		t.Errorf("the password travelled on to the application: %s", r.body)
	}
	for _, creds := range []string{"carol:wrong", "nobody:carol-pw"} {
		r = curl(t, "-u", creds, u)
		if r.status != 401 || r.header.Get("WWW-Authenticate") != `Basic realm="scripts", charset="UTF-8"` || strings.Contains(r.body, `"User"`) {
			t.Errorf("%s: %d %q %s", creds, r.status, r.header.Get("WWW-Authenticate"), r.body)
		}
	}
	for range 3 {
		curl(t, "-u", "dave:guess", u)
	}
	if r = curl(t, "-u", "dave:dave-pw", u); r.status != throttled {
		t.Errorf("dave after three failures: %d, want %d (throttled)", r.status, throttled)
	}

	// A slow store: slapd stopped in its tracks. carol's password is
	// remembered; a different one is not, and waits for the store.
	if err := slapd.Freeze(); err != nil {
		t.Fatal(err)
	}
	r = curl(t, "-u", "carol:carol-pw", u)
	if r.status != 200 || r.took > time.Second {
		t.Errorf("carol, store hanging: %d after %v (want a cache hit)", r.status, r.took)
	}
	if r = curl(t, "-u", "carol:other-pw", u); r.status != down {
		t.Errorf("carol with another password, store hanging: %d, want %d", r.status, down)
	}
	if err := slapd.Thaw(); err != nil {
		t.Fatal(err)
	}

	// The store gone: fail closed for what the cache does not know.
	slapd.Stop()
	if r = curl(t, "-u", "erin:erin-pw", u); r.status != down {
		t.Errorf("erin, store down: %d, want %d", r.status, down)
	}
	if r = curl(t, "-u", "carol:carol-pw", u); r.status != 200 {
		t.Errorf("carol, store down: %d (want a cache hit)", r.status)
	}
}

// TestE2EBasicNginx runs curl -u through the real nginx, auth_request to
// tktd's /auth, against the real slapd.
func TestE2EBasicNginx(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, _ := protectedApp(t)
	slapd, cfg := ldapSite(t)
	tktd := startTktd(t, tktdBin, nil, "--config", cfg)
	ngx := proxytest.Nginx(t, "server {\n\tlisten 127.0.0.1:$PORT;\n"+
		fmt.Sprintf(nginxBasic, strings.TrimPrefix(tktd.base, "http://"), strings.TrimPrefix(app.URL, "http://"))+"}\n")
	defer func() {
		if t.Failed() {
			t.Logf("nginx's log:\n%s", ngx.LogTail(40))
		}
	}()
	// nginx passes on 401 and 403; any other answer of auth_request,
	// tktd's 503 included, becomes its own 500.
	checkBasic(t, ngx.URL()+"/api/x", slapd, http.StatusForbidden, http.StatusInternalServerError)
	if strings.Contains(tktd.logs.String(), "carol-pw") {
		t.Error("the password is in tktd's log")
	}
	if !strings.Contains(tktd.logs.String(), "user store unavailable") {
		t.Error("tktd's log does not say the store was unavailable")
	}
}

// TestE2EBasicGate runs curl -u through tktd gate --basic against the real
// slapd.
func TestE2EBasicGate(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, _ := protectedApp(t)
	slapd, cfg := ldapSite(t)
	gate := startGate(t, tktdBin, nil, "--config", cfg, "--upstream", app.URL, "--basic")
	checkBasic(t, gate.base+"/x", slapd, http.StatusTooManyRequests, http.StatusServiceUnavailable)
	r := curl(t, "-u", "erin:erin-pw", gate.base+"/x")
	if !strings.Contains(r.body, "user store is unavailable") {
		t.Errorf("503 without a reason: %q", r.body)
	}
}
