//go:build unix

package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestE2EFactorsOffWithoutDataDir runs tktd serve as a service user would
// run it before second factors existed: htpasswd users, a secret file, no
// data_dir, and a working directory it may not write. It used to stop
// ("mfa: mkdir tkt-data: permission denied"); now it serves, says that
// second factors are off and why, and password logins work. As root the
// binary runs as nobody (a mode does not stop root); otherwise the
// working directory's mode keeps it out.
func TestE2EFactorsOffWithoutDataDir(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	root := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("alice-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := testenv.WriteFile(t, filepath.Join(root, "htpasswd"), "alice:"+string(hash)+"\n", 0o644)
	secret := testenv.WriteFile(t, filepath.Join(root, "secret"), "a secret of thirty-two bytes, ok\n", 0o600)
	conf := testenv.WriteFile(t, filepath.Join(root, "tktd.yaml"),
		"ticket: {secret_file: "+secret+"}\nstores:\n  - type: htpasswd\n    path: "+users+"\n", 0o644)
	cwd := filepath.Join(root, "cwd")
	if err := os.Mkdir(cwd, 0o555); err != nil {
		t.Fatal(err)
	}

	addr := testenv.FreeAddr(t)
	logs := &testenv.SyncBuffer{}
	c := exec.Command(tktdBin, "serve", "--config", conf, "--listen", addr)
	c.Dir, c.Env, c.Stdout, c.Stderr = cwd, []string{"PATH=" + os.Getenv("PATH"), "HOME=/"}, logs, logs
	if os.Geteuid() == 0 {
		for _, d := range []string{filepath.Dir(tktdBin), root, filepath.Dir(root)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(secret, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	t.Cleanup(func() {
		if err := testenv.Terminate(func(s syscall.Signal) error { return c.Process.Signal(s) }, done, 5*time.Second); err != nil {
			t.Error(err)
		}
	})
	base := "http://" + addr
	testenv.WaitFor(t, "tktd to serve, or stop", 20*time.Second, func() bool {
		select {
		case <-done:
			t.Fatalf("tktd stopped:\n%s", logs)
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	if !strings.Contains(logs.String(), "second factors are off") || !strings.Contains(logs.String(), "data_dir") {
		t.Errorf("no word that second factors are off, or of data_dir:\n%s", logs)
	}
	resp, body := testenv.Login(t, testenv.Browser(t), base, "alice", "alice-password", "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice's login: %d\n%s", resp.StatusCode, body)
	}
	if resp, err := http.Get(base + "/account/security"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/account/security without second factors: %v, %v; want 404", resp, err)
	} else {
		resp.Body.Close()
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("tktd wrote into its working directory: %v", entries)
	}
}
