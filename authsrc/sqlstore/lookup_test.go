package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

type lookupCase struct {
	user string
	want authsrctest.Outcome
	id   authsrc.Identity // for accepted
}

func checkLookups(t *testing.T, s *sqlstore.Store, what string, cases ...lookupCase) {
	t.Helper()
	for _, c := range cases {
		id, err := s.Lookup(context.Background(), c.user)
		if got := authsrctest.Classify(err); got != c.want {
			t.Errorf("%s: Lookup(%q) = %s (%v), want %s", what, c.user, got, err, c.want)
			continue
		}
		if c.want == authsrctest.Accepted {
			if d := cmp.Diff(c.id, id); d != "" {
				t.Errorf("%s: Lookup(%q) (-want +got):\n%s", what, c.user, d)
			}
		}
	}
}

// TestLookupOwnSchema: what tktctl user does to a user is what the next
// lookup sees, and a name differing only in case or trailing blanks (which
// MariaDB's PAD SPACE collation would match) is nobody.
func TestLookupOwnSchema(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		s := openStore(t, newTestDB(t, kind).config())
		ctx := context.Background()
		if err := s.AddUser(ctx, "alice", "alice pw", []string{"staff", "admins"}, "d1"); err != nil {
			t.Fatal(err)
		}
		checkLookups(t, s, "added",
			lookupCase{"alice", authsrctest.Accepted, authsrc.Identity{User: "alice", Groups: []string{"admins", "staff"}, Data: "d1"}},
			lookupCase{"alice ", authsrctest.NoSuchUser, authsrc.Identity{}},
			lookupCase{"ALICE", authsrctest.NoSuchUser, authsrc.Identity{}})
		if err := s.SetGroups(ctx, "alice", []string{"ops"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetData(ctx, "alice", "d2"); err != nil {
			t.Fatal(err)
		}
		checkLookups(t, s, "changed",
			lookupCase{"alice", authsrctest.Accepted, authsrc.Identity{User: "alice", Groups: []string{"ops"}, Data: "d2"}})
		if err := s.DeleteUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		checkLookups(t, s, "deleted", lookupCase{"alice", authsrctest.NoSuchUser, authsrc.Identity{}})
	})
}

// TestLookupExisting: with an application's own queries, the password
// query says who exists. Its flag for disabled accounts, or a row without
// a hash, makes a user nobody; a group the ticket cannot carry makes the
// store unavailable, as it does at login, rather than drop it unseen.
func TestLookupExisting(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		db := newTestDB(t, kind)
		raw := db.raw(t)
		for _, stmt := range existingSchema(kind) {
			mustExec(t, raw, stmt)
		}
		ins := rebindFor(kind, "INSERT INTO app_accounts (login, pw_hash, display_name, active) VALUES (?, ?, ?, ?)")
		insRole := rebindFor(kind, "INSERT INTO app_roles (login, role_name) VALUES (?, ?)")
		hash := toolHash(t, "sha1", "pw")
		for _, a := range []struct {
			login  string
			hash   any
			active int
			roles  []any
		}{
			{"ann", hash, 1, []any{"editors", nil, "what?"}},
			{"off", hash, 0, []any{"editors"}},
			{"nohash", nil, 1, nil},
			{"empty", "", 1, nil},
			{"badrole", hash, 1, []any{"two words"}},
		} {
			mustExec(t, raw, ins, a.login, a.hash, "Name of "+a.login, a.active)
			for _, r := range a.roles {
				mustExec(t, raw, insRole, a.login, r)
			}
		}
		s := openStore(t, existingConfig(db))
		checkLookups(t, s, "existing",
			lookupCase{"ann", authsrctest.Accepted, authsrc.Identity{User: "ann", Groups: []string{"editors"}, Data: "Name of ann"}},
			lookupCase{"off", authsrctest.NoSuchUser, authsrc.Identity{}},
			lookupCase{"nohash", authsrctest.NoSuchUser, authsrc.Identity{}},
			lookupCase{"empty", authsrctest.NoSuchUser, authsrc.Identity{}},
			lookupCase{"badrole", authsrctest.Unavailable, authsrc.Identity{}},
			lookupCase{"nobody", authsrctest.NoSuchUser, authsrc.Identity{}})
	})
}
