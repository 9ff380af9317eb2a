package testenv

import (
	"fmt"
	"syscall"
	"time"
)

// Terminate ends a server the test started: it sends SIGTERM with signal
// (to the process, or to its group), waits for done to close, and sends
// SIGKILL after grace if the server ignored the first. It returns an
// error saying so in that case, and nil once done is closed (at once if
// it is closed already: safe to call twice).
func Terminate(signal func(syscall.Signal) error, done <-chan struct{}, grace time.Duration) error {
	select {
	case <-done:
		return nil
	default:
	}
	if err := signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("it ignored SIGTERM for %v; killed", grace)
	}
}

// RetryPorts calls start with n free ports (FreePorts) up to five times:
// a port picked free can be taken by another process before the server
// binds it. It retries only while bindFailed says start's error was such
// a bind failure, and returns start's last error.
func RetryPorts(n int, start func(ports []int) error, bindFailed func(error) bool) error {
	var err error
	for range 5 {
		var ports []int
		if ports, err = FreePorts(n); err != nil {
			return err
		}
		if err = start(ports); err == nil || !bindFailed(err) {
			return err
		}
	}
	return err
}
