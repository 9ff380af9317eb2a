package apachetest

import "syscall"

// procAttr puts Apache in a process group of its own: on shutdown the
// prefork parent signals its whole group (killpg), which would otherwise
// take the test binary and its shell with it. Pdeathsig asks the kernel to
// stop Apache if the test binary dies without running its cleanups (a panic,
// a go test -timeout kill), so no server outlives its test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
