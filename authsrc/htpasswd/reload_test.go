package htpasswd

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestConcurrentReload rewrites the files many times while readers log in
// without pause, each reload triggered either by Reload (as on SIGHUP) or
// by the readers' own change checks. alice is in every version with the
// same password and groups, so every single login of hers must succeed:
// a reader that saw a half-built table, or none, would fail. Run it with
// -race.
func TestConcurrentReload(t *testing.T) {
	const versions = 60
	dir := t.TempDir()
	path, groups := dir+"/htpasswd", dir+"/groups"

	// Hashes from the real tool, made once: alice's differ per version
	// (apr1 salts), each version adds a user of its own.
	var alice []string
	for range 4 {
		alice = append(alice, hashWithTool(t, []string{"-m"}, "alice", "pw-alice"))
	}
	filler := hashWithTool(t, []string{"-s"}, "x", "filler")
	version := func(i int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "# version %d\nalice:%s\nv-%d:%s\n", i, alice[i%len(alice)], i, filler)
		for j := range 300 { // a file big enough to take a while to read
			fmt.Fprintf(&b, "filler-%d-%d:%s\n", i, j, filler)
		}
		return b.String()
	}
	write := func(p, content string) { // as editors and config tools do
		tmp := p + ".tmp"
		testenv.WriteFile(t, tmp, content, 0o600)
		if err := os.Rename(tmp, p); err != nil {
			t.Error(err)
		}
	}
	write(path, version(0))
	write(groups, "staff: alice\nall: alice v-0\n")
	s := newStore(t, Config{Path: path, GroupPath: groups, CheckInterval: time.Nanosecond})

	var done atomic.Bool
	var logins atomic.Int64
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				id, err := s.Authenticate(t.Context(), "alice", "pw-alice")
				if err != nil {
					t.Errorf("reader %d: alice: %v", r, err)
					return
				}
				if !slices.Equal(id.Groups, []string{"all", "staff"}) {
					t.Errorf("reader %d: alice in %q", r, id.Groups)
					return
				}
				logins.Add(1)
			}
		}()
	}
	for i := 1; i < versions; i++ {
		write(path, version(i))
		write(groups, fmt.Sprintf("staff: alice\nall: alice v-%d\n", i))
		if i%2 == 0 {
			if err := s.Reload(); err != nil {
				t.Errorf("Reload %d: %v", i, err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	done.Store(true)
	wg.Wait()
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf("v-%d", versions-1)
	if id, err := s.Authenticate(t.Context(), last, "filler"); err != nil || !slices.Equal(id.Groups, []string{"all"}) {
		t.Fatalf("last version: %+v, %v", id, err)
	}
	if err := login(s, "v-0", "filler"); err == nil {
		t.Fatal("first version still loaded")
	}
	t.Logf("%d logins across %d versions", logins.Load(), versions)
}

// TestNoGoroutines: the store starts none, so it has nothing to leak and
// needs no Close.
func TestNoGoroutines(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, []string{"-s"}, account{"alice", "pw-alice"})
	before := runtime.NumGoroutine()
	for range 10 {
		s := newStore(t, Config{Path: path, CheckInterval: time.Nanosecond})
		for range 10 {
			_ = login(s, "alice", "pw-alice")
		}
		_ = s.Reload()
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines before, %d after", before, after)
	}
}
