package htpasswd

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// htpasswdTool returns Apache's htpasswd, skipping the test when it is
// absent except in CI, where every tool must be installed.
func htpasswdTool(t testing.TB) string {
	t.Helper()
	return testenv.LookPath(t, "htpasswd", "Debian package apache2-utils")
}

// account is a user the real htpasswd tool writes into a file.
type account struct{ name, password string }

// writeWithTool builds file with the real htpasswd: -c for the first user,
// then one call per further user, each with flags (-B, -m, -s, -d, -2, -5,
// -p...).
func writeWithTool(t testing.TB, file string, flags []string, accounts ...account) {
	t.Helper()
	bin := htpasswdTool(t)
	for i, a := range accounts {
		args := []string{"-b"}
		if i == 0 {
			args = append(args, "-c")
		}
		args = append(append(args, flags...), file, a.name, a.password)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("htpasswd %q: %v: %s", args[:len(args)-1], err, out)
		}
	}
}

// hashWithTool returns the hash htpasswd -n writes for one user.
func hashWithTool(t testing.TB, flags []string, name, password string) string {
	t.Helper()
	args := append(append([]string{"-nb"}, flags...), name, password)
	out, err := exec.Command(htpasswdTool(t), args...).Output()
	if err != nil {
		t.Fatalf("htpasswd -nb %q: %v", flags, err)
	}
	_, hash, _ := bytes.Cut(bytes.TrimSpace(out), []byte(":"))
	return string(hash)
}

// newLogger returns a logger for a store and the buffer it writes to.
func newLogger() (*slog.Logger, *testenv.SyncBuffer) {
	b := &testenv.SyncBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// newStore builds a store that reads files the moment they are written:
// the settle delay guards against half-written files from other
// processes, which these tests don't have unless they say so.
func newStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := newWithSettle(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func login(s *Store, user, password string) error {
	_, err := s.Authenticate(context.Background(), user, password)
	return err
}

func tempPath(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name)
}
