package htpasswd

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestLookupFollowsTheFiles: a lookup answers from the files as they are
// now, noticing a change itself as a login would, so that a user removed
// from the file, or from a group, is gone from the next refreshed ticket.
func TestLookupFollowsTheFiles(t *testing.T) {
	dir := t.TempDir()
	path, groups := dir+"/htpasswd", dir+"/groups"
	writeWithTool(t, path, []string{"-s"}, account{"alice", "pw-alice"}, account{"bob", "pw-bob"})
	testenv.WriteFile(t, groups, "staff: alice bob\nadmin: alice\n", 0o600)
	s := newStore(t, Config{Path: path, GroupPath: groups, CheckInterval: time.Nanosecond})
	lookup := func(user string) (authsrc.Identity, error) {
		return s.Lookup(context.Background(), user)
	}

	if id, err := lookup("alice"); err != nil || !cmp.Equal(id, authsrc.Identity{User: "alice", Groups: []string{"admin", "staff"}}) {
		t.Fatalf("alice: %+v, %v", id, err)
	}
	writeWithTool(t, path, []string{"-s"}, account{"bob", "pw-bob"})
	testenv.WriteFile(t, groups, "staff: bob\nops: bob\n", 0o600)
	time.Sleep(10 * time.Millisecond) // past the check interval and the modification time's grain
	if _, err := lookup("alice"); !errors.Is(err, authsrc.ErrNoSuchUser) {
		t.Errorf("alice removed from the file: %v, want ErrNoSuchUser", err)
	}
	if id, err := lookup("bob"); err != nil || !cmp.Equal(id, authsrc.Identity{User: "bob", Groups: []string{"ops", "staff"}}) {
		t.Errorf("bob's new groups: %+v, %v", id, err)
	}
	// The table is the store's: changing what a lookup returned changes
	// nothing for the next one.
	id, _ := lookup("bob")
	id.Groups[0] = "root"
	if again, _ := lookup("bob"); again.Groups[0] != "ops" {
		t.Errorf("a caller's change reached the table: %q", again.Groups)
	}
}

// A locked account ("!" or "*" before the hash, as usermod -L writes, or
// no hash) is no user to a lookup: a passkey sign-in or a refresh, which
// ask no password, must not let it in.
func TestLookupLockedAccount(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/htpasswd"
	writeWithTool(t, path, []string{"-B", "-C", "4"}, account{"alice", "pw-alice"})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimPrefix(strings.TrimSpace(string(b)), "alice:")
	testenv.WriteFile(t, path, "alice:"+hash+"\nbob:!"+hash+"\ncarol:*\n", 0o600)
	s := newStore(t, Config{Path: path})
	if _, err := s.Lookup(context.Background(), "alice"); err != nil {
		t.Errorf("alice: %v", err)
	}
	for _, user := range []string{"bob", "carol"} {
		if _, err := s.Lookup(context.Background(), user); !errors.Is(err, authsrc.ErrNoSuchUser) {
			t.Errorf("%s, locked: %v, want ErrNoSuchUser", user, err)
		}
	}
}
