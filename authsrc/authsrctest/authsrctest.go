// Package authsrctest is the conformance suite every authsrc.Source passes.
// A store's test builds a Fixture against its real backend and calls Run.
package authsrctest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
)

// User is an account the fixture's store holds.
type User struct {
	Name     string
	Password string
	// Groups the store reports for the user; nil means "don't check".
	Groups []string
	// Data the store reports; checked only when CheckData is set.
	Data      string
	CheckData bool
}

// Fixture describes one store under test.
type Fixture struct {
	// Source is connected to a live backend holding Users.
	Source authsrc.Source
	// Users must include at least one plain account and, where the store can
	// hold them, hostile names: `*()\,=+<>#;"'` characters, unicode, and a
	// very long name. Each is logged in with its own password.
	Users []User
	// Down returns a Source configured like Source whose backend is not
	// reachable (a stopped server, a closed port, a missing file). It must
	// answer within the store's timeout with an error matching
	// authsrc.ErrUnavailable.
	Down func(t *testing.T) authsrc.Source
	// DownTimeout bounds how long a Down source may take; 0 means 10 s.
	DownTimeout time.Duration
	// NoLookup says the store is configured so that it cannot look users
	// up without their password (LDAP's direct bind with no service
	// account): every Lookup must then fail closed, with an error matching
	// authsrc.ErrUnavailable and authsrc.ErrLookupUnsupported.
	NoLookup bool
}

// injections are user names that must never log anybody in: wildcard and
// filter tricks for LDAP, quoting tricks for SQL, pattern tricks for files.
var injections = []string{
	"*", "**", "%", "_", "?", ".*",
	"*)(uid=*", "*)(|(uid=*", "admin)(|(uid=*", ")(cn=*)", "*)(objectClass=*",
	"' OR '1'='1", "' OR 1=1 --", "\" OR \"\"=\"", "'; DROP TABLE users; --",
	"admin'--", "x' UNION SELECT 'y", `\`, `\\`, "\u0000", "a\nb",
}

// Run runs the suite against fixture f, built fresh for each subtest.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	t.Helper()
	f := newFixture(t)
	if len(f.Users) == 0 {
		t.Fatal("fixture has no users")
	}
	ctx := context.Background()

	t.Run("GoodPassword", func(t *testing.T) {
		for _, u := range f.Users {
			id, err := f.Source.Authenticate(ctx, u.Name, u.Password)
			if err != nil {
				t.Errorf("Authenticate(%q, good password) = %v, want success", u.Name, err)
				continue
			}
			if id.User == "" {
				t.Errorf("Authenticate(%q): empty Identity.User", u.Name)
			}
			if u.Groups != nil && !sameSet(id.Groups, u.Groups) {
				t.Errorf("Authenticate(%q): groups %q, want %q", u.Name, id.Groups, u.Groups)
			}
			if u.CheckData && id.Data != u.Data {
				t.Errorf("Authenticate(%q): data %q, want %q", u.Name, id.Data, u.Data)
			}
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		for _, u := range f.Users {
			for _, pw := range []string{u.Password + "x", strings.ToUpper(u.Password), u.Password[:len(u.Password)-1], "*"} {
				if pw == u.Password {
					continue
				}
				wantInvalid(t, f.Source, u.Name, pw)
			}
		}
	})

	t.Run("OtherUsersPassword", func(t *testing.T) {
		for i, u := range f.Users {
			other := f.Users[(i+1)%len(f.Users)]
			if other.Password != u.Password {
				wantInvalid(t, f.Source, u.Name, other.Password)
			}
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		wantInvalid(t, f.Source, "no-such-user-8d1f", f.Users[0].Password)
		wantInvalid(t, f.Source, strings.ToUpper(f.Users[0].Name)+"-x", f.Users[0].Password)
	})

	t.Run("EmptyPassword", func(t *testing.T) {
		for _, u := range f.Users {
			wantInvalid(t, f.Source, u.Name, "")
		}
		wantInvalid(t, f.Source, "", "")
		wantInvalid(t, f.Source, "", f.Users[0].Password)
	})

	t.Run("Injection", func(t *testing.T) {
		for _, name := range injections {
			for _, u := range f.Users {
				wantInvalid(t, f.Source, name, u.Password)
				wantInvalid(t, f.Source, u.Name+name, u.Password)
			}
		}
	})

	t.Run("LongInput", func(t *testing.T) {
		long := strings.Repeat("a", authsrc.MaxUserLen+1)
		wantInvalid(t, f.Source, long, f.Users[0].Password)
		wantInvalid(t, f.Source, f.Users[0].Name, strings.Repeat("p", authsrc.MaxPasswordLen+1))
		wantInvalid(t, f.Source, f.Users[0].Name, strings.Repeat("p", 100_000))
	})

	t.Run("CancelledContext", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		u := f.Users[0]
		_, err := f.Source.Authenticate(cctx, u.Name, u.Password)
		if err == nil || errors.Is(err, authsrc.ErrInvalidCredentials) {
			t.Fatalf("cancelled context: err = %v, want an unavailable error", err)
		}
		if !errors.Is(err, authsrc.ErrUnavailable) {
			t.Errorf("cancelled context: err = %v, does not match ErrUnavailable", err)
		}
	})

	t.Run("StoreDown", func(t *testing.T) {
		down := f.down(t)
		u := f.Users[0]
		start := time.Now()
		_, err := down.Authenticate(ctx, u.Name, u.Password)
		if !errors.Is(err, authsrc.ErrUnavailable) {
			t.Fatalf("store down: err = %v, want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), u.Password) {
			t.Errorf("store down: error %q contains the password", err)
		}
		f.inTime(t, start)
	})

	t.Run("Lookup", func(t *testing.T) { runLookup(t, f) })
}

// down is the fixture's Down source.
func (f Fixture) down(t *testing.T) authsrc.Source {
	t.Helper()
	if f.Down == nil {
		t.Fatal("fixture has no Down: every store must show how it fails")
	}
	return f.Down(t)
}

// inTime fails t if a down store took longer than DownTimeout to answer.
func (f Fixture) inTime(t *testing.T, start time.Time) {
	t.Helper()
	limit := f.DownTimeout
	if limit == 0 {
		limit = 10 * time.Second
	}
	if d := time.Since(start); d > limit {
		t.Errorf("store down: answered after %v, want within %v", d, limit)
	}
}

func wantInvalid(t *testing.T, s authsrc.Source, user, password string) {
	t.Helper()
	id, err := s.Authenticate(context.Background(), user, password)
	if !errors.Is(err, authsrc.ErrInvalidCredentials) {
		t.Errorf("Authenticate(%.40q, %.20q) = (%+v, %v), want ErrInvalidCredentials", user, password, id, err)
	}
	if err != nil && password != "" && len(password) > 3 && strings.Contains(err.Error(), password) {
		t.Errorf("error %q contains the password", err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
