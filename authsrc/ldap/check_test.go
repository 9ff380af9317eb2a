package ldap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
)

// readyTimeout is the deadline of the probes here: Kubernetes' default
// (tktd's /readyz gives the check 3 s); Check must keep whichever it is
// given.
const readyTimeout = time.Second

func check(s *Source) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	start := time.Now()
	err := s.Check(ctx)
	return time.Since(start), err
}

// TestCheckFrozen replays finding 6: a slapd stopped with SIGSTOP accepts
// connections and answers nothing. A TCP connect called that ready while
// every login failed after its timeout; Check must say not ready, within
// the probe's deadline, and name the server.
func TestCheckFrozen(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	for name, cfg := range map[string]Config{"service account": searchConfig(t, srv), "anonymous": memberOfConfig(t, srv)} {
		cfg.OpTimeout = 5 * time.Second // the default: the probe's deadline must bound it
		s := newSource(t, cfg)
		if d, err := check(s); err != nil {
			t.Fatalf("%s: running server: %v (after %v)", name, err, d)
		}
	}

	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Thaw() })
	for name, cfg := range map[string]Config{"service account": searchConfig(t, srv), "anonymous": memberOfConfig(t, srv)} {
		cfg.OpTimeout = 5 * time.Second
		s := newSource(t, cfg)
		d, err := check(s)
		t.Logf("%s, frozen: %v after %v", name, err, d)
		if !errors.Is(err, authsrc.ErrUnavailable) {
			t.Errorf("%s: frozen server: Check = %v, want unavailable", name, err)
		}
		if d > readyTimeout+time.Second {
			t.Errorf("%s: frozen server: Check took %v, past the probe's %v", name, d, readyTimeout)
		}
	}
}

// TestCheckFailover: a hung first server leaves the second its share of
// the time, as a login fails over to it.
func TestCheckFailover(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	cfg := searchConfig(t, srv)
	cfg.URLs = []string{blackhole(t), closedURL(t), srv.URL}
	d, err := check(newSource(t, cfg))
	if err != nil {
		t.Fatalf("Check = %v after %v, want ready: the third server answers", err, d)
	}
	if d > readyTimeout {
		t.Errorf("Check took %v", d)
	}
}

// TestCheckRefusedServiceAccount: a service account the directory refuses
// fails every login, so the store is not ready; no other server would
// think differently.
func TestCheckRefusedServiceAccount(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	cfg := searchConfig(t, srv)
	cfg.BindPassword = "wrong"
	cfg.URLs = []string{srv.URL, srv.URL}
	if _, err := check(newSource(t, cfg)); !errors.Is(err, authsrc.ErrUnavailable) {
		t.Fatalf("Check = %v, want unavailable", err)
	}
}
