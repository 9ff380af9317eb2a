package htpasswd

import (
	"errors"
	"os"
	"testing"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestExchangePutsBack: when the file that comes out of the swap is not
// the one the rewrite started from (someone replaced it in the instant
// between the last check and the swap), theirs goes back in place.
func TestExchangePutsBack(t *testing.T) {
	dir := t.TempDir()
	path, tmp, read := dir+"/htpasswd", dir+"/tmp", dir+"/read"
	testenv.WriteFile(t, read, "as read\n", 0o600)
	testenv.WriteFile(t, path, "their edit\n", 0o600)
	testenv.WriteFile(t, tmp, "ours\n", 0o600)
	if err := exchange(tmp, path, statPath(read)); !errors.Is(err, errStale) {
		t.Fatalf("exchange = %v, want errStale", err)
	}
	if got := string(readFile(t, path)); got != "their edit\n" {
		t.Errorf("file now %q, want their edit", got)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("our file left behind: %v", err)
	}

	testenv.WriteFile(t, tmp, "ours\n", 0o600)
	if err := exchange(tmp, path, statPath(path)); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, path)); got != "ours\n" {
		t.Errorf("file now %q, want ours", got)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the old file left behind: %v", err)
	}
}
