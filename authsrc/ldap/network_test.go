package ldap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// The ways of reaching a directory, and of failing to.

func TestTLS(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	dir := t.TempDir()
	goodCA := srv.CAFile
	wrongCA := filepath.Join(dir, "wrong-ca.pem")
	testenv.WriteFile(t, wrongCA, string(slapdtest.NewPKI(t, "127.0.0.1").CAPEM), 0o600)
	// The certificate names 127.0.0.1 only: by the name localhost the same
	// server must not be trusted.
	byName := strings.Replace(srv.TLSURL, "127.0.0.1", "localhost", 1)

	for _, tc := range []struct {
		name     string
		url      string
		startTLS bool
		ca       string
		insecure bool
		ok       bool
	}{
		{"StartTLS", srv.URL, true, goodCA, false, true},
		{"ldaps", srv.TLSURL, false, goodCA, false, true},
		{"StartTLS wrong CA", srv.URL, true, wrongCA, false, false},
		{"ldaps wrong CA", srv.TLSURL, false, wrongCA, false, false},
		{"StartTLS system roots", srv.URL, true, "", false, false},
		{"ldaps system roots", srv.TLSURL, false, "", false, false},
		{"ldaps host name not in certificate", byName, false, goodCA, false, false},
		{"ldaps InsecureSkipVerify", srv.TLSURL, false, "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := searchConfig(t, srv)
			cfg.URLs, cfg.StartTLS, cfg.CAFile, cfg.InsecureSkipVerify = []string{tc.url}, tc.startTLS, tc.ca, tc.insecure
			id, err := newSource(t, cfg).Authenticate(context.Background(), "bob", "Bob-pw-2")
			switch {
			case tc.ok && (err != nil || id.User != "bob"):
				t.Fatalf("Authenticate = (%+v, %v), want bob", id, err)
			case !tc.ok && !errors.Is(err, authsrc.ErrUnavailable):
				t.Fatalf("Authenticate = (%+v, %v), want ErrUnavailable", id, err)
			}
			t.Logf("err: %v", err)
		})
	}
}

func TestFailover(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	stopped := stoppedServer(t)
	hung := blackhole(t)
	closed1, closed2 := closedURL(t), closedURL(t)
	for _, tc := range []struct {
		name string
		urls []string
		pw   string
		want error // nil: success
		// mention lists what the error must name, so an operator sees
		// every server that failed.
		mention []string
	}{
		{"closed port first", []string{closed1, srv.URL}, "Bob-pw-2", nil, nil},
		{"stopped server first", []string{stopped, srv.URL}, "Bob-pw-2", nil, nil},
		{"hung server first", []string{hung, srv.URL}, "Bob-pw-2", nil, nil},
		{"first server answers no", []string{srv.URL, closed1}, "wrong", authsrc.ErrInvalidCredentials, nil},
		{"all down", []string{closed1, stopped, closed2}, "Bob-pw-2", authsrc.ErrUnavailable,
			[]string{closed1, stopped, closed2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := searchConfig(t, srv)
			cfg.URLs, cfg.OpTimeout = tc.urls, 300*time.Millisecond
			start := time.Now()
			id, err := newSource(t, cfg).Authenticate(context.Background(), "bob", tc.pw)
			t.Logf("after %v: err: %v", time.Since(start), err)
			if tc.want == nil {
				if err != nil || id.User != "bob" {
					t.Fatalf("Authenticate = (%+v, %v), want bob", id, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Authenticate = (%+v, %v), want %v", id, err, tc.want)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
		})
	}
}

// TestTimeouts: a server that accepts and never answers must not hold a
// login longer than the configured timeout or the request's deadline.
func TestTimeouts(t *testing.T) {
	hung := blackhole(t)
	hungTLS := strings.Replace(hung, "ldap://", "ldaps://", 1)
	cancelSoon := func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		return ctx, cancel
	}
	deadlineSoon := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 200*time.Millisecond)
	}
	for _, tc := range []struct {
		name     string
		url      string
		startTLS bool
		op       time.Duration
		ctx      func() (context.Context, context.CancelFunc)
		cause    error // what the error must also match, if anything
		limit    time.Duration
	}{
		{"OpTimeout", hung, false, 300 * time.Millisecond, nil, nil, 2 * time.Second},
		{"OpTimeout during StartTLS", hung, true, 300 * time.Millisecond, nil, nil, 2 * time.Second},
		{"ConnectTimeout during ldaps handshake", hungTLS, false, 10 * time.Second, nil, nil, 2 * time.Second},
		{"context deadline", hung, false, 10 * time.Second, deadlineSoon, context.DeadlineExceeded, time.Second},
		{"context cancelled", hung, false, 10 * time.Second, cancelSoon, context.Canceled, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{
				URLs: []string{tc.url}, StartTLS: tc.startTLS, InsecureSkipVerify: true,
				BaseDN: suffix, ConnectTimeout: 300 * time.Millisecond, OpTimeout: tc.op,
				Logger: testLogger(t),
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			start := time.Now()
			_, err := newSource(t, cfg).Authenticate(ctx, "bob", "Bob-pw-2")
			took := time.Since(start)
			t.Logf("after %v: err: %v", took, err)
			if !errors.Is(err, authsrc.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("err = %v, want it to match %v", err, tc.cause)
			}
			if took > tc.limit {
				t.Errorf("answered after %v, want within %v", took, tc.limit)
			}
		})
	}
}

