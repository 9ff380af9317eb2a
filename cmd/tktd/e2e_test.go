package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// binaries builds tktd and tktctl once per test run.
type binaries struct {
	once         sync.Once
	dir          string
	tktd, tktctl string
	err          error
	output       []byte
}

var bins binaries

func buildBinaries(t *testing.T) (tktd, tktctl string) {
	t.Helper()
	if testing.Short() && !testenv.InCI() { // in CI, nothing is skipped
		t.Skip("builds and runs the binaries")
	}
	goBin := testenv.LookPath(t, "go", "the Go toolchain, to build tktd and tktctl")
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "tktd-e2e-bin-")
		if bins.err != nil {
			return
		}
		bins.tktd, bins.tktctl = filepath.Join(bins.dir, "tktd"), filepath.Join(bins.dir, "tktctl")
		cmd := exec.Command(goBin, "build", "-ldflags", "-X main.version=e2e-test", "-o", bins.tktd, ".")
		if bins.output, bins.err = cmd.CombinedOutput(); bins.err != nil {
			return
		}
		cmd = exec.Command(goBin, "build", "-o", bins.tktctl, "../tktctl")
		bins.output, bins.err = cmd.CombinedOutput()
	})
	if bins.err != nil {
		t.Fatalf("go build: %v\n%s", bins.err, bins.output)
	}
	return bins.tktd, bins.tktctl
}

