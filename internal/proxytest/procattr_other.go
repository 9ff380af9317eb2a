//go:build !linux

package proxytest

import "syscall"

// procAttr puts the proxy in a process group of its own, so that stop can
// signal it and anything it forks at once. (Only Linux can also tie the
// child's life to its parent's.)
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
