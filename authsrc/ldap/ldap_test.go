package ldap

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
)

// Three ways of laying out users and groups, each run through the shared
// conformance suite against a real slapd.

// baseConfig is what every layout shares: the server, short timeouts, logs
// to the test's output.
func baseConfig(t testing.TB, s *slapd) Config {
	return Config{
		URLs:           []string{s.URL},
		ConnectTimeout: 2 * time.Second,
		OpTimeout:      2 * time.Second,
		Logger:         testLogger(t),
	}
}

// searchConfig: a service account searches, groups are groupOfNames.
func searchConfig(t testing.TB, s *slapd) Config {
	c := baseConfig(t, s)
	c.BindDN, c.BindPassword = serviceDN, servicePW
	c.BaseDN, c.UserFilter, c.UserAttr = suffix, "(objectClass=inetOrgPerson)", "uid"
	c.DataAttr = "description"
	c.GroupBaseDN, c.GroupFilter, c.GroupMemberAttr = "ou=groups,"+suffix, "(objectClass=groupOfNames)", "member"
	return c
}

// directConfig: bind straight to uid=<name>,ou=people; groups are
// posixGroups read with the user's own bind.
func directConfig(t testing.TB, s *slapd) Config {
	c := baseConfig(t, s)
	c.UserDNTemplate, c.UserFilter = "uid=%s,ou=people,"+suffix, "(objectClass=inetOrgPerson)"
	c.GroupBaseDN, c.GroupFilter, c.GroupMemberAttr = "ou=groups,"+suffix, "(objectClass=posixGroup)", "memberUid"
	return c
}

// directServiceConfig: direct bind as directConfig, with a service
// account that reads groups, and entries for lookups.
func directServiceConfig(t testing.TB, s *slapd) Config {
	c := directConfig(t, s)
	c.BindDN, c.BindPassword = serviceDN, servicePW
	return c
}

// memberOfConfig: anonymous search one level below ou=people; groups from
// the memberOf attribute slapd's memberof overlay maintains.
func memberOfConfig(t testing.TB, s *slapd) Config {
	c := baseConfig(t, s)
	c.BaseDN, c.Scope, c.MemberOfAttr = "ou=people,"+suffix, ScopeOne, "memberOf"
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newSource(t testing.TB, cfg Config) *Source {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	for _, tc := range []struct {
		name   string
		config func(testing.TB, *slapd) Config
		groups func(dirUser) []string
		data   bool
		// noLookup: without a service account, direct bind cannot
		// look users up.
		noLookup bool
	}{
		{"SearchBind/groupOfNames", searchConfig, func(u dirUser) []string { return tokensOf(u.groups) }, true, false},
		{"DirectBind/posixGroup", directConfig, func(u dirUser) []string { return tokensOf(u.posix) }, false, true},
		{"DirectBind/serviceAccount", directServiceConfig, func(u dirUser) []string { return tokensOf(u.posix) }, false, false},
		{"AnonymousSearch/memberOf", memberOfConfig, func(u dirUser) []string { return tokensOf(u.groups) }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			authsrctest.Run(t, func(t *testing.T) authsrctest.Fixture {
				var users []authsrctest.User
				for _, u := range testUsers() {
					users = append(users, authsrctest.User{
						Name: u.uid, Password: u.password, Groups: tc.groups(u),
						Data: u.data, CheckData: tc.data,
					})
				}
				return authsrctest.Fixture{
					Source: newSource(t, tc.config(t, srv)),
					Users:  users,
					Down: func(t *testing.T) authsrc.Source {
						cfg := tc.config(t, srv)
						cfg.URLs = []string{stoppedServer(t)}
						return newSource(t, cfg)
					},
					DownTimeout: 3 * time.Second,
					NoLookup:    tc.noLookup,
				}
			})
		})
	}
}

// stoppedServer is the URL of a real slapd that has been shut down.
func stoppedServer(t testing.TB) string {
	s := startSlapd(t, "")
	s.Stop()
	return s.URL
}

