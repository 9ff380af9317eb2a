package main

// Attacks on the running binaries, each bounded in count and time: what an
// anonymous client must not be able to do to the portal or the gate.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// attackSecret writes a secret file for a gate.
func attackSecret(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	writeSecret(t, f, "an attack-test secret of more than thirty-two bytes")
	return f
}

// countingApp is an application that reads every request body and says
// how many bytes it got.
func countingApp(t *testing.T) *httptest.Server {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "read %d bytes, err %v\n", n, err)
	}))
	t.Cleanup(app.Close)
	return app
}

// rawAnswer sends raw on a new connection to addr and reads the answer's
// status line, then whether the server closes the connection within wait.
func rawAnswer(t *testing.T, addr, raw string, wait time.Duration) (status string, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	status, err = br.ReadString('\n')
	if err != nil {
		return "", false // no answer within wait
	}
	_, err = io.Copy(io.Discard, br)
	var ne net.Error
	return strings.TrimSpace(status), err == nil || !errors.As(err, &ne) || !ne.Timeout()
}

// TestE2EUnreadBodyIsAnsweredAtOnce: a request that announces a body and
// never sends it gets its answer at once and its connection closed, at the
// gate (which used to log its 307 and never send it) and at the portal;
// 100 of them at a time leave both serving.
func TestE2EUnreadBodyIsAnsweredAtOnce(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app := countingApp(t)
	gate := startGate(t, tktdBin, nil, "--secret-file", attackSecret(t), "--upstream", app.URL, "--login-url", "https://login.example/login")
	portal := startTktd(t, tktdBin, nil, "--data-dir", filepath.Join(t.TempDir(), "data"))
	for _, c := range []struct {
		name, base, raw, status string
	}{
		{"gate", gate.base, "POST / HTTP/1.1\r\nHost: app.example\r\nContent-Length: 200000\r\n\r\n", "HTTP/1.1 307 Temporary Redirect"},
		{"gate-chunked", gate.base, "PUT /upload HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 307 Temporary Redirect"},
		{"portal-404", portal.base, "POST /nowhere HTTP/1.1\r\nHost: login.example\r\nContent-Length: 200000\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"portal-logout", portal.base, "POST /logout HTTP/1.1\r\nHost: login.example\r\nContent-Length: 200000\r\nSec-Fetch-Site: cross-site\r\n\r\n", "HTTP/1.1 403 Forbidden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := strings.TrimPrefix(c.base, "http://")
			start := time.Now()
			status, closed := rawAnswer(t, addr, c.raw, 3*time.Second)
			if status != c.status || !closed {
				t.Fatalf("answer %q (want %q), connection closed: %v, after %v", status, c.status, closed, time.Since(start))
			}
			// Many at once, held open by the clients: a client that asks
			// properly is still served, quickly.
			var wg sync.WaitGroup
			for range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rawAnswer(t, addr, c.raw, 2*time.Second)
				}()
			}
			time.Sleep(200 * time.Millisecond)
			client := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(c.base + "/")
			if err != nil {
				t.Fatalf("a proper client during the attack: %v", err)
			}
			resp.Body.Close()
			wg.Wait()
		})
	}
}

