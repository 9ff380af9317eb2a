//go:build !linux

package apachetest

import "syscall"

// procAttr puts Apache in a process group of its own: on shutdown the
// prefork parent signals its whole group. (Only Linux can also tie the
// child's life to its parent's.)
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