func TestMain(m *testing.M) {
	code := testenv.Run(m)
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

// tktdProcess is a running tktd binary.
type tktdProcess struct {
	cmd  *exec.Cmd
	logs *testenv.SyncBuffer
	base string
	done chan struct{}
	err  error // Wait's, once done is closed
}

// startTktd runs tktd serve with args and the environment env (nothing
// else of ours leaks in) and waits until /healthz answers.
func startTktd(t *testing.T, bin string, env []string, args ...string) *tktdProcess {
	t.Helper()
	return startCommand(t, bin, env, "serve", "/healthz", args...)
}

// startGate runs tktd gate as startTktd runs tktd serve.
func startGate(t *testing.T, bin string, env []string, args ...string) *tktdProcess {
	t.Helper()
	return startCommand(t, bin, env, "gate", gateHealthPath, args...)
}

func startCommand(t *testing.T, bin string, env []string, command, health string, args ...string) *tktdProcess {
	t.Helper()
	// A test that must know the address before the start (a
	// configuration naming it) passes --listen itself.
	addr := testenv.FreeAddr(t)
	if i := slices.Index(args, "--listen"); i >= 0 && i+1 < len(args) {
		addr = args[i+1]
	}
	base := addr
	// A listener on every interface (":PORT", "0.0.0.0:PORT") is
	// reached on loopback.
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		base = "127.0.0.1:" + port
	}
	p := &tktdProcess{logs: &testenv.SyncBuffer{}, base: "http://" + base, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{command, "--listen", addr}, args...)...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	// A directory of its own: the default data_dir (./tkt-data, where the
	// second factors live) must not land in the source tree.
	p.cmd.Dir = t.TempDir()
	p.cmd.Stderr = p.logs
	p.cmd.Stdout = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("tktd's log:\n%s", p.logs.String())
		}
	})
	testenv.WaitFor(t, "tktd's "+health, 20*time.Second, func() bool {
		select {
		case <-p.done:
			t.Fatalf("tktd exited: %v\n%s", p.err, p.logs.String())
		default:
		}
		resp, err := http.Get(p.base + health)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

func (p *tktdProcess) signal(t *testing.T, s os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

// TestE2EZeroConfiguration follows the README: tktd serve with a data
// directory and nothing else, tktctl user add, log in.
func TestE2EZeroConfiguration(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	data := filepath.Join(t.TempDir(), "data")
	p := startTktd(t, tktdBin, []string{"TKT_SERVER_RELOAD_INTERVAL=200ms"}, "--data-dir", data)

	// The data directory and its secret were made private.
	for path, mode := range map[string]os.FileMode{data: 0o700, filepath.Join(data, "secret"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, want mode %04o", path, err, mode)
		}
	}
	for _, want := range []string{"generated a new secret", "tktd is serving", p.base + "/login", "add a user with: tktctl user add --data-dir " + data + " NAME"} {
		if !strings.Contains(p.logs.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}

	addAlice(t, tktctlBin, data, "staff")

	secretFile := filepath.Join(data, "secret")
	loginOK := func(what string) {
		t.Helper()
		resp, body := testenv.Login(t, testenv.Browser(t), p.base, "alice", "alice-pw", "/")
		value, ok := testenv.SetCookieValue(resp, "auth_tkt")
		if resp.StatusCode != http.StatusSeeOther || !ok {
			t.Fatalf("%s: login answered %d, ticket cookie %v\n%s", what, resp.StatusCode, ok, body)
		}
		if r, err := verifyWith(t, secretFile, ticket.HMACSHA256, value); err != nil || r.UID != "alice" || r.Tokens.Groups() != "staff" {
			t.Fatalf("%s: the ticket does not verify with the secret file: %+v, %v", what, r, err)
		}
		// The README's command for tktd's own cookie, as written there.
		verify := exec.Command(tktctlBin, "verify", "--data-dir", data, "--ip", "127.0.0.1", value)
		if out, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(out), `valid ticket for "alice"`) {
			t.Fatalf("%s: tktctl verify --data-dir %s --ip 127.0.0.1: %v\n%s", what, data, err, out)
		}
	}
	loginOK("first login")
	if resp, _ := testenv.Login(t, testenv.Browser(t), p.base, "alice", "nope", "/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}

	c := testenv.Browser(t)
	if code, body := get(t, c, p.base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	_, page := get(t, c, p.base+"/metrics")
	for series, want := range map[string]string{
		`tkt_logins_total{result="ok"}`:      "1",
		`tkt_logins_total{result="invalid"}`: "1",
		`tkt_tickets_issued_total`:           "1",
		`tkt_build_info{version="e2e-test"}`: "1",
	} {
		if got := metricValue(page, series); got != want {
			t.Errorf("%s = %q, want %s", series, got, want)
		}
	}

	// Oversized headers are refused with 431.
	req, _ := http.NewRequest(http.MethodGet, p.base+"/login", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 40<<10))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("40 KiB header: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// SIGHUP reloads a rotated secret.
	writeSecret(t, secretFile, "rotated-by-sighup-0123456789\n")
	p.signal(t, syscall.SIGHUP)
	testenv.WaitFor(t, "the SIGHUP reload", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), `"reason":"SIGHUP"`) })
	loginOK("after SIGHUP")

	// So does a change noticed by the file watch, without a signal.
	writeSecret(t, secretFile, "rotated-by-the-watch-0123456789\n")
	testenv.WaitFor(t, "the file-watch reload", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), `"reason":"files changed"`) })
	loginOK("after the file watch")

	// SIGTERM drains: a login under way (its form half sent, so its
	// handler is still reading) gets its answer, then tktd exits 0.
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	form := "user=alice&password=alice-pw"
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nCookie: tkt_probe=1\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		strings.TrimPrefix(p.base, "http://"), p.base, len(form), form[:10])
	time.Sleep(200 * time.Millisecond) // the handler is now waiting for the rest of the form
	p.signal(t, syscall.SIGTERM)
	testenv.WaitFor(t, "the shutdown to start", 5*time.Second, func() bool { return strings.Contains(p.logs.String(), "shutting down") })
	if !strings.Contains(p.logs.String(), `"in_flight":1`) {
		t.Error("the shutdown log line does not count the login in flight")
	}
	select {
	case <-p.done:
		t.Fatalf("tktd exited with a request in flight: %v", p.err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := http.Get(p.base + "/healthz"); err == nil {
		t.Error("a new connection was accepted during shutdown")
	}
	io.WriteString(conn, form[10:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the login in flight got no answer: %v", err)
	}
	if _, ok := testenv.SetCookieValue(resp, "auth_tkt"); resp.StatusCode != http.StatusSeeOther || !ok {
		t.Errorf("the login in flight: %d, ticket %v", resp.StatusCode, ok)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("tktd did not exit after draining")
	}
	if p.err != nil {
		t.Errorf("tktd exited with %v, want 0", p.err)
	}
	if !strings.Contains(p.logs.String(), "drained: every request finished") {
		t.Errorf("the log does not say it drained")
	}
	for _, secret := range []string{"alice-pw", "rotated-by"} {
		if strings.Contains(p.logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestE2EApache logs in at the real tktd with a YAML configuration and an
// htpasswd store, and presents the ticket to the real Apache mod_auth_tkt:
// the backend must see the user and its groups as tokens.
func TestE2EApache(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	apache := apachetest.Start(t, apachetest.Config{})
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte(apachetest.MainSecret+"\n"), 0o600)
	hash, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "users"), []byte("bob:"+string(hash)+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "groups"), []byte("finance: bob\nother: carol\n"), 0o644)
	cfg := filepath.Join(dir, "tktd.yaml")
	os.WriteFile(cfg, []byte(`
data_dir: `+filepath.Join(dir, "data")+`
ticket:
  digest: sha256
  secret_file: `+secret+`
allowed_redirects: ["127.0.0.1"]
log: {format: json}
stores:
  - type: htpasswd
    name: files
    path: `+filepath.Join(dir, "users")+`
    group_path: `+filepath.Join(dir, "groups")+`
    cache: {enabled: true}
`), 0o644)
	p := startTktd(t, tktdBin, nil, "--config", cfg)

	back := apache.URL("sha256") + "/tokens/"
	resp, body := testenv.Login(t, testenv.Browser(t), p.base, "bob", "bob-pw", back)
	value, ok := testenv.SetCookieValue(resp, "auth_tkt")
	if resp.StatusCode != http.StatusSeeOther || !ok || resp.Header.Get("Location") != back {
		t.Fatalf("login: %d, cookie %v, location %q\n%s", resp.StatusCode, ok, resp.Header.Get("Location"), body)
	}
	for _, path := range []string{"/sha256/", "/tokens/"} {
		r := apache.Do(t, apachetest.Request{VHost: "sha256", Path: path, Cookie: value})
		// mod_auth_tkt sees the auth time as one more token, and passes
		// it on; TKTAuthToken finance still admits the ticket.
		if !r.Backend || r.RemoteUser == nil || *r.RemoteUser != "bob" || r.Tokens == nil || ticket.Tokens(*r.Tokens).Groups() != "finance" ||
			!strings.HasPrefix(*r.Tokens, "finance,"+ticket.AuthPrefix) {
			t.Errorf("%s: Apache answered %d (location %q), backend %v, user %v, tokens %v\n%s",
				path, r.Status, r.Location, r.Backend, deref(r.RemoteUser), deref(r.Tokens), apache.ErrorLogTail(5))
		}
	}
	// The other digests' hosts refuse it: the digest type is the server's choice.
	if r := apache.Do(t, apachetest.Request{VHost: "md5", Path: "/md5/", Cookie: value}); r.Backend {
		t.Error("the MD5 host accepted a SHA-256 ticket")
	}
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}
