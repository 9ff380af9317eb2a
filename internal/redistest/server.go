package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// Server is a redis-server of the test's own. Its fields are read-only.
type Server struct {
	// Addr is 127.0.0.1:port, URL redis://Addr/0.
	Addr, URL string
	// Dir is the server's private directory; its output goes to
	// Dir/redis.log.
	Dir string

	port int
	// sentinelConf is a Sentinel's configuration file, which must come
	// first on its command line; empty for a data server.
	sentinelConf string
	cmd          *exec.Cmd
	exited       chan struct{}
	stopOnce     *sync.Once
}

// errBind is a server that could not bind its port: another process took
// it after FreePorts found it free.
var errBind = errors.New("address in use")

// Start starts a redis-server for the test on a free loopback port,
// keeping nothing on disk, and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := serverBinary(tb)
	s := &Server{Dir: tb.TempDir()}
	err := testenv.RetryPorts(1, func(ports []int) error {
		return s.launch(bin, ports[0])
	}, func(err error) bool { return errors.Is(err, errBind) })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func serverBinary(tb testing.TB) string {
	tb.Helper()
	return testenv.LookPath(tb, "redis-server", "Debian package redis-server", "/usr/bin/redis-server")
}

// launch starts the server on port, with extra arguments (a cluster
// node's), and waits until it answers PING.
func (s *Server) launch(bin string, port int, extra ...string) error {
	s.port = port
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.URL = "redis://" + s.Addr + "/0"
	s.exited = make(chan struct{})
	s.stopOnce = &sync.Once{}
	// A file, not a buffer: exec copies into a buffer from a goroutine of
	// its own, which would race with reading it here.
	logName := filepath.Join(s.Dir, "redis.log")
	logFile, err := os.Create(logName)
	if err != nil {
		return err
	}
	defer logFile.Close()
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
	}, extra...)
	if s.sentinelConf != "" {
		args = append([]string{s.sentinelConf, "--sentinel"}, args...)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	cmd, exited := s.cmd, s.exited
	go func() { _ = cmd.Wait(); close(exited) }()

	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	for deadline := time.Now().Add(15 * time.Second); ; {
		select {
		case <-exited:
			log := testenv.Tail(logName, 20)
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("redis-server on port %d: %w\n%s", port, errBind, log)
			}
			return fmt.Errorf("redis-server exited at start: %s\n%s", cmd.ProcessState, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil || strings.HasPrefix(err.Error(), "NOAUTH") {
			return nil // answering; one with a password asks for it first
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redis-server not answering on %s after 15 s: %v\n%s", s.Addr, err, testenv.Tail(logName, 20))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop terminates the server and waits for it: Redis is then down, as far
// as its clients can tell (connection refused). It thaws a frozen server
// first, which would not act on SIGTERM. It is safe to call more than
// once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = s.Thaw()
		_ = testenv.Terminate(func(sig syscall.Signal) error { return s.cmd.Process.Signal(sig) }, s.exited, 5*time.Second)
	})
}

// Restart starts a stopped server again on the same port, empty (it
// keeps nothing on disk): Redis coming back after an outage.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	if err := s.launch(serverBinary(tb), s.port); err != nil {
		tb.Fatal(err)
	}
}

// Freeze stops the server with SIGSTOP, so that the kernel still accepts
// connections and nobody answers: a hung Redis (testenv.Freeze). Thaw
// undoes it.
func (s *Server) Freeze() error { return testenv.Freeze(s.cmd.Process.Pid) }

// Thaw lets a frozen server go on (SIGCONT).
func (s *Server) Thaw() error {
	select {
	case <-s.exited:
		return nil
	default:
		return testenv.Thaw(s.cmd.Process.Pid)
	}
}
