package testenv

import (
	"os"
	"path/filepath"
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