// TestE2EGateUploadOutlivesReadTimeout: the read timeout bounds a request
// only until the gate lets it through. An upload with a valid ticket that
// takes three read timeouts reaches the application whole; the same slow
// upload without a ticket is answered at once and cut off.
func TestE2EGateUploadOutlivesReadTimeout(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app := countingApp(t)
	secret := attackSecret(t)
	gate := startGate(t, tktdBin, []string{"TKT_SERVER_READ_TIMEOUT=1s", "TKT_SERVER_WRITE_TIMEOUT=1s"},
		"--secret-file", secret, "--upstream", app.URL, "--login-url", "https://login.example/login")
	raw, err := os.ReadFile(secret)
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := ticket.Minter{Digest: ticket.HMACSHA256, Secret: strings.TrimSuffix(string(raw), "\n")}.
		MintCookie(ticket.Ticket{UID: "alice", Time: time.Now()}, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	const chunks, size = 6, 64 << 10
	upload := func() (*http.Response, error) {
		pr, pw := io.Pipe()
		go func() {
			buf := make([]byte, size)
			for range chunks {
				if _, err := pw.Write(buf); err != nil {
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("PUT", gate.base+"/upload", pr)
		req.Header.Set("Accept", "application/json")
		req.AddCookie(&http.Cookie{Name: "auth_tkt", Value: cookie})
		return (&http.Client{Timeout: 10 * time.Second}).Do(req)
	}
	resp, err := upload()
	if err != nil {
		t.Fatalf("the upload with a ticket: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("read %d bytes, err <nil>\n", chunks*size); resp.StatusCode != 200 || string(body) != want {
		t.Errorf("with a ticket: %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	// Without a ticket: the first chunk of a slow upload, on a raw
	// connection so that the client reads before it writes more.
	start := time.Now()
	put := "PUT /upload HTTP/1.1\r\nHost: app.example\r\nAccept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"400\r\n" + strings.Repeat("x", 1024) + "\r\n"
	status, closed := rawAnswer(t, strings.TrimPrefix(gate.base, "http://"), put, 3*time.Second)
	if status != "HTTP/1.1 401 Unauthorized" || !closed || time.Since(start) > 2*time.Second {
		t.Errorf("without a ticket: %q, connection closed: %v, after %v", status, closed, time.Since(start))
	}
}

// openFiles counts a process's open file descriptors.
func openFiles(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestE2EMaxConnections: one client holding many idle keep-alive
// connections cannot take them all. At max_connections a new client closes
// the connection idle the longest, and is served; the descriptors in use
// stay bounded.
func TestE2EMaxConnections(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc")
	}
	tktdBin, _ := buildBinaries(t)
	app := countingApp(t)
	const limit, held = 40, 200
	for _, c := range []struct {
		name string
		p    *tktdProcess
	}{
		{"portal", startTktd(t, tktdBin, []string{fmt.Sprintf("TKT_SERVER_MAX_CONNECTIONS=%d", limit)}, "--data-dir", filepath.Join(t.TempDir(), "data"))},
		{"gate", startGate(t, tktdBin, []string{fmt.Sprintf("TKT_GATE_MAX_CONNECTIONS=%d", limit)},
			"--secret-file", attackSecret(t), "--upstream", app.URL, "--login-url", "https://login.example/login")},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := strings.TrimPrefix(c.p.base, "http://")
			health := "/healthz"
			if c.name == "gate" {
				health = gateHealthPath
			}
			baseline := openFiles(t, c.p.cmd.Process.Pid)
			// Each connection asks once and then idles, kept alive.
			var conns []net.Conn
			defer func() {
				for _, k := range conns {
					k.Close()
				}
			}()
			for i := range held {
				k, err := net.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
				conns = append(conns, k)
				fmt.Fprintf(k, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", health)
				k.SetReadDeadline(time.Now().Add(2 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(k), nil)
				if err == nil {
					resp.Body.Close()
				}
			}
			if n := openFiles(t, c.p.cmd.Process.Pid); n > baseline+limit+5 {
				t.Errorf("%d descriptors open with %d connections held, %d before: the bound is %d", n, held, baseline, limit)
			}
			// A new client is served.
			resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(c.p.base + health)
			if err != nil {
				t.Fatalf("a new client: %v", err)
			}
			resp.Body.Close()
			// The oldest connections were closed to make room, the newest
			// not.
			if !closedByServer(conns[0]) || closedByServer(conns[held-1]) {
				t.Errorf("oldest closed: %v, newest closed: %v", closedByServer(conns[0]), closedByServer(conns[held-1]))
			}
			_, page := get(t, testenv.Browser(t), c.p.base+"/metrics")
			if c.name == "portal" {
				if got := metricValue(page, `tkt_connections_shed_total{reason="idle"}`); got == "" || got == "0" {
					t.Errorf("tkt_connections_shed_total{reason=\"idle\"} = %q", got)
				}
			}
		})
	}
}

// closedByServer reports whether the server has closed an idle
// connection: a read returns at once with EOF or a reset.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// fromAddr is a RoundTripper that says, as a trusted proxy would, that its
// requests come from addr.
type fromAddr struct{ addr string }

func (f fromAddr) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return http.DefaultTransport.RoundTrip(r)
}

// TestE2EGuessingFromManyAddresses: guesses at one user's password from 60
// addresses, 5 each, half of them IPv6 networks of one /48. Each address's
// own budget admits its 5; the user's budget over all addresses stops them
// at 20 (19 here: the user's own first login took one), while the user
// still signs in from the address they used before.
func TestE2EGuessingFromManyAddresses(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	data := filepath.Join(t.TempDir(), "data")
	p := startTktd(t, tktdBin, []string{"TKT_TRUSTED_PROXIES=127.0.0.1"}, "--data-dir", data)
	add := exec.Command(tktctlBin, "user", "add", "--data-dir", data, "--password-stdin", "alice")
	add.Stdin = strings.NewReader("alice-pw\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("tktctl user add: %v\n%s", err, out)
	}
	from := func(addr string) *http.Client {
		c := testenv.Browser(t)
		c.Transport = fromAddr{addr}
		return c
	}
	if resp, _ := testenv.Login(t, from("192.0.2.10"), p.base, "alice", "alice-pw", "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice's first login: %d", resp.StatusCode)
	}
	codes := map[int]int{}
	for i := range 60 {
		addr := fmt.Sprintf("198.51.100.%d", i+1)
		if i >= 30 {
			addr = fmt.Sprintf("2001:db8:77:%x::1", i)
		}
		c := from(addr)
		for range 5 {
			resp, _ := testenv.Login(t, c, p.base, "alice", "guess", "/")
			codes[resp.StatusCode]++
		}
	}
	_, page := get(t, testenv.Browser(t), p.base+"/metrics")
	if got := metricValue(page, `tkt_logins_total{result="invalid"}`); got != "19" {
		t.Errorf("%s of 300 guesses reached the password check, want 19 (answers: %v)", got, codes)
	}
	if codes[http.StatusTooManyRequests] != 281 {
		t.Errorf("answers %v, want 281 x 429", codes)
	}
	if resp, _ := testenv.Login(t, from("192.0.2.10"), p.base, "alice", "alice-pw", "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice from her usual address during the attack: %d", resp.StatusCode)
	}
}

// TestE2EWeakSecret: a one-byte secret (given up by one ticket in 0.14 s)
// is refused by config check, at start (serve and gate) and at reload,
// where the previous secret stays; ticket.allow_weak_secret keeps a legacy
// one, with an error logged.
func TestE2EWeakSecret(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	dir := t.TempDir()
	weak := filepath.Join(dir, "weak")
	writeSecret(t, weak, "x\n")
	conf := filepath.Join(dir, "tktd.yaml")
	if err := os.WriteFile(conf, []byte("ticket: {secret_file: "+weak+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const want = "ticket.secret_file: " // then the file and "secret too short: 1 bytes"
	out, err := exec.Command(tktctlBin, "config", "check", "--no-env", conf).CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "secret too short: 1 bytes") {
		t.Errorf("config check: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"serve", "--config", conf, "--data-dir", filepath.Join(dir, "data"), "--listen", testenv.FreeAddr(t)},
		{"gate", "--config", conf, "--upstream", "http://127.0.0.1:9", "--listen", testenv.FreeAddr(t)},
	} {
		out, err := exec.Command(tktdBin, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "allow_weak_secret") {
			t.Errorf("tktd %s: %v\n%s", args[0], err, out)
		}
	}

	// Reload: the weak secret is refused and the current one kept.
	data := filepath.Join(dir, "data")
	p := startTktd(t, tktdBin, nil, "--data-dir", data)
	secretFile := filepath.Join(data, "secret")
	before, _ := os.ReadFile(secretFile)
	writeSecret(t, secretFile, "x\n")
	p.signal(t, syscall.SIGHUP)
	testenv.WaitFor(t, "the reload's verdict", 5*time.Second, func() bool { return strings.Contains(p.logs.String(), "reload failed") })
	if !strings.Contains(p.logs.String(), "secret too short: 1 bytes") {
		t.Errorf("the reload's log does not say why:\n%s", p.logs.String())
	}
	// The portal still signs with the secret it had.
	add := exec.Command(tktctlBin, "user", "add", "--data-dir", data, "--password-stdin", "alice")
	add.Stdin = strings.NewReader("alice-pw\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("tktctl user add: %v\n%s", err, out)
	}
	resp, _ := testenv.Login(t, testenv.Browser(t), p.base, "alice", "alice-pw", "/")
	value, _ := testenv.SetCookieValue(resp, "auth_tkt")
	kept := filepath.Join(dir, "kept")
	writeSecret(t, kept, string(before))
	if _, err := verifyWith(t, kept, ticket.HMACSHA256, value); err != nil {
		t.Errorf("after the refused reload, the ticket does not verify with the previous secret: %v", err)
	}

	// Allowed, it starts, and says so at error level.
	allowed := filepath.Join(dir, "allowed.yaml")
	os.WriteFile(allowed, []byte("ticket: {secret_file: "+weak+", allow_weak_secret: true}\n"), 0o600)
	q := startTktd(t, tktdBin, nil, "--config", allowed, "--data-dir", filepath.Join(dir, "data2"))
	if logs := q.logs.String(); !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "WEAK SECRET IN USE") {
		t.Errorf("no error logged for an allowed weak secret:\n%s", logs)
	}
}

// TestE2EReadinessTellsTheTruth: /readyz says what a login would do. A
// hung directory (slapd stopped with SIGSTOP, logins failing) reads as not
// ready within the probe's deadline; it read as ready. A deleted htpasswd
// file, whose users still log in from memory, reads as ready and says so;
// it read as not ready.
func TestE2EReadinessTellsTheTruth(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	srv, conf := ldapSite(t)
	p := startTktd(t, tktdBin, nil, "--config", conf, "--data-dir", filepath.Join(t.TempDir(), "data"))
	c := &http.Client{Timeout: 10 * time.Second}
	readyz := func() (int, string, time.Duration) {
		start := time.Now()
		resp, err := c.Get(p.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), time.Since(start)
	}
	if code, body, _ := readyz(); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz with slapd up: %d %q", code, body)
	}
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer srv.Thaw()
	time.Sleep(1100 * time.Millisecond) // a directory is probed at most once a second
	code, body, took := readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "user store unreachable") || took > 5*time.Second {
		t.Errorf("/readyz with slapd frozen: %d %q after %v", code, body, took)
	}
	srv.Thaw()

	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	testenv.WriteFile(t, users, "alice:{SHA}g2YDYHBhl9R/ddqtGep+ipAO4aU=\n", 0o600) // alice-pw
	files := filepath.Join(dir, "tktd.yaml")
	testenv.WriteFile(t, files, "stores: [{type: htpasswd, path: "+users+"}]\n", 0o600)
	q := startTktd(t, tktdBin, nil, "--config", files, "--data-dir", filepath.Join(dir, "data"))
	p = q
	os.Remove(users)
	if code, body, _ := readyz(); code != 200 || !strings.Contains(body, "serving from memory") {
		t.Errorf("/readyz with the htpasswd file gone: %d %q", code, body)
	}
	if resp, _ := testenv.Login(t, testenv.Browser(t), q.base, "alice", "alice-pw", "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice's login with the file gone: %d", resp.StatusCode)
	}
}

// TestE2ESmallerFindings: the review's smaller findings, against the
// binary. A trusted proxy's unreadable X-Forwarded-For gets the login
// refused (it minted an unbound ticket); a control character in a user
// name never reaches the store; a portal behind TLS does not hand a URL
// ticket to an http:// back URL; its pages carry HSTS; a flood of GET
// /login does not write a log line each.
func TestE2ESmallerFindings(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	data := filepath.Join(t.TempDir(), "data")
	p := startTktd(t, tktdBin, []string{"TKT_TRUSTED_PROXIES=127.0.0.1", "TKT_URL_TICKET_HOSTS=other.example.net", "TKT_LOG_ACCESS_RATE=10"}, "--data-dir", data)
	add := exec.Command(tktctlBin, "user", "add", "--data-dir", data, "--password-stdin", "alice")
	add.Stdin = strings.NewReader("alice-pw\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("tktctl user add: %v\n%s", err, out)
	}
	behind := func(xff, proto string) *http.Client {
		c := testenv.Browser(t)
		c.Transport = viaProxy{xff: xff, proto: proto}
		return c
	}
	resp, body := testenv.Login(t, behind("junk", ""), p.base, "alice", "alice-pw", "/")
	if _, issued := testenv.SetCookieValue(resp, "auth_tkt"); resp.StatusCode != http.StatusBadRequest || issued || !strings.Contains(body, "network address could not be determined") {
		t.Errorf("login behind an unreadable X-Forwarded-For: %d, ticket %v", resp.StatusCode, issued)
	}
	if resp, _ := testenv.Login(t, testenv.Browser(t), p.base, "alice\x01", "alice-pw", "/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a control character in the user name: %d", resp.StatusCode)
	}
	resp, _ = testenv.Login(t, behind("192.0.2.7", "https"), p.base, "alice", "alice-pw", "http://other.example.net/app")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || strings.Contains(loc, "auth_tkt") || loc != "/" {
		t.Errorf("a URL ticket to http:// from a portal behind TLS: %d %q", resp.StatusCode, loc)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "max-age=31536000" {
		t.Errorf("HSTS behind TLS: %q", hsts)
	}
	// Of the three logins, only the last one asked the store.
	if _, body := get(t, testenv.Browser(t), p.base+"/metrics"); metricValue(body, "tkt_store_latency_seconds_count") != "1" {
		t.Errorf("the store was asked %s times, want 1", metricValue(body, "tkt_store_latency_seconds_count"))
	}

	before := strings.Count(p.logs.String(), `"msg":"request"`)
	c := testenv.Browser(t)
	for range 200 {
		if code, _ := get(t, c, p.base+"/login"); code != 200 {
			t.Fatalf("GET /login: %d", code)
		}
	}
	if lines := strings.Count(p.logs.String(), `"msg":"request"`) - before; lines > 40 {
		t.Errorf("200 GET /login wrote %d access lines; log.access_rate is 10 a second", lines)
	}
}

// viaProxy is a RoundTripper that says what a trusted proxy would.
type viaProxy struct{ xff, proto string }

func (v viaProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", v.xff)
	if v.proto != "" {
		r.Header.Set("X-Forwarded-Proto", v.proto)
	}
	return http.DefaultTransport.RoundTrip(r)
}
