package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
)

// TestRehashKeepsNewerPassword: a password set between a login's read and
// its rehash (tktctl user passwd) is not overwritten with the one just
// typed.
func TestRehashKeepsNewerPassword(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DSN: filepath.Join(t.TempDir(), "users.db"), BcryptCost: 5}
	old, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := old.AddUser(ctx, "alice", "typed", nil, ""); err != nil {
		t.Fatal(err)
	}
	cfg.BcryptCost = 4
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.beforeRehash = func() {
		if err := old.SetPassword(ctx, "alice", "newer"); err != nil {
			t.Error(err)
		}
	}
	if _, err := s.Authenticate(ctx, "alice", "typed"); err != nil {
		t.Fatal(err)
	}
	s.beforeRehash = nil
	if _, err := s.Authenticate(ctx, "alice", "newer"); err != nil {
		t.Errorf("the newer password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "typed"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
		t.Errorf("the password typed before the change: %v, want invalid", err)
	}
}
