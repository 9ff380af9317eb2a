package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A permission problem is told apart from a missing file: it names the
// file, the permission and the process's user, and still matches
// fs.ErrPermission; a missing file is left to the caller's own advice.
func TestUnreadable(t *testing.T) {
	denied := &fs.PathError{Op: "open", Path: "/srv/tkt/secret", Err: syscall.EACCES}
	err := Unreadable("secret file", "/srv/tkt/secret", denied)
	for _, want := range []string{"secret file /srv/tkt/secret", "permission denied", "user id", "owns the file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("%v no longer matches fs.ErrPermission", err)
	}
	missing := &fs.PathError{Op: "open", Path: "/srv/tkt/secret", Err: syscall.ENOENT}
	if err := Unreadable("secret file", "/srv/tkt/secret", missing); err != missing {
		t.Errorf("a missing file became %v", err)
	}
}

// EnsureSecret generates a secret only where none is known to be: a data
// directory it cannot look into (run as another user) fails naming the
// secret file and the permission, and nothing is written. As root no mode
// keeps us out: cmd/tktd's TestE2EUnreadableDataDir runs tktd as nobody.
func TestEnsureSecretUnreadableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file; TestE2EUnreadableDataDir in cmd/tktd runs this as another user")
	}
	dir := t.TempDir()
	c := Defaults()
	c.DataDir = filepath.Join(dir, "data")
	if _, err := c.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(c.SecretPath())
	if err := os.Chmod(c.DataDir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(c.DataDir, 0o700)
	created, err := c.EnsureSecret()
	if created || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), c.SecretPath()) ||
		!strings.Contains(err.Error(), "no new secret") {
		t.Fatalf("EnsureSecret on an unreadable data directory: %v, %v", created, err)
	}
	os.Chmod(c.DataDir, 0o700)
	if after, _ := os.ReadFile(c.SecretPath()); string(after) != string(before) {
		t.Error("the secret changed")
	}
}
