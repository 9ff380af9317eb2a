package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

func TestUserManagement(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		s := openStore(t, newTestDB(t, kind).config())
		login := func(user, pw string) error {
			_, err := s.Authenticate(ctx, user, pw)
			return err
		}

		mustOK(t, s.AddUser(ctx, "alice", "pw-a", []string{"staff", "admins", "staff"}, "d1"))
		if err := s.AddUser(ctx, "alice", "other", nil, ""); !errors.Is(err, sqlstore.ErrUserExists) {
			t.Errorf("AddUser(alice) again = %v, want ErrUserExists", err)
		}
		// Names compare exactly, in every database.
		mustOK(t, s.AddUser(ctx, "Alice", "pw-A", nil, ""))
		for _, name := range []string{"ALICE", "alice ", "alicé"} {
			if err := login(name, "pw-a"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
				t.Errorf("login %q with alice's password = %v, want ErrInvalidCredentials", name, err)
			}
		}
		if err := login("Alice", "pw-A"); err != nil {
			t.Errorf("login Alice: %v", err)
		}

		mustOK(t, s.SetPassword(ctx, "alice", "pw-a2"))
		if err := login("alice", "pw-a"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
			t.Errorf("old password after SetPassword = %v", err)
		}
		mustOK(t, login("alice", "pw-a2"))

		mustOK(t, s.SetData(ctx, "alice", "d2"))
		mustOK(t, s.SetData(ctx, "alice", "d2")) // unchanged is not "not found" (MySQL counts changed rows)
		groups, err := s.UpdateGroups(ctx, "alice", []string{"ops", "staff"}, []string{"admins", "never-had"})
		mustOK(t, err)
		if diff := cmp.Diff([]string{"ops", "staff"}, groups); diff != "" {
			t.Errorf("UpdateGroups result (-want +got):\n%s", diff)
		}
		id, err := s.Authenticate(ctx, "alice", "pw-a2")
		mustOK(t, err)
		if diff := cmp.Diff(authsrc.Identity{User: "alice", Groups: []string{"ops", "staff"}, Data: "d2"}, id); diff != "" {
			t.Errorf("identity (-want +got):\n%s", diff)
		}
		mustOK(t, s.SetGroups(ctx, "Alice", []string{"b", "a"}))

		list, err := s.ListUsers(ctx)
		mustOK(t, err)
		for _, u := range list {
			if u.Created.IsZero() || u.Updated.Before(u.Created) {
				t.Errorf("%s: created %v, updated %v", u.Name, u.Created, u.Updated)
			}
		}
		got := make([]sqlstore.UserInfo, len(list))
		for i, u := range list {
			got[i] = sqlstore.UserInfo{Name: u.Name, Groups: u.Groups, Data: u.Data}
		}
		want := []sqlstore.UserInfo{{Name: "Alice", Groups: []string{"a", "b"}}, {Name: "alice", Groups: []string{"ops", "staff"}, Data: "d2"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListUsers (-want +got):\n%s", diff)
		}

		mustOK(t, s.DeleteUser(ctx, "alice"))
		if err := login("alice", "pw-a2"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
			t.Errorf("login after DeleteUser = %v", err)
		}
		// A new alice does not inherit the old one's groups.
		mustOK(t, s.AddUser(ctx, "alice", "pw-new", nil, ""))
		if u, err := s.User(ctx, "alice"); err != nil || len(u.Groups) != 0 {
			t.Errorf("re-added alice = %+v, %v; want no groups", u, err)
		}

		for name, err := range map[string]error{
			"SetPassword":  s.SetPassword(ctx, "ghost", "pw"),
			"SetData":      s.SetData(ctx, "ghost", "x"),
			"SetGroups":    s.SetGroups(ctx, "ghost", []string{"g"}),
			"UpdateGroups": second(s.UpdateGroups(ctx, "ghost", []string{"g"}, nil)),
			"DeleteUser":   s.DeleteUser(ctx, "ghost"),
			"User":         second(s.User(ctx, "ghost")),
		} {
			if !errors.Is(err, sqlstore.ErrUserNotFound) {
				t.Errorf("%s(unknown user) = %v, want ErrUserNotFound", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAddUserRefuses: what can't go into a ticket doesn't go into the store.
func TestAddUserRefuses(t *testing.T) {
	s := openStore(t, newTestDB(t, "sqlite").config())
	ctx := context.Background()
	tests := []struct {
		name, password string
		groups         []string
		data           string
		want           error
	}{
		{"", "pw", nil, "", sqlstore.ErrInvalidName},
		{"a!b", "pw", nil, "", sqlstore.ErrInvalidName},
		{"a\nb", "pw", nil, "", sqlstore.ErrInvalidName},
		{"a\x00b", "pw", nil, "", sqlstore.ErrInvalidName},
		{"tab\there", "pw", nil, "", sqlstore.ErrInvalidName},
		{" lead", "pw", nil, "", sqlstore.ErrInvalidName},
		{"trail\u00a0", "pw", nil, "", sqlstore.ErrInvalidName},
		{"\xff\xfe", "pw", nil, "", sqlstore.ErrInvalidName},
		{strings.Repeat("x", authsrc.MaxUserLen+1), "pw", nil, "", sqlstore.ErrInvalidName},
		{"ok", "pw", []string{"a,b"}, "", sqlstore.ErrInvalidName},
		{"ok", "pw", []string{"a b"}, "", sqlstore.ErrInvalidName},
		{"ok", "pw", []string{"!x"}, "", sqlstore.ErrInvalidName},
		{"ok", "pw", []string{""}, "", sqlstore.ErrInvalidName},
		{"ok", "pw", nil, "a\x00b", sqlstore.ErrInvalidData},
		{"ok", "pw", nil, "a\r\nX-Admin: yes", sqlstore.ErrInvalidData},
		{"ok", "pw", nil, strings.Repeat("d", sqlstore.MaxDataLen+1), sqlstore.ErrInvalidData},
	}
	for _, tt := range tests {
		if err := s.AddUser(ctx, tt.name, tt.password, tt.groups, tt.data); !errors.Is(err, tt.want) {
			t.Errorf("AddUser(%.20q, groups %q, data %.10q) = %v, want %v", tt.name, tt.groups, tt.data, err, tt.want)
		}
	}
	for _, pw := range []string{"", "a\x00b", strings.Repeat("p", 73)} {
		if err := s.AddUser(ctx, "ok", pw, nil, ""); err == nil {
			t.Errorf("AddUser with password %.10q succeeded", pw)
		}
	}
	if list, _ := s.ListUsers(ctx); len(list) != 0 {
		t.Errorf("refused users were stored: %+v", list)
	}
}

// TestConcurrentWriters: tktd and tktctl write the same SQLite file from two
// processes (here two Stores) while logins go on; nobody sees SQLITE_BUSY.
func TestConcurrentWriters(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		db := newTestDB(t, kind)
		a, b := openStore(t, db.config()), openStore(t, db.config())
		ctx := context.Background()
		mustOK(t, a.AddUser(ctx, "reader", "pw", nil, ""))
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 20 {
			wg.Go(func() {
				s := []*sqlstore.Store{a, b}[i%2]
				name := fmt.Sprintf("user%d", i)
				if err := s.AddUser(ctx, name, "pw", []string{"g"}, ""); err != nil {
					errs <- err
				}
				if _, err := s.UpdateGroups(ctx, name, []string{"h"}, []string{"g"}); err != nil {
					errs <- err
				}
				if _, err := s.Authenticate(ctx, "reader", "pw"); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if list, err := b.ListUsers(ctx); err != nil || len(list) != 21 {
			t.Errorf("ListUsers = %d users, %v; want 21", len(list), err)
		}
	})
}
