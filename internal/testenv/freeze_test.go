package testenv

import (
	"os/exec"
	"testing"
	"time"
)

// Freeze returns with every thread stopped, and Thaw lets it go on.
func TestFreeze(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep:", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	if err := Freeze(pid); err != nil {
		t.Fatal(err)
	}
	if stopped, err := allStopped(pid); !stopped || err != nil {
		t.Errorf("after Freeze: stopped %v, %v", stopped, err)
	}
	if err := Thaw(pid); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the process to run again", 5*time.Second, func() bool {
		stopped, _ := allStopped(pid)
		return !stopped
	})
	cmd.Process.Kill()
	cmd.Wait()
	if err := Freeze(pid); err == nil {
		t.Error("Freeze of an exited process: no error")
	}
}
