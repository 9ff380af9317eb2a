package authsrc_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// A store group named like a reserved token (mfa) never comes out of the
// wrapper, by password or by lookup; the user's other groups do.
func TestWithoutGroups(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Config{DSN: filepath.Join(t.TempDir(), "users.db"), BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddUser(ctx, "mallory", "pw", []string{"mfa", "staff", "zz"}, ""); err != nil {
		t.Fatal(err)
	}
	src := authsrc.WithoutGroups(authsrc.Chain(authsrc.Named{Name: "sql", Source: st}), "mfa")
	id, err := src.Authenticate(ctx, "mallory", "pw")
	if err != nil || !slices.Equal(id.Groups, []string{"staff", "zz"}) {
		t.Errorf("Authenticate: %v, %v", id.Groups, err)
	}
	l, ok := src.(authsrc.Lookuper)
	if !ok {
		t.Fatal("the wrapper of a Lookuper is no Lookuper")
	}
	if id, err = l.Lookup(ctx, "mallory"); err != nil || !slices.Equal(id.Groups, []string{"staff", "zz"}) {
		t.Errorf("Lookup: %v, %v", id.Groups, err)
	}
	if _, ok := authsrc.WithoutGroups(onlyAuth{st}, "mfa").(authsrc.Lookuper); ok {
		t.Error("the wrapper of a Source without Lookup claims to look up")
	}
	if authsrc.WithoutGroups(st, "") != authsrc.Source(st) {
		t.Error("no names should leave the source as it is")
	}
}

type onlyAuth struct{ s authsrc.Source }

func (o onlyAuth) Authenticate(ctx context.Context, u, p string) (authsrc.Identity, error) {
	return o.s.Authenticate(ctx, u, p)
}
