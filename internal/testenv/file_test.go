package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, mode := range []os.FileMode{0o644, 0o600, 0o777} {
		if got := WriteFile(t, p, "data", mode); got != p {
			t.Errorf("WriteFile returned %q, want %q", got, p)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("mode %v: %v, %v", mode, fi.Mode(), err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "data" {
		t.Errorf("content %q", b)
	}
}

func TestTail(t *testing.T) {
	p := WriteFile(t, filepath.Join(t.TempDir(), "log"), "one\ntwo\nthree\n", 0o600)
	for n, want := range map[int]string{0: "", 1: "three", 2: "two\nthree", 5: "one\ntwo\nthree"} {
		if got := Tail(p, n); got != want {
			t.Errorf("Tail(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Tail(p+".missing", 3); !strings.HasPrefix(got, "(open ") {
		t.Errorf("Tail of a missing file = %q, want the reason in parentheses", got)
	}
}
