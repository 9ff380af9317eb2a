package proxytest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listening reports whether process pid itself has a socket listening on
// port. A TCP connect alone can be answered by whoever else took the port
// between freePort and the proxy's bind; then the proxy exits with "address
// already in use" while the connect succeeds. The kernel knows who owns the
// listening socket: its inode is among the process's descriptors.
//
// The error is for a missing /proc only, when a connect is all there is. A
// process that has exited but is not yet reaped has no descriptors to list:
// that is "not listening", not a reason to fall back to the connect.
func listening(pid, port int) (bool, error) {
	ok, err := ownsListener(pid, port)
	if err != nil {
		if _, serr := os.Stat("/proc/self/net/tcp"); serr == nil {
			return false, nil
		}
	}
	return ok, err
}

func ownsListener(pid, port int) (bool, error) {
	inodes := map[string]bool{}
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			if f == "tcp6" {
				continue // no IPv6 in this kernel
			}
			return false, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fs := strings.Fields(line)
			if len(fs) >= 10 && fs[3] == "0A" && strings.HasSuffix(fs[1], want) {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return false, nil
	}
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd.Name())); err == nil && inodes[l] {
			return true, nil
		}
	}
	return false, nil
}