// TestServerStops kills and freezes a real slapd between logins: both
// must give "unavailable" within the configured timeouts.
func TestServerStops(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	cfg := searchConfig(t, srv)
	cfg.ConnectTimeout, cfg.OpTimeout = 500*time.Millisecond, 500*time.Millisecond
	src := newSource(t, cfg)
	ctx := context.Background()
	login := func() (time.Duration, error) {
		start := time.Now()
		_, err := src.Authenticate(ctx, "alice", "Alice-pw-1")
		return time.Since(start), err
	}
	if _, err := login(); err != nil {
		t.Fatalf("with the server up: %v", err)
	}

	// Frozen (SIGSTOP): the kernel still accepts connections, nobody answers.
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	took, err := login()
	if err := srv.Thaw(); err != nil {
		t.Fatal(err)
	}
	t.Logf("frozen: after %v: %v", took, err)
	if !errors.Is(err, authsrc.ErrUnavailable) || took > 2*time.Second {
		t.Errorf("frozen server: (%v after %v), want ErrUnavailable within 2 s", err, took)
	}
	if _, err := login(); err != nil {
		t.Fatalf("after thawing: %v", err)
	}

	srv.Stop()
	took, err = login()
	t.Logf("stopped: after %v: %v", took, err)
	if !errors.Is(err, authsrc.ErrUnavailable) || took > time.Second {
		t.Errorf("stopped server: (%v after %v), want ErrUnavailable within 1 s", err, took)
	}
}

// TestConcurrent logs many users in at once through one Source: each must
// get exactly their own identity.
func TestConcurrent(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	src := newSource(t, searchConfig(t, srv))
	users := testUsers()
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(users))
	for w := range 8 {
		wg.Go(func() {
			for i := range users {
				u := users[(i+w)%len(users)]
				pw := u.password
				if w%2 == 1 {
					pw += "-wrong"
				}
				id, err := src.Authenticate(context.Background(), u.uid, pw)
				switch {
				case w%2 == 1 && !errors.Is(err, authsrc.ErrInvalidCredentials):
					errs <- fmt.Errorf("%q with a wrong password: (%+v, %v)", u.uid, id, err)
				case w%2 == 0 && (err != nil || id.User != u.uid):
					errs <- fmt.Errorf("%q: (%+v, %v)", u.uid, id, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLogs: dropped groups are logged, and no log line ever holds a
// password, whatever happens.
func TestLogs(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	cfg := searchConfig(t, srv)
	cfg.Logger = logger
	cfg.URLs = []string{closedURL(t), srv.URL} // a failover line too
	src := newSource(t, cfg)
	ctx := context.Background()
	if _, err := src.Authenticate(ctx, "alice", "Alice-pw-1"); err != nil {
		t.Fatal(err)
	}
	_, _ = src.Authenticate(ctx, "alice", "Alice-pw-1-wrong")
	_, _ = src.Authenticate(ctx, twinUID, "Twin-pw-7")
	bad := cfg
	bad.BindPassword = "Service-wrong-pw"
	_, _ = newSource(t, bad).Authenticate(ctx, "alice", "Alice-pw-1")

	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	t.Log(logs)
	for _, g := range untokenable() {
		if !strings.Contains(logs, fmt.Sprintf("group=%q", g)) && !strings.Contains(logs, "group="+g+" ") {
			t.Errorf("no log line for the dropped group %q", g)
		}
	}
	if !strings.Contains(logs, "ldap server failed") {
		t.Error("no log line for the failover")
	}
	for _, pw := range []string{"Alice-pw-1", "Twin-pw-7", servicePW, "Service-wrong-pw"} {
		if strings.Contains(logs, pw) {
			t.Errorf("logs contain the password %q", pw)
		}
	}
}

type lockedWriter struct {
	buf *bytes.Buffer
	mu  *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
