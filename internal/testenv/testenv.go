// Package testenv holds the plumbing that tkt's tests share, so that each
// piece of it is written once. Tests of every package use it, and so do the
// harnesses that start real servers (apachetest, proxytest, redistest,
// slapdtest, sqltest):
//
//   - whether a server or tool a test needs is there: InCI, Need, LookPath.
//   - free loopback ports for the servers a test starts, and addresses where
//     nobody listens: FreePorts, FreeAddr.
//   - a buffer that loggers and child processes write while the test reads
//     it: SyncBuffer.
//   - waiting for a condition, with a deadline: WaitFor.
//   - a server hung on purpose (SIGSTOP, every thread stopped) and let go
//     on again: Freeze, Thaw.
//   - files of an exact mode, whatever the umask, and the tail of a server's
//     log for a failure message: WriteFile, Tail.
//   - an HTTP client that keeps cookies and shows redirects, the portal's
//     login as a browser does it, and the cookie a response sets: Browser,
//     Login, SetCookieValue.
//
// The rule for what is missing: a test that needs a real server or tool
// (Apache, slapd, PostgreSQL, MariaDB, nginx, Caddy, HAProxy, Traefik,
// Chromium, htpasswd...) is skipped, saying what is missing and how to
// install it, when the machine lacks it; in CI (CI=true), where every one of
// them is installed, it fails instead, so that a broken CI image cannot
// pass by skipping.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where nothing they
// need may be missing.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need ends the test when err, from looking for what the test needs, is
// not nil: a skip, or in CI a failure. what names the thing and how to get
// it, e.g. "PostgreSQL at 127.0.0.1:5432" or "htpasswd (Debian package
// apache2-utils)"; err says what went wrong.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("this test needs %s: %v", what, err)
	if InCI() {
		t.Fatalf("%s (CI=true: missing is a failure there, not a skip)", msg)
	}
	recordSkip(what)
	t.Skip(msg)
}

// LookPath returns the path of the program name, found on PATH or else at
// one of the paths alt (where sbin directories are not on PATH), or ends
// the test as Need does; install says how to get the program, e.g. "Debian
// package slapd".
func LookPath(t testing.TB, name, install string, alt ...string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, a := range alt {
		if p, aerr := exec.LookPath(a); aerr == nil {
			return p
		}
	}
	what := name + " (" + install + ")"
	if len(alt) > 0 {
		what = name + " (not on PATH, nor at " + strings.Join(alt, ", ") + "; " + install + ")"
	}
	Need(t, what, err)
	return ""
}