// TestIdentity checks what a login reports beyond yes or no: the stored
// spelling of the name, the chosen name attribute, user data.
func TestIdentity(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		config func(Config) Config
		base   func(testing.TB, *slapd) Config
		user   string
		pw     string
		want   authsrc.Identity
	}{
		{"search: stored case", nil, searchConfig, "ALICE", "Alice-pw-1",
			authsrc.Identity{User: "alice", Groups: []string{"admins", "devs"}, Data: "alice's data: ✓"}},
		{"direct: stored case", nil, directConfig, "Bob", "Bob-pw-2",
			authsrc.Identity{User: "bob", Groups: []string{"staff", "wheel"}}},
		{"UserNameAttr", func(c Config) Config { c.UserNameAttr = "mail"; return c }, searchConfig, "alice", "Alice-pw-1",
			authsrc.Identity{User: "alice@example.org", Groups: []string{"admins", "devs"}, Data: "alice's data: ✓"}},
		{"hostile data and groups", nil, searchConfig, `h*()\,=+<>#;"'x`, "Hostile-pw-3",
			authsrc.Identity{User: `h*()\,=+<>#;"'x`, Groups: []string{"admins", `g*()\=+<>#;"'`}, Data: `*)(uid=*`}},
		{"memberOf and group search together", func(c Config) Config { c.MemberOfAttr = "memberOf"; return c }, searchConfig,
			"Zoë-用户-🙂", "Unicode-pw-5-ü", authsrc.Identity{User: "Zoë-用户-🙂", Groups: []string{"devs", "réseau-ü"}}},
		{"no groups configured", func(c Config) Config {
			c.GroupBaseDN, c.GroupFilter, c.GroupMemberAttr = "", "", ""
			return c
		}, searchConfig, "bob", "Bob-pw-2", authsrc.Identity{User: "bob", Groups: []string{}}},
		{"anonymous search with posixGroup search", func(c Config) Config {
			c.MemberOfAttr = ""
			c.GroupBaseDN, c.GroupFilter, c.GroupMemberAttr = "ou=groups,"+suffix, "(objectClass=posixGroup)", "memberUid"
			return c
		}, memberOfConfig, "ALICE", "Alice-pw-1", authsrc.Identity{User: "alice", Groups: []string{"staff"}}},
		{"direct bind with service account for groups", func(c Config) Config {
			c.BindDN, c.BindPassword = serviceDN, servicePW
			return c
		}, directConfig, "admin", "Admin-pw-0", authsrc.Identity{User: "admin", Groups: []string{"wheel"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.base(t, srv)
			if tc.config != nil {
				cfg = tc.config(cfg)
			}
			got, err := newSource(t, cfg).Authenticate(ctx, tc.user, tc.pw)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusals covers logins that must fail with ErrInvalidCredentials, and
// configurations or directories that must give "unavailable" instead of
// guessing.
func TestRefusals(t *testing.T) {
	srv := startSlapd(t, testLDIF())
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		base     func(testing.TB, *slapd) Config
		config   func(Config) Config
		user, pw string
		want     error
	}{
		// Injection: with the right password of the user the filter would
		// reach, so a working injection would log in.
		{"search: *", searchConfig, nil, "*", "Alice-pw-1", authsrc.ErrInvalidCredentials},
		{"search: )(uid=*", searchConfig, nil, ")(uid=*", "Alice-pw-1", authsrc.ErrInvalidCredentials},
		{"search: admin)(|(uid=*", searchConfig, nil, "admin)(|(uid=*", "Admin-pw-0", authsrc.ErrInvalidCredentials},
		{"search: a*", searchConfig, nil, "a*", "Admin-pw-0", authsrc.ErrInvalidCredentials},
		{"search: NUL", searchConfig, nil, "admin\x00", "Admin-pw-0", authsrc.ErrInvalidCredentials},
		{"direct: *", directConfig, nil, "*", "Alice-pw-1", authsrc.ErrInvalidCredentials},
		{"direct: admin)(|(uid=*", directConfig, nil, "admin)(|(uid=*", "Admin-pw-0", authsrc.ErrInvalidCredentials},
		{"direct: DN injection", directConfig, nil, "admin,ou=people," + suffix, "Admin-pw-0", authsrc.ErrInvalidCredentials},
		{"direct: other RDN", directConfig, nil, "x+uid=admin", "Admin-pw-0", authsrc.ErrInvalidCredentials},
		{"memberOf: *", memberOfConfig, nil, "*", "Bob-pw-2", authsrc.ErrInvalidCredentials},

		// slapd's rootdn binds without an entry: not a user.
		{"direct: rootdn is no user", directConfig, func(c Config) Config {
			c.UserDNTemplate, c.UserFilter = "cn=%s,"+suffix, ""
			return c
		}, "admin", rootPW, authsrc.ErrInvalidCredentials},
		// The entry exists and the password is right, but UserFilter says
		// it is not a user.
		{"direct: entry outside UserFilter", directConfig, func(c Config) Config {
			c.UserFilter = "(objectClass=posixAccount)"
			return c
		}, "alice", "Alice-pw-1", authsrc.ErrInvalidCredentials},
		{"search: entry outside UserFilter", searchConfig, func(c Config) Config {
			c.UserFilter = "(objectClass=posixAccount)"
			return c
		}, "alice", "Alice-pw-1", authsrc.ErrInvalidCredentials},
		// A service account is not a user.
		{"search: service account", searchConfig, func(c Config) Config {
			c.UserAttr = "cn"
			return c
		}, "tkt-service", servicePW, authsrc.ErrInvalidCredentials},

		{"two entries match", searchConfig, nil, twinUID, "Twin-pw-7", errAmbiguous},
		{"two entries match, unknown password", searchConfig, nil, twinUID, "wrong", errAmbiguous},
		{"service account password wrong", searchConfig, func(c Config) Config {
			c.BindPassword = "wrong"
			return c
		}, "alice", "Alice-pw-1", authsrc.ErrUnavailable},
		{"base DN missing", searchConfig, func(c Config) Config {
			c.BaseDN = "ou=nowhere," + suffix
			return c
		}, "alice", "Alice-pw-1", authsrc.ErrUnavailable},
		{"group base DN missing", searchConfig, func(c Config) Config {
			c.GroupBaseDN = "ou=nowhere," + suffix
			return c
		}, "alice", "Alice-pw-1", authsrc.ErrUnavailable},
		{"UserNameAttr absent from entry", searchConfig, func(c Config) Config {
			c.UserNameAttr = "employeeNumber"
			return c
		}, "alice", "Alice-pw-1", authsrc.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.base(t, srv)
			if tc.config != nil {
				cfg = tc.config(cfg)
			}
			id, err := newSource(t, cfg).Authenticate(ctx, tc.user, tc.pw)
			t.Logf("err: %v", err) // for reviewing the messages operators will read
			if !errors.Is(err, tc.want) {
				t.Fatalf("Authenticate(%q) = (%+v, %v), want %v", tc.user, id, err, tc.want)
			}
			if errors.Is(tc.want, authsrc.ErrInvalidCredentials) != errors.Is(err, authsrc.ErrInvalidCredentials) ||
				errors.Is(tc.want, authsrc.ErrInvalidCredentials) == errors.Is(err, authsrc.ErrUnavailable) {
				t.Errorf("err = %v: must be exactly one of invalid credentials and unavailable", err)
			}
		})
	}
}
