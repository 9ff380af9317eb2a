// Package slapdtest starts private OpenLDAP servers for tests: Debian's
// slapd as a child process on free loopback ports, in a test's temporary
// directory, with a throwaway CA for StartTLS and ldaps://, stopped by PID
// when the test ends. Tests of every package that talks to LDAP share it,
// so the directory they see is configured the same way.
package slapdtest

import (
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

	"github.com/tkt-sso/tkt/internal/testenv"
)

// Defaults for a zero Config.
const (
	DefaultSuffix        = "dc=example,dc=org"
	DefaultAdminPassword = "root-secret-9"
)

// Config describes the server to start. The zero value works: an empty
// directory below DefaultSuffix.
type Config struct {
	// Suffix is the database's base DN; default DefaultSuffix.
	Suffix string
	// AdminPassword is the root DN's password; default DefaultAdminPassword.
	AdminPassword string
	// LDIF, when set, is loaded (with ldapadd, as the root DN) before Start
	// returns. It usually starts with the suffix entry itself.
	LDIF string
}

// Server is a running slapd. Its fields are read-only.
type Server struct {
	// URL offers plain LDAP and StartTLS: ldap://127.0.0.1:port/.
	URL string
	// TLSURL is the same server over ldaps://.
	TLSURL string
	// BaseDN is the suffix, AdminDN ("cn=admin,"+BaseDN) and
	// AdminPassword the root account that may write anything.
	BaseDN, AdminDN, AdminPassword string
	// Dir is the server's private directory; CAFile (in it) is the PEM of
	// the CA that signed the server's certificate, which is valid for
	// 127.0.0.1 only.
	Dir, CAFile string
	PKI         *PKI

	ldapadd  string
	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
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
suffix "{{suffix}}"
rootdn "{{rootdn}}"
rootpw {{rootpw}}
directory "{{dir}}/db"
access to attrs=userPassword
	by self write
	by anonymous auth
	by * none
access to *
	by * read
overlay memberof
`

// Start starts a server for the test and stops it when the test ends.
func Start(tb testing.TB, c Config) *Server {
	tb.Helper()
	bin := testenv.LookPath(tb, "slapd", "Debian package slapd", "/usr/sbin/slapd")
	ldapadd := testenv.LookPath(tb, "ldapadd", "Debian package ldap-utils")
	suffix := c.Suffix
	if suffix == "" {
		suffix = DefaultSuffix
	}
	rootPW := c.AdminPassword
	if rootPW == "" {
		rootPW = DefaultAdminPassword
	}
	if strings.ContainsAny(rootPW, " \t\n\"\\") || strings.ContainsAny(suffix, "\n\"\\") {
		// They go into slapd.conf unquoted (rootpw) or quoted (suffix).
		tb.Fatal("slapdtest: the suffix and admin password must be plain")
	}

	dir := tb.TempDir()
	pki := NewPKI(tb, "127.0.0.1")
	testenv.WriteFile(tb, filepath.Join(dir, "ca.pem"), string(pki.CAPEM), 0o600)
	testenv.WriteFile(tb, filepath.Join(dir, "server.pem"), string(pki.CertPEM), 0o600)
	testenv.WriteFile(tb, filepath.Join(dir, "server.key"), string(pki.KeyPEM), 0o600)
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		tb.Fatal(err)
	}
	conf := strings.NewReplacer("{{dir}}", dir, "{{suffix}}", suffix, "{{rootdn}}", "cn=admin,"+suffix, "{{rootpw}}", rootPW).Replace(slapdConf)
	testenv.WriteFile(tb, filepath.Join(dir, "slapd.conf"), conf, 0o600)

	s := &Server{
		BaseDN: suffix, AdminDN: "cn=admin," + suffix, AdminPassword: rootPW,
		Dir: dir, CAFile: filepath.Join(dir, "ca.pem"), PKI: pki, ldapadd: ldapadd,
	}
	// A free port can be taken between our check and slapd's bind: retry.
	for attempt := 0; ; attempt++ {
		err := s.launch(bin)
		if err == nil {
			break
		}
		if attempt == 2 {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(s.Stop)
	if c.LDIF != "" {
		s.AddLDIF(tb, c.LDIF)
	}
	return s
}

// AddLDIF adds the entries in ldif (LDIF text) as the root DN.
func (s *Server) AddLDIF(tb testing.TB, ldif string) {
	tb.Helper()
	f, err := os.CreateTemp(s.Dir, "add-*.ldif")
	if err != nil {
		tb.Fatal(err)
	}
	_, err = f.WriteString(ldif)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(s.ldapadd, "-x", "-H", s.URL, "-D", s.AdminDN, "-w", s.AdminPassword, "-f", f.Name()).CombinedOutput()
	if err != nil {
		tb.Fatalf("ldapadd: %v\n%s", err, out)
	}
}

func (s *Server) launch(bin string) error {
	// Both at once, so that they differ.
	ports, err := testenv.FreePorts(2)
	if err != nil {
		return err
	}
	s.URL = fmt.Sprintf("ldap://127.0.0.1:%d/", ports[0])
	s.TLSURL = fmt.Sprintf("ldaps://127.0.0.1:%d/", ports[1])
	s.exited = make(chan struct{})
	s.stopOnce = sync.Once{}
	// A file, not a buffer: exec copies into a buffer from a goroutine of
	// its own, which would race with reading it here.
	logName := filepath.Join(s.Dir, "slapd.log")
	logFile, err := os.Create(logName)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := func() string { b, _ := os.ReadFile(logName); return string(b) }
	s.cmd = exec.Command(bin, "-f", filepath.Join(s.Dir, "slapd.conf"), "-h", s.URL+" "+s.TLSURL, "-d", "0")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start slapd: %w", err)
	}
	cmd, exited := s.cmd, s.exited
	go func() { _ = cmd.Wait(); close(exited) }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("slapd exited at start: %s\n%s", cmd.ProcessState, log())
		default:
		}
		if ready(s.URL) {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("slapd not answering on %s after 15 s\n%s", s.URL, log())
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

// Stop terminates the server and waits for it: the directory is then down,
// as far as its clients can tell. It is safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = testenv.Terminate(func(sig syscall.Signal) error { return s.cmd.Process.Signal(sig) }, s.exited, 5*time.Second)
	})
}

// Freeze stops the server with SIGSTOP, so that the kernel still accepts
// connections and nobody answers: a hung directory (testenv.Freeze). Thaw
// undoes it.
func (s *Server) Freeze() error { return testenv.Freeze(s.cmd.Process.Pid) }

// Thaw lets a frozen server go on (SIGCONT).
func (s *Server) Thaw() error { return testenv.Thaw(s.cmd.Process.Pid) }
