package apachetest

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
)

//go:embed env.cgi
var envCGI []byte

// Server is a running private Apache.
type Server struct {
	dir   string
	ports map[string]int
	cmd   *exec.Cmd
	done  chan struct{} // closed when the Apache parent has exited
}

// errBind marks a start that failed because a port was taken between our
// probe and Apache's bind: worth retrying with other ports.
var errBind = errors.New("apache could not bind its port")

// Start starts Apache as configured by c and stops it when the test ends.
// It skips the test (or fails it when CI=true) when apache2 or mod_auth_tkt
// is not installed.
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	if c.VHosts == nil {
		c.VHosts = DefaultVHosts()
	}
	_, err := os.Stat(apacheBin)
	testenv.Need(t, "apache2 (Debian package apache2)", err)
	for _, m := range append(baseModules(), c.Modules...) {
		_, err := os.Stat(modulePath(m))
		testenv.Need(t, "the Apache module "+m+" (Debian packages apache2, libapache2-mod-auth-tkt)", err)
	}
	if err := checkNames(c.VHosts); err != nil {
		t.Fatal(err)
	}
	dir := serverRoot(t)
	var s *Server
	err = testenv.RetryPorts(len(c.VHosts), func(ports []int) (err error) {
		s, err = start(dir, c, ports)
		return err
	}, func(err error) bool { return errors.Is(err, errBind) })
	if err != nil {
		t.Fatalf("apachetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("apachetest: stopping Apache: %v", err)
		}
		if t.Failed() {
			t.Logf("apachetest: error log tail:\n%s", s.ErrorLogTail(40))
		}
	})
	return s
}

func checkNames(vhs []VHost) error {
	seen := map[string]bool{}
	for _, vh := range vhs {
		if vh.Name == "" || seen[vh.Name] {
			return fmt.Errorf("apachetest: virtual host names must be unique and non-empty, got %q", vh.Name)
		}
		seen[vh.Name] = true
	}
	return nil
}

// serverRoot makes the ServerRoot. As root Apache's children run as
// www-data, which must be able to reach the CGI; t.TempDir's parents are
// 0700, so the root is a 0755 directory of its own under a temp directory
// everyone can traverse.
func serverRoot(t testing.TB) string {
	t.Helper()
	parent := os.TempDir()
	if !traversable(parent) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "tkt-apachetest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"", "conf", "run", "logs", "cgi-bin", "htdocs"} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		// MkdirTemp makes 0700 and the umask may trim MkdirAll's mode.
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cgi := filepath.Join(dir, "cgi-bin", "env.cgi")
	if err := os.WriteFile(cgi, envCGI, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cgi, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// traversable reports whether every directory from / to dir lets others
// search it.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func start(dir string, c Config, ports []int) (*Server, error) {
	conf, err := writeConf(dir, c, ports, os.Getuid())
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "conf", "httpd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	// A previous failed try leaves its log behind; start each try clean
	// so the bind check reads this try's messages only.
	os.Remove(filepath.Join(dir, "logs", "error.log"))
	s := &Server{dir: dir, ports: map[string]int{}, done: make(chan struct{})}
	for i, vh := range c.VHosts {
		s.ports[vh.Name] = ports[i]
	}
	var stderr bytes.Buffer
	// In the foreground the parent is our child: we know its PID without a
	// pidfile and Wait tells us when it is gone.
	s.cmd = exec.Command(apacheBin, "-d", dir, "-f", confPath, "-DFOREGROUND")
	s.cmd.Stdout, s.cmd.Stderr = &stderr, &stderr
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	var waitErr error
	go func() { waitErr = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(10 * time.Second); err != nil {
		s.stop()
		<-s.done
		msg := strings.TrimSpace(stderr.String() + "\n" + s.ErrorLogTail(20))
		if strings.Contains(msg, "Address already in use") || strings.Contains(msg, "could not bind") {
			return nil, fmt.Errorf("%w: %s", errBind, msg)
		}
		return nil, fmt.Errorf("%v (exit: %v)\n%s", err, waitErr, msg)
	}
	return s, nil
}

// waitReady polls every virtual host until its CGI answers.
func (s *Server) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for name := range s.ports {
		for {
			select {
			case <-s.done:
				return errors.New("apache exited during start")
			default:
			}
			resp, err := client.Get(s.URL(name) + "/apachetest-ready")
			if err == nil {
				resp.Body.Close()
				if resp.Header.Get(backendHeader) != "" {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("virtual host %s not ready after %v (last error %v)", name, limit, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// stop ends Apache by its PID: SIGTERM makes the prefork parent stop its
// children and exit; SIGKILL after 10 s if it hangs.
func (s *Server) stop() error {
	err := testenv.Terminate(func(sig syscall.Signal) error { return s.cmd.Process.Signal(sig) }, s.done, 10*time.Second)
	if err != nil {
		return fmt.Errorf("pid %d: %w", s.cmd.Process.Pid, err)
	}
	return nil
}

// URL returns the base URL of the named virtual host, http://127.0.0.1:PORT.
func (s *Server) URL(vhost string) string {
	port, ok := s.ports[vhost]
	if !ok {
		panic("apachetest: no virtual host " + strconv.Quote(vhost))
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// Dir is the ServerRoot (conf/httpd.conf, logs/error.log, ...).
func (s *Server) Dir() string { return s.dir }

// ErrorLogTail returns the last n lines of Apache's error log.
func (s *Server) ErrorLogTail(n int) string {
	return testenv.Tail(filepath.Join(s.dir, "logs", "error.log"), n)
}
