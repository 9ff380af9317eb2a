package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
)

// TestUnavailableScrubs: a driver message that quotes the DSN's password
// reaches the log without it, and errors.Is still sees through.
func TestUnavailableScrubs(t *testing.T) {
	s := &Store{c: conns{name: "sql postgres db:5432/app", secret: "hunter2"}}
	cause := fmt.Errorf("connect to user=app password=hunter2 failed: %w", context.DeadlineExceeded)
	err := s.unavailable(cause)
	if want := "sql postgres db:5432/app: user store unavailable: connect to user=app password=xxxxx failed: context deadline exceeded"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if !errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not match ErrUnavailable and its cause", err)
	}
	if plain := errors.New("no secret here"); scrub(plain, "hunter2") != plain || scrub(plain, "") != plain {
		t.Error("scrub changed an error without the secret")
	}
}
