package ldap

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// The test directory's fixed names.
const (
	suffix = "dc=example,dc=org"
	rootDN = "cn=admin," + suffix
	rootPW = "root-secret-9"
)

// slapd is a private OpenLDAP server on loopback ports, started for one test
// from Debian's slapd and stopped by PID when the test ends.
type slapd struct {
	url    string // ldap://127.0.0.1:port/ (StartTLS offered)
	tlsURL string // ldaps://127.0.0.1:port/
	pki    *testPKI
	dir    string

	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
}

// tool finds an external program the tests need, skipping the test when it
// is absent, except in CI where a missing server is a failure.
func tool(tb testing.TB, name string, alt ...string) string {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range alt {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found: install Debian's slapd and ldap-utils to run the LDAP tests against a real server", name)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

const slapdConf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile "{{dir}}/slapd.pid"
argsfile "{{dir}}/slapd.args"
TLSCACertificateFile "{{dir}}/ca.pem"
TLSCertificateFile "{{dir}}/server.pem"
TLSCertificateKeyFile "{{dir}}/server.key"

database mdb
maxsize 16777216
suffix "` + suffix + `"
rootdn "` + rootDN + `"
rootpw ` + rootPW + `
directory "{{dir}}/db"
access to attrs=userPassword
	by self write
	by anonymous auth
	by * none
access to *
	by * read
overlay memberof
`

// startSlapd starts a server holding ldif (LDIF text, may be empty).
func startSlapd(tb testing.TB, ldif string) *slapd {
	tb.Helper()
	bin := tool(tb, "slapd", "/usr/sbin/slapd")
	ldapadd := tool(tb, "ldapadd")

	dir := tb.TempDir()
	pki := newTestPKI(tb, "127.0.0.1")
	writeFile(tb, filepath.Join(dir, "ca.pem"), pki.caPEM)
	writeFile(tb, filepath.Join(dir, "server.pem"), pki.certPEM)
	writeFile(tb, filepath.Join(dir, "server.key"), pki.keyPEM)
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(dir, "slapd.conf"), []byte(strings.ReplaceAll(slapdConf, "{{dir}}", dir)))

	var s *slapd
	// A free port can be taken between our check and slapd's bind: retry.
	for attempt := 0; ; attempt++ {
		var err error
		s, err = launch(bin, dir, pki)
		if err == nil {
			break
		}
		if attempt == 2 {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(s.stop)

	if ldif != "" {
		file := filepath.Join(dir, "data.ldif")
		writeFile(tb, file, []byte(ldif))
		out, err := exec.Command(ldapadd, "-x", "-H", s.url, "-D", rootDN, "-w", rootPW, "-f", file).CombinedOutput()
		if err != nil {
			tb.Fatalf("ldapadd: %v\n%s", err, out)
		}
	}
	return s
}

func launch(bin, dir string, pki *testPKI) (*slapd, error) {
	port, tlsPort := freePort(), freePort()
	s := &slapd{
		url:    fmt.Sprintf("ldap://127.0.0.1:%d/", port),
		tlsURL: fmt.Sprintf("ldaps://127.0.0.1:%d/", tlsPort),
		pki:    pki,
		dir:    dir,
		exited: make(chan struct{}),
	}
	// A file, not a buffer: exec copies into a buffer from a goroutine of
	// its own, which would race with reading it here.
	logName := filepath.Join(dir, "slapd.log")
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	log := func() string { b, _ := os.ReadFile(logName); return string(b) }
	s.cmd = exec.Command(bin, "-f", filepath.Join(dir, "slapd.conf"), "-h", s.url+" "+s.tlsURL, "-d", "0")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start slapd: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("slapd exited at start: %s\n%s", s.cmd.ProcessState, log())
		default:
		}
		if ready(s.url) {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("slapd not answering on %s after 15 s\n%s", s.url, log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready reports whether the server answers an LDAP request, not just TCP.
func ready(url string) bool {
	c, err := goldap.DialURL(url, goldap.DialWithDialer(&net.Dialer{Timeout: 200 * time.Millisecond}))
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetTimeout(time.Second)
	_, err = c.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"namingContexts"}, nil))
	return err == nil
}

// stop terminates the server and waits for it; it is safe to call twice.
func (s *slapd) stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// freePort returns a loopback port nobody listens on right now.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// closedURL is an ldap:// URL on which nothing listens.
func closedURL() string { return fmt.Sprintf("ldap://127.0.0.1:%d", freePort()) }

func writeFile(tb testing.TB, name string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// blackhole is a server that accepts connections and never answers: what a
// hung directory looks like.
func blackhole(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "ldap://" + l.Addr().String()
}
