package htpasswd

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestCheckAndStale: readiness and logins agree on what a gone or broken
// file means: the store serves its last good load, so it is ready, and
// Stale says why it serves from memory.
func TestCheckAndStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, groups := dir+"/htpasswd", dir+"/groups"
	s := newStore(t, Config{Path: path, GroupPath: groups, Lazy: true, CheckInterval: time.Nanosecond})
	if err := s.Check(ctx); !errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("never loaded: Check = %v, want unavailable, not found", err)
	}
	if err := s.Stale(); err != nil {
		t.Fatalf("never loaded: Stale = %v; Check speaks for a store that serves nothing", err)
	}

	writeWithTool(t, path, bcrypt4, account{"alice", "pw-alice"})
	testenv.WriteFile(t, groups, "staff: alice\n", 0o600)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("the probe did not load the file that appeared: %v", err)
	}
	if err := s.Stale(); err != nil {
		t.Fatalf("loaded: Stale = %v", err)
	}

	for _, step := range []struct {
		name   string
		change func()
		want   func(error) bool
	}{
		{"file gone", func() { os.Remove(path) }, func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
		{"file broken", func() { testenv.WriteFile(t, path, "alice\n", 0o600) }, func(err error) bool { var pe *ParseError; return errors.As(err, &pe) }},
		{"group file gone", func() {
			writeWithTool(t, path, bcrypt4, account{"alice", "pw-alice"})
			os.Remove(groups)
		}, func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
	} {
		step.change()
		if err := login(s, "alice", "pw-alice"); err != nil {
			t.Errorf("%s: login: %v", step.name, err)
		}
		if err := s.Check(ctx); err != nil {
			t.Errorf("%s: Check = %v, want ready: logins work", step.name, err)
		}
		if err := s.Stale(); !step.want(err) {
			t.Errorf("%s: Stale = %v", step.name, err)
		}
	}

	testenv.WriteFile(t, groups, "staff: alice\n", 0o600)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stale(); err != nil {
		t.Errorf("files back: Stale = %v", err)
	}
}
