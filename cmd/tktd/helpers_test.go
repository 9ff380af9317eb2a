package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// verifyWith checks a cookie value against the secret in secretFile.
func verifyWith(t testing.TB, secretFile string, d ticket.Digest, value string) (ticket.Result, error) {
	t.Helper()
	return verifyTimeout(t, secretFile, d, value, time.Hour)
}

// verifyTimeout is verifyWith for tickets of a site whose ticket.timeout
// is timeout.
func verifyTimeout(t testing.TB, secretFile string, d ticket.Digest, value string, timeout time.Duration) (ticket.Result, error) {
	t.Helper()
	b, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ticket.NewVerifier(ticket.Config{Digest: d, Secret: strings.TrimSuffix(string(b), "\n"), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(value, netip.MustParseAddr("127.0.0.1"), time.Now())
}

// get fetches a URL and returns the status and body.
func get(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue finds the sample line for series in a /metrics page.
func metricValue(page, series string) string {
	for _, line := range strings.Split(page, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// writeSecret replaces a secret file atomically, as an operator's
// rotation script should.
func writeSecret(t testing.TB, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".new-secret")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// privateFiles returns a function that writes a file of mode 0600 in dir
// and returns its path: secrets, user lists and configurations of tests.
func privateFiles(t testing.TB, dir string) func(name, content string) string {
	return func(name, content string) string {
		t.Helper()
		return testenv.WriteFile(t, filepath.Join(dir, name), content, 0o600)
	}
}

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
// and returns its path. extra is appended to the YAML. It has no
// allowed_redirects: a login through a proxy returns to the host the
// portal was reached at, which is allowed without it.
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
	location ~ ^/(login|logout|static/|account/) {
		proxy_pass http://%[1]s;
		proxy_set_header Host $http_host;
		proxy_set_header X-Forwarded-For $remote_addr;
		proxy_set_header X-Forwarded-Proto $scheme;
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

// addAlice adds alice (password alice-pw, in groups) to the SQLite user
// store in the data directory data with the real tktctl, as the README
// does.
func addAlice(t *testing.T, tktctlBin, data string, groups ...string) {
	t.Helper()
	args := []string{"user", "add", "--data-dir", data, "--password-stdin", "alice"}
	for _, g := range groups {
		args = append(args, "--group", g)
	}
	add := exec.Command(tktctlBin, args...)
	add.Stdin = strings.NewReader("alice-pw\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("tktctl user add: %v\n%s", err, out)
	}
}

// askAuth asks tktd at base, as nginx does (/auth/nginx), about a request
// for original from 127.0.0.1 carrying the ticket cookie (none if "") and,
// given a user and a password, HTTP Basic. It returns the status and the
// ticket re-issued, if any.
func askAuth(t *testing.T, base, original, cookie string, basic ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/auth/nginx", nil)
	req.Header.Set("X-Original-URL", original)
	req.Header.Set("X-Forwarded-For", "127.0.0.1")
	if cookie != "" {
		req.Header.Set("Cookie", "auth_tkt="+cookie)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fresh, _ := testenv.SetCookieValue(resp, "auth_tkt")
	return resp.StatusCode, fresh
}
