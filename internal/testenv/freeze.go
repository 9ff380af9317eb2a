package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Freeze stops the process pid with SIGSTOP, so that the kernel still
// accepts connections and nobody answers: a hung server. It returns once
// every thread of the process has stopped: kill(2) only queues the
// signal, and a thread busy on another CPU (or on a vCPU the host has
// paused) may answer one more request meanwhile. When the threads do not
// all stop within 5 s it lets the process go on again (a stopped process
// would hang a later SIGTERM) and says why. Thaw undoes it.
func Freeze(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		stopped, err := allStopped(pid)
		if stopped {
			return nil
		}
		if err == nil && time.Now().After(deadline) {
			err = fmt.Errorf("pid %d: threads still running 5 s after SIGSTOP", pid)
		}
		if err != nil {
			Thaw(pid)
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// Thaw lets a frozen process go on (SIGCONT).
func Thaw(pid int) error { return syscall.Kill(pid, syscall.SIGCONT) }

// allStopped reports whether every thread of pid is stopped, from
// /proc/PID/task/*/stat: the state is the letter after the ") " that ends
// the command name.
func allStopped(pid int) (bool, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("threads of pid %d: %w", pid, err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat"))
		if err != nil {
			continue // the thread is gone
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) {
			return false, fmt.Errorf("threads of pid %d: unexpected %s/stat: %q", pid, task.Name(), b)
		}
		switch b[i+2] {
		case 'T', 't':
		case 'Z', 'X':
			return false, fmt.Errorf("pid %d has exited", pid)
		default:
			return false, nil
		}
	}
	return true, nil
}
