//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// openPTY returns the controller and terminal ends of a new pseudo-terminal.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	fd := int(ctl.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the terminal end: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctl, tty
}

// TestUserAddPrompt types the password on a real terminal: asked twice,
// never echoed, and a mismatch adds nobody.
func TestUserAddPrompt(t *testing.T) {
	tests := []struct {
		name, typed string
		code        int
		errHas      string
	}{
		{"alice", "s3cret-pw\ns3cret-pw\n", 0, "Retype the new password: "},
		{"bob", "s3cret-pw\ns3cret-px\n", 1, "do not match"},
		{"carol", "\n\n", 1, "empty password"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		ctl, tty := openPTY(t)
		// The check below can fail: a terminal with echo on shows what is
		// typed (then the line is read off, so it is nobody's password).
		ctl.WriteString("echo-check\n")
		if e := drain(ctl); !strings.Contains(e, "echo-check") {
			t.Fatalf("a fresh terminal echoed %q, want the typed line", e)
		}
		tty.Read(make([]byte, 64))
		var out, errb bytes.Buffer
		s := newStreams(tty, &out, &errb, func(string) string { return "" })
		done := make(chan int)
		go func() { done <- run(s, []string{"user", "add", tt.name, "--data-dir", dir, "--bcrypt-cost", "4"}) }()

		// Type only once echo is off, as a person would after the prompt.
		waitEchoOff(t, tty)
		if _, err := ctl.WriteString(tt.typed); err != nil {
			t.Fatal(err)
		}
		var code int
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("tktctl user add did not return")
		}
		if code != tt.code || !strings.Contains(errb.String(), tt.errHas) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.name, code, errb.String(), tt.code, tt.errHas)
		}
		if echoed := drain(ctl); strings.Contains(echoed, "s3cret") {
			t.Errorf("%s: the terminal echoed the password: %q", tt.name, echoed)
		}
	}

	s, err := sqlstore.OpenDataDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, err := s.ListUsers(context.Background())
	if err != nil || len(users) != 1 || users[0].Name != "alice" {
		t.Fatalf("users = %+v, %v; want alice alone", users, err)
	}
	if _, err := s.Authenticate(context.Background(), "alice", "s3cret-pw"); err != nil {
		t.Errorf("alice's typed password: %v", err)
	}
}

// drain returns what the terminal has written back (its echo) so far. The
// descriptor is polled by hand: os.File.Fd made it blocking, so read
// deadlines don't apply.
func drain(ctl *os.File) string {
	fd := int(ctl.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		return ""
	}
	defer unix.SetNonblock(fd, false)
	var got []byte
	buf := make([]byte, 4096)
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		n, err := unix.Read(fd, buf)
		if n > 0 {
			got = append(got, buf[:n]...)
			continue
		}
		if err != nil && err != unix.EAGAIN {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return string(got)
}

func waitEchoOff(t *testing.T, tty *os.File) {
	t.Helper()
	testenv.WaitFor(t, "tktctl to turn echo off", 10*time.Second, func() bool {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio.Lflag&unix.ECHO == 0
	})
}

// TestUserTOTPTerminal: on a terminal, enroll shows the URI as a QR code
// (text blocks an authenticator app can scan off the screen) too.
func TestUserTOTPTerminal(t *testing.T) {
	ctl, tty := openPTY(t)
	var errb bytes.Buffer
	s := newStreams(strings.NewReader(""), tty, &errb, func(string) string { return "" })
	if code := run(s, []string{"user", "totp", "enroll", "alice", "--data-dir", t.TempDir()}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	out := drain(ctl)
	if !strings.Contains(out, "otpauth://totp/tkt:alice?") || !strings.ContainsAny(out, "▀▄█") {
		t.Errorf("terminal output has no URI or no QR code:\n%s", out)
	}
	if n := strings.Count(out, "█"); n < 50 {
		t.Errorf("only %d full blocks: not a QR code", n)
	}
}
