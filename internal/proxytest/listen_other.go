//go:build !linux

package proxytest

import (
	"errors"
)

// listening cannot tell who listens without Linux's /proc; waitReady falls
// back to a TCP connect.
func listening(pid, port int) (bool, error) { return false, errors.ErrUnsupported }
