package ldap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
)

// TestLookup covers what the conformance suite cannot see: lookups by the
// name a ticket carries when it is not the login name, the configurations
// that cannot look up and say so without asking the directory, and
// directory problems that must fail closed rather than read as "no such
// user".
func TestLookup(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	ctx := context.Background()
	withService := func(c Config) Config {
		c.BindDN, c.BindPassword = serviceDN, servicePW
		return c
	}
	for _, tc := range []struct {
		name   string
		base   func(testing.TB, *slapd) Config
		config func(Config) Config
		user   string
		want   authsrc.Identity
		err    error // nil: want found
	}{
		{"search: by UserAttr", searchConfig, nil, "alice",
			authsrc.Identity{User: "alice", Groups: []string{"admins", "devs"}, Data: "alice's data: ✓"}, nil},
		{"search: any case finds the stored one", searchConfig, nil, "ALICE",
			authsrc.Identity{User: "alice", Groups: []string{"admins", "devs"}, Data: "alice's data: ✓"}, nil},
		{"search: by UserNameAttr, the name in the ticket", searchConfig, func(c Config) Config { c.UserNameAttr = "mail"; return c }, "alice@example.org",
			authsrc.Identity{User: "alice@example.org", Groups: []string{"admins", "devs"}, Data: "alice's data: ✓"}, nil},
		{"search: UserNameAttr set, login name is nobody", searchConfig, func(c Config) Config { c.UserNameAttr = "mail"; return c }, "alice",
			authsrc.Identity{}, authsrc.ErrNoSuchUser},
		{"anonymous search with memberOf", memberOfConfig, nil, "bob",
			authsrc.Identity{User: "bob", Groups: []string{"devs"}}, nil},
		{"direct bind with a service account", directConfig, withService, "Bob",
			authsrc.Identity{User: "bob", Groups: []string{"staff", "wheel"}}, nil},
		{"direct bind with a service account, unknown", directConfig, withService, "nobody",
			authsrc.Identity{}, authsrc.ErrNoSuchUser},
		{"direct bind: entry outside UserFilter", directConfig, func(c Config) Config {
			c = withService(c)
			c.UserFilter = "(objectClass=posixAccount)"
			return c
		}, "alice", authsrc.Identity{}, authsrc.ErrNoSuchUser},

		{"two entries match", searchConfig, nil, twinUID, authsrc.Identity{}, errAmbiguous},
		{"service account password wrong", searchConfig, func(c Config) Config { c.BindPassword = "wrong"; return c }, "alice",
			authsrc.Identity{}, authsrc.ErrUnavailable},
		{"base DN missing", searchConfig, func(c Config) Config { c.BaseDN = "ou=nowhere," + suffix; return c }, "alice",
			authsrc.Identity{}, authsrc.ErrUnavailable},
		{"group base DN missing", searchConfig, func(c Config) Config { c.GroupBaseDN = "ou=nowhere," + suffix; return c }, "alice",
			authsrc.Identity{}, authsrc.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.base(t, srv)
			if tc.config != nil {
				cfg = tc.config(cfg)
			}
			got, err := newSource(t, cfg).Lookup(ctx, tc.user)
			t.Logf("err: %v", err)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("Lookup(%q): %v", tc.user, err)
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("identity (-want +got):\n%s", d)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("Lookup(%q) = (%+v, %v), want %v", tc.user, got, err, tc.err)
			}
			if !errors.Is(tc.err, authsrc.ErrNoSuchUser) && !errors.Is(err, authsrc.ErrUnavailable) {
				t.Errorf("err = %v: a directory problem must read as unavailable", err)
			}
		})
	}
}

// TestLookupUnsupported: direct bind without a service account, or with
// UserNameAttr, cannot look a user up. It fails closed at once, saying
// why, without a connection: the servers here do not even listen.
func TestLookupUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(Config) Config
	}{
		{"no service account", func(c Config) Config { return c }},
		{"UserNameAttr", func(c Config) Config {
			c.BindDN, c.BindPassword, c.UserNameAttr = serviceDN, servicePW, "mail"
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{
				URLs: []string{blackhole(t)}, Logger: testLogger(t),
				UserDNTemplate: "uid=%s,ou=people," + suffix,
			}
			start := time.Now()
			_, err := newSource(t, tc.config(cfg)).Lookup(context.Background(), "alice")
			if !errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, authsrc.ErrLookupUnsupported) {
				t.Fatalf("err = %v, want unavailable: lookup unsupported", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v: the directory was asked", d)
			}
			t.Logf("err: %v", err)
		})
	}
}

// TestLookupFailover: a lookup goes to the next server as a login does.
func TestLookupFailover(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	cfg := searchConfig(t, srv)
	cfg.URLs = []string{stoppedServer(t), srv.URL}
	if id, err := newSource(t, cfg).Lookup(context.Background(), "bob"); err != nil || id.User != "bob" {
		t.Fatalf("Lookup = (%+v, %v), want bob from the second server", id, err)
	}
	cfg.URLs = []string{stoppedServer(t), closedURL(t)}
	if _, err := newSource(t, cfg).Lookup(context.Background(), "bob"); !errors.Is(err, authsrc.ErrUnavailable) {
		t.Fatalf("every server down: %v, want ErrUnavailable", err)
	}
}
