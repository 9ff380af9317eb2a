package testenv

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Terminate asks with SIGTERM and insists with SIGKILL, on real processes.
func TestTerminate(t *testing.T) {
	for _, c := range []struct {
		name, script string
		wantErr      bool
	}{
		{"obeys SIGTERM", "sleep 30", false},
		{"ignores SIGTERM", "trap '' TERM; sleep 30 & wait; sleep 30", true},
	} {
		cmd := exec.Command("sh", "-c", c.script)
		if err := cmd.Start(); err != nil {
			t.Skip("no sh:", err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		time.Sleep(100 * time.Millisecond) // let the shell set its trap
		err := Terminate(func(sig syscall.Signal) error { return cmd.Process.Signal(sig) }, done, 300*time.Millisecond)
		if (err != nil) != c.wantErr || err != nil && !strings.Contains(err.Error(), "killed") {
			t.Errorf("%s: %v", c.name, err)
		}
		if err := Terminate(func(syscall.Signal) error { return errors.New("signalled twice") }, done, time.Second); err != nil {
			t.Errorf("%s: a second call: %v", c.name, err)
		}
	}
}

// RetryPorts retries bind failures only, with fresh ports.
func TestRetryPorts(t *testing.T) {
	bind := errors.New("address in use")
	var seen [][]int
	err := RetryPorts(2, func(p []int) error {
		seen = append(seen, p)
		if len(seen) < 3 {
			return bind
		}
		return nil
	}, func(err error) bool { return err == bind })
	if err != nil || len(seen) != 3 || len(seen[0]) != 2 || seen[0][0] == seen[0][1] {
		t.Errorf("err %v, ports %v", err, seen)
	}
	other := errors.New("config broken")
	calls := 0
	if err := RetryPorts(1, func([]int) error { calls++; return other }, func(err error) bool { return err == bind }); err != other || calls != 1 {
		t.Errorf("a failure other than a bind: %v after %d calls", err, calls)
	}
	calls = 0
	if err := RetryPorts(1, func([]int) error { calls++; return bind }, func(error) bool { return true }); err != bind || calls != 5 {
		t.Errorf("always a bind failure: %v after %d calls", err, calls)
	}
}
