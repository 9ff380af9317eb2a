//go:build unix

package main

import "syscall"

// openFileLimit is the process's soft limit on open files (Go raises it
// to the hard limit at start on Linux).
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return rl.Cur
}
