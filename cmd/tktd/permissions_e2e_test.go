//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestE2EUnreadableDataDir runs tktd serve and tktctl user list on a data
// directory another user owns, holding a secret and a user database, as
// happens with sudo or a service account: both say which file they cannot
// read and that the permission is the problem, and tktd makes no new
// secret over the old one. As root the commands run as nobody (a mode does
// not stop root); otherwise the directory's mode keeps us out.
func TestE2EUnreadableDataDir(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	root := t.TempDir()
	data := filepath.Join(root, "data")
	addAlice(t, tktctlBin, data)
	secret := testenv.WriteFile(t, filepath.Join(data, "secret"), "the old secret, 0123456789abcdef\n", 0o600)

	as := func(c *exec.Cmd) *exec.Cmd { return c }
	if os.Geteuid() == 0 {
		// nobody may reach the binaries and the data directory's parent,
		// not the directory itself (root's, mode 0700).
		for _, d := range []string{filepath.Dir(tktdBin), root, filepath.Dir(root)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		as = func(c *exec.Cmd) *exec.Cmd {
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			return c
		}
	} else {
		if err := os.Chmod(data, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(data, 0o700) })
	}
	run := func(bin string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := as(exec.CommandContext(ctx, bin, args...))
		c.Dir, c.Env = "/", []string{"PATH=" + os.Getenv("PATH"), "HOME=/"}
		out, err := c.CombinedOutput()
		return string(out), err
	}

	out, err := run(tktdBin, "serve", "--data-dir", data, "--listen", testenv.FreeAddr(t))
	if err == nil || !strings.Contains(out, secret) || !strings.Contains(out, "permission denied") || !strings.Contains(out, "no new secret") {
		t.Errorf("tktd serve on another user's data directory: %v\n%s", err, out)
	}
	out, err = run(tktctlBin, "user", "list", "--data-dir", data)
	if err == nil || !strings.Contains(out, filepath.Join(data, "users.db")) || !strings.Contains(out, "permission denied") || strings.Contains(out, "creates it") {
		t.Errorf("tktctl user list on another user's data directory: %v\n%s", err, out)
	}

	os.Chmod(data, 0o700)
	if b, err := os.ReadFile(secret); err != nil || string(b) != "the old secret, 0123456789abcdef\n" {
		t.Errorf("the secret changed: %q, %v", b, err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 2 {
		t.Errorf("the data directory holds %d files, want the secret and users.db: %v", len(entries), entries)
	}
}
