package ldap

import (
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// The test directory's fixed names.
const (
	suffix = "dc=example,dc=org"
	rootDN = "cn=admin," + suffix
	rootPW = "root-secret-9"
)

// slapd is a private OpenLDAP server started for one test.
type slapd = slapdtest.Server

// startSlapd starts a private slapd holding ldif (LDIF text, may be empty)
// for one test, with the test directory's names.
func startSlapd(tb testing.TB, ldif string) *slapd {
	tb.Helper()
	return slapdtest.Start(tb, slapdtest.Config{Suffix: suffix, AdminPassword: rootPW, LDIF: ldif})
}

// closedURL is an ldap:// URL on which nothing listens.
func closedURL(tb testing.TB) string {
	return "ldap://" + testenv.FreeAddr(tb)
}

// blackhole is a server that accepts connections and never answers: what a
// hung directory looks like.
func blackhole(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "ldap://" + l.Addr().String()
}
