package testenv

import (
	"net"
	"strconv"
	"testing"
)

// FreePorts reserves n loopback ports at once (so they differ), then
// releases them for a server the test is about to start. Another process
// may take one meanwhile: harnesses that can tell retry with fresh ports.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreeAddr is a loopback address, 127.0.0.1:PORT, that nothing listens on
// right now: for a server the test starts there, or for a client that must
// find nobody (connection refused).
func FreeAddr(t testing.TB) string {
	t.Helper()
	p, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p[0]))
}
