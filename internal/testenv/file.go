package testenv

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// WriteFile writes content to path with exactly mode, whatever the umask,
// and returns path.
func WriteFile(t testing.TB, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// Tail returns the last n lines of file, for a failure message: a
// server's log says why it answered as it did. When file cannot be read
// it returns the reason in parentheses.
func Tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ReadJSON decodes the JSON file at path into v, failing the test when it
// cannot: golden data in testdata/ that several packages' tests share.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
