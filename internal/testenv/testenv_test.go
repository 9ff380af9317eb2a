package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that notes how the test would have ended:
// Skip and Fatal end the goroutine, as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on a goroutine of its own and reports how it
// ended.
func run(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r
}

func TestNeed(t *testing.T) {
	missing := errors.New("connection refused")
	for _, tc := range []struct {
		ci          string
		err         error
		skip, fatal bool
	}{
		{"", nil, false, false},
		{"true", nil, false, false},
		{"", missing, true, false},
		{"false", missing, true, false},
		{"true", missing, false, true},
	} {
		t.Setenv("CI", tc.ci)
		r := run(t, func(tb testing.TB) { Need(tb, "PostgreSQL at 127.0.0.1:5432", tc.err) })
		if (r.skipped != "") != tc.skip || (r.failed != "") != tc.fatal {
			t.Errorf("CI=%q, err %v: skipped %q, failed %q", tc.ci, tc.err, r.skipped, r.failed)
		}
		for _, msg := range []string{r.skipped, r.failed} {
			if msg != "" && !strings.Contains(msg, "needs PostgreSQL at 127.0.0.1:5432: connection refused") {
				t.Errorf("CI=%q: message %q does not say what is missing and why", tc.ci, msg)
			}
		}
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv("CI", "")
	if r := run(t, func(tb testing.TB) {
		if p := LookPath(tb, "tool", "nowhere"); p != tool {
			t.Errorf("LookPath on PATH = %q, want %q", p, tool)
		}
	}); r.skipped != "" || r.failed != "" {
		t.Errorf("a tool on PATH: skipped %q, failed %q", r.skipped, r.failed)
	}
	if r := run(t, func(tb testing.TB) {
		if p := LookPath(tb, "other", "nowhere", "/no/such/other", tool); p != tool {
			t.Errorf("LookPath at an alternative = %q, want %q", p, tool)
		}
	}); r.skipped != "" || r.failed != "" {
		t.Errorf("a tool at an alternative path: skipped %q, failed %q", r.skipped, r.failed)
	}
	r := run(t, func(tb testing.TB) { LookPath(tb, "absent", "Debian package absent", "/no/such/absent") })
	if !strings.Contains(r.skipped, "absent (not on PATH, nor at /no/such/absent; Debian package absent)") {
		t.Errorf("a missing tool: skipped %q", r.skipped)
	}
	t.Setenv("CI", "true")
	if r := run(t, func(tb testing.TB) { LookPath(tb, "absent", "Debian package absent") }); !strings.Contains(r.failed, "absent (Debian package absent)") {
		t.Errorf("a missing tool in CI: failed %q", r.failed)
	}
}
