package proxytest

import "syscall"

// procAttr puts the proxy in a process group of its own, so that stop can
// signal it and anything it forks at once without touching the test binary.
// Pdeathsig asks the kernel to stop the proxy if the test binary dies without
// running its cleanups (a panic, a go test -timeout kill), so no proxy
// outlives its test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
