package authsrctest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
)

// runLookup checks the store's Lookup against its real backend: every user
// found as a login finds them, nobody else found, whatever the name holds,
// and a backend that cannot answer failing closed.
func runLookup(t *testing.T, f Fixture) {
	ctx := context.Background()
	lookuper := func(t *testing.T, s authsrc.Source) authsrc.Lookuper {
		t.Helper()
		l, ok := s.(authsrc.Lookuper)
		if !ok {
			t.Fatalf("%T is not an authsrc.Lookuper: every store must say who a user is without the password", s)
		}
		return l
	}
	l := lookuper(t, f.Source)

	if f.NoLookup {
		t.Run("FailsClosed", func(t *testing.T) {
			for _, u := range f.Users {
				id, err := l.Lookup(ctx, u.Name)
				if !errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, authsrc.ErrLookupUnsupported) {
					t.Errorf("Lookup(%q) = (%+v, %v), want unavailable: lookup unsupported", u.Name, id, err)
				}
			}
		})
		return
	}

	t.Run("KnownUser", func(t *testing.T) {
		for _, u := range f.Users {
			want, err := f.Source.Authenticate(ctx, u.Name, u.Password)
			if err != nil {
				t.Fatalf("Authenticate(%q): %v", u.Name, err)
			}
			// A ticket carries the name a login reported, which is
			// what a refresh asks about.
			got, err := l.Lookup(ctx, want.User)
			if err != nil {
				t.Errorf("Lookup(%q) = %v, want the user", want.User, err)
				continue
			}
			if got.User != want.User || got.Data != want.Data || !sameSet(got.Groups, want.Groups) {
				t.Errorf("Lookup(%q) = %+v, want what a login gives: %+v", want.User, got, want)
			}
			if u.Groups != nil && !sameSet(got.Groups, u.Groups) {
				t.Errorf("Lookup(%q): groups %q, want %q", want.User, got.Groups, u.Groups)
			}
			if u.CheckData && got.Data != u.Data {
				t.Errorf("Lookup(%q): data %q, want %q", want.User, got.Data, u.Data)
			}
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		names := []string{"no-such-user-8d1f", strings.ToUpper(f.Users[0].Name) + "-x", "", strings.Repeat("a", authsrc.MaxUserLen+1)}
		for _, name := range injections {
			names = append(names, name)
			for _, u := range f.Users {
				names = append(names, u.Name+name)
			}
		}
		for _, name := range names {
			if id, err := l.Lookup(ctx, name); !errors.Is(err, authsrc.ErrNoSuchUser) || errors.Is(err, authsrc.ErrUnavailable) {
				t.Errorf("Lookup(%.40q) = (%+v, %v), want ErrNoSuchUser", name, id, err)
			}
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := l.Lookup(cctx, f.Users[0].Name); !errors.Is(err, authsrc.ErrUnavailable) {
			t.Errorf("cancelled context: err = %v, want ErrUnavailable", err)
		}
	})

	t.Run("StoreDown", func(t *testing.T) {
		down := lookuper(t, f.down(t))
		start := time.Now()
		id, err := down.Lookup(ctx, f.Users[0].Name)
		if !errors.Is(err, authsrc.ErrUnavailable) || errors.Is(err, authsrc.ErrNoSuchUser) {
			t.Fatalf("store down: Lookup = (%+v, %v), want ErrUnavailable: a store that cannot say must not say no", id, err)
		}
		f.inTime(t, start)
	})
}
