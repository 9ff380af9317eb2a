// Package proxytest starts real reverse proxies (Debian's nginx, Caddy and
// HAProxy, and Traefik built from the Go module proxy) for tests of tkt's
// forward-auth endpoint, so that what tktd answers is checked against what
// the proxies really do with it rather than against our reading of their
// manuals.
//
// The harness installs nothing. When a proxy's binary is present it writes
// the proxy's configuration in a fresh t.TempDir(), listens on a free
// 127.0.0.1 port only and runs the proxy in the foreground, in a process
// group of its own, as a child process that t.Cleanup stops. Nothing is
// written outside the temporary directory, so the tests can run as root next
// to a system-wide proxy. When the binary is absent the test is skipped, or
// fails when CI=true (see testenv.Need).
//
// In every configuration the literal strings "$PORT" and "$DIR" are replaced
// with the chosen listen port and the temporary directory before the proxy
// reads it. Neither is a variable any of the proxies defines.
//
//	s := proxytest.Nginx(t, `server { listen 127.0.0.1:$PORT; ... }`)
//	resp, err := http.Get(s.URL() + "/app/")
package proxytest

import (
	"errors"
	"fmt"
	"net"
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

// Server is a running proxy.
type Server struct {
	name string   // "nginx", "caddy" or "haproxy", for messages
	dir  string   // the temporary directory with its config and logs
	port int      // the listen port
	logs []string // the files LogTail reads, in order
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has been waited for
	err  error         // cmd.Wait's result, valid once done is closed
}

// URL is the proxy's base URL, http://127.0.0.1:PORT, for the test's
// requests.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Addr is 127.0.0.1:PORT, for configurations that need the proxy's own
// address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// LogTail returns the last n lines of each of the proxy's logs (its error
// log and everything it wrote to stdout and stderr), for test failure
// messages: a proxy's 500 or 503 is only explained there.
func (s *Server) LogTail(n int) string {
	var b strings.Builder
	for _, f := range s.logs {
		fmt.Fprintf(&b, "==> %s <==\n%s\n", filepath.Base(f), testenv.Tail(f, n))
	}
	return strings.TrimRight(b.String(), "\n")
}

// proxy is what differs between the three proxies.
type proxy struct {
	name string   // for messages
	bins []string // where to look for the binary, first found wins
	hint string   // where to get it
	// write writes the configuration for port into dir and returns the
	// command line arguments after the binary.
	write func(dir string, port int) ([]string, error)
	env   func(dir string) []string // extra environment, or nil
	logs  []string                  // log files in dir besides output.log
	// ready, when set, is asked after the proxy listens, until it says
	// the configuration is in force (nil) or the start has failed.
	ready func(s *Server) (bool, error)
}

// errBind marks a start that failed because the port was taken between our
// probe and the proxy's bind: worth retrying with another port.
var errBind = errors.New("could not bind its port")

// run finds the binary (skipping or, in CI, failing without it), starts the
// proxy and registers its stop.
func run(t testing.TB, p proxy) *Server {
	t.Helper()
	bin := p.find(t)
	dir := t.TempDir() // registered first, so removed after the stop below
	var s *Server
	err := testenv.RetryPorts(1, func(ports []int) (err error) {
		s, err = start(p, bin, dir, ports[0])
		return err
	}, func(err error) bool { return errors.Is(err, errBind) })
	if err != nil {
		t.Fatalf("proxytest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("proxytest: stopping %s: %v", s.name, err)
		}
		if t.Failed() {
			t.Logf("proxytest: %s logs:\n%s", s.name, s.LogTail(30))
		}
	})
	return s
}

// find returns the path of the proxy's binary, or ends the test: a skip, or
// a failure in CI.
func (p proxy) find(t testing.TB) string {
	t.Helper()
	return testenv.LookPath(t, p.bins[0], p.hint, p.bins[1:]...)
}

// expand replaces the placeholders of a caller's configuration.
func expand(conf, dir string, port int) string {
	return strings.NewReplacer("$PORT", strconv.Itoa(port), "$DIR", dir).Replace(conf)
}

func start(p proxy, bin, dir string, port int) (*Server, error) {
	args, err := p.write(dir, port)
	if err != nil {
		return nil, err
	}
	s := &Server{name: p.name, dir: dir, port: port, done: make(chan struct{})}
	for _, l := range p.logs {
		s.logs = append(s.logs, filepath.Join(dir, l))
	}
	// A previous failed try leaves its logs behind; start each try clean
	// so the bind check reads this try's messages only.
	out := filepath.Join(dir, "output.log")
	s.logs = append(s.logs, out)
	for _, l := range s.logs {
		os.Remove(l)
	}
	// The child writes straight into a file: nothing to copy, nothing
	// racing with LogTail.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own copy
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = f, f
	s.cmd.SysProcAttr = procAttr()
	if p.env != nil {
		s.cmd.Env = append(os.Environ(), p.env(dir)...)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	err = s.waitReady(10 * time.Second)
	if err == nil && p.ready != nil {
		err = s.waitConfigured(p.ready, 10*time.Second)
	}
	if err != nil {
		s.stop()
		msg := s.LogTail(20)
		if strings.Contains(msg, "Address already in use") || strings.Contains(msg, "address already in use") {
			return nil, fmt.Errorf("%s %w %d: %s", p.name, errBind, port, msg)
		}
		return nil, fmt.Errorf("%s: %v (exit: %v)\n%s", p.name, err, s.err, msg)
	}
	return s, nil
}

// waitReady polls until the proxy listens on its port: on Linux until its
// own process holds the listening socket (see listening), or else until a
// TCP connect succeeds while the proxy reports no bind failure. All of them bind only after reading their whole
// configuration, so listening means the configuration was good.
func (s *Server) waitReady(limit time.Duration) error {
	start := time.Now()
	deadline := start.Add(limit)
	for {
		select {
		case <-s.done:
			return errors.New("exited during start")
		default:
		}
		ok, err := listening(s.cmd.Process.Pid, s.port)
		if !ok && (err != nil || time.Since(start) > 3*time.Second) {
			// No /proc, or the listener still not found there after a
			// while (seen once with Caddy under load, though it served): a
			// connect will do, as long as the proxy, which has had the
			// time to fail its bind and say so, has not said that someone
			// else holds the port, which would make the connect someone
			// else's.
			var c net.Conn
			if c, err = net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
				c.Close()
				ok = !strings.Contains(strings.ToLower(s.LogTail(50)), "address already in use")
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d not listening after %v (last error %v)", s.port, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitConfigured polls ready until it reports the configuration in force.
func (s *Server) waitConfigured(ready func(*Server) (bool, error), limit time.Duration) error {
	for deadline := time.Now().Add(limit); ; {
		ok, err := ready(s)
		if ok || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("configuration not in force after %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM to the proxy's process group, so that any worker or
// helper dies with it, waits up to 10 s for the proxy to exit, then SIGKILLs
// the group. Signals go to the group only while its leader has not been
// reaped: after that its number may belong to someone else. Safe to call
// twice.
func (s *Server) stop() error {
	pgid := s.cmd.Process.Pid // Setpgid: the group is named after its leader
	err := testenv.Terminate(func(sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }, s.done, 10*time.Second)
	if err != nil {
		return fmt.Errorf("pid %d: %w", pgid, err)
	}
	return nil
}

// freePort is a free loopback port for a proxy's second listener.
func freePort() (int, error) {
	p, err := testenv.FreePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}
