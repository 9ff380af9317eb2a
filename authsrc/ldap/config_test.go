package ldap

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

func TestValidate(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	testenv.WriteFile(t, ca, string(slapdtest.NewPKI(t, "127.0.0.1").CAPEM), 0o600)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	testenv.WriteFile(t, notPEM, "hello", 0o600)

	search := Config{URLs: []string{"ldap://ldap.example.org"}, BaseDN: suffix}
	with := func(f func(*Config)) Config { c := search; f(&c); return c }

	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // one substring per expected error; none means valid
	}{
		{"search minimal", search, nil},
		{"direct minimal", Config{URLs: []string{"ldaps://ldap.example.org:1636"}, UserDNTemplate: "uid=%s,ou=people," + suffix}, nil},
		{"everything", with(func(c *Config) {
			c.URLs = append(c.URLs, "ldap://[::1]:389/")
			c.StartTLS, c.CAFile = true, ca
			c.ConnectTimeout, c.OpTimeout = time.Second, time.Second
			c.BindDN, c.BindPassword = serviceDN, servicePW
			c.Scope, c.UserFilter, c.UserAttr = ScopeOne, "(objectClass=inetOrgPerson)", "sAMAccountName"
			c.UserNameAttr, c.DataAttr, c.MemberOfAttr = "mail", "description;lang-en", "memberOf"
			c.GroupBaseDN, c.GroupScope, c.GroupFilter = "ou=groups,"+suffix, ScopeSub, "(objectClass=posixGroup)"
			c.GroupMemberAttr, c.GroupUserAttr, c.GroupNameAttr = "memberUid", "uid", "cn"
		}), nil},
		{"zero", Config{}, []string{"no server URLs", "set BaseDN"}},
		{"every field wrong at once", Config{
			URLs:       []string{"http://x", "ldap://", "ldap://u:pw@host", "ldap://h/dc=x", "ldaps://h:0", "ldaps://ok"},
			StartTLS:   true,
			CAFile:     notPEM,
			OpTimeout:  -1,
			BindDN:     "not a dn",
			BaseDN:     "dc=x",
			Scope:      "subtree",
			UserFilter: "objectClass=person",
			UserAttr:   "uid)(x",

			UserDNTemplate: "uid=%s",
			GroupFilter:    "(",
		}, []string{
			`URLs[0]: server URL "http://x": scheme`, `URLs[1]: server URL "ldap://": no host`,
			"URLs[2]: server URL ldap://u:xxxxx@host: credentials go in BindDN",
			`URLs[3]: server URL "ldap://h/dc=x": give only`, `URLs[4]: server URL "ldaps://h:0": bad port`,
			"URLs[5]: StartTLS with ldaps://ok", "CAFile " + notPEM + ": no PEM",
			"OpTimeout -1ns is negative", "BindDN and BindPassword must be set together",
			`BindDN "not a dn"`, "not both", `Scope "subtree"`, `UserFilter "objectClass=person"`,
			`GroupFilter "("`, `UserAttr "uid)(x" is not an attribute name`,
			"group search settings given without GroupBaseDN",
		}},
		{"password without DN", with(func(c *Config) { c.BindPassword = "x" }), []string{"set together"}},
		{"missing CA file", with(func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }), []string{"CAFile: open /nonexistent/ca.pem"}},
		{"bad template", Config{URLs: search.URLs, UserDNTemplate: "uid=x%s,dc=x"}, []string{"UserDNTemplate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				if _, err := New(tc.cfg); err != nil {
					t.Fatalf("New = %v after Validate passed", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil, want errors")
			}
			errs := err.(interface{ Unwrap() []error }).Unwrap()
			if len(errs) != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%v", len(errs), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("no error mentions %q in:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error echoes a password from a URL:\n%v", err)
			}
			if _, nerr := New(tc.cfg); nerr == nil {
				t.Error("New accepted a config Validate rejects")
			}
		})
	}
}

func TestParseServerURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want server
	}{
		{"ldap://h", server{url: "ldap://h", addr: "h:389", host: "h"}},
		{"ldaps://h/", server{url: "ldaps://h/", addr: "h:636", host: "h", tls: true}},
		{"ldap://10.0.0.5:3389", server{url: "ldap://10.0.0.5:3389", addr: "10.0.0.5:3389", host: "10.0.0.5"}},
		{"ldaps://[2001:db8::1]", server{url: "ldaps://[2001:db8::1]", addr: "[2001:db8::1]:636", host: "2001:db8::1", tls: true}},
	} {
		got, err := parseServerURL(tc.in)
		if err != nil {
			t.Errorf("parseServerURL(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(server{})); diff != "" {
			t.Errorf("parseServerURL(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, bad := range []string{"", "h:389", "ldapi:///var/run/slapd", "cldap://h", "ldap://h?uid", "ldap://h#x", "ldap:h", "ldap://h:99999", "ldap://h:x"} {
		if _, err := parseServerURL(bad); err == nil {
			t.Errorf("parseServerURL(%q) accepted", bad)
		}
	}
}

func TestTemplate(t *testing.T) {
	for _, tc := range []struct {
		tmpl, user, want string
	}{
		{"uid=%s,ou=people,dc=example,dc=org", "alice", "uid=alice,ou=people,dc=example,dc=org"},
		{"uid=%s,ou=people,dc=example,dc=org", `a,b+c"d\e<f>g;h`, `uid=a\,b\+c\"d\\e\<f\>g\;h,ou=people,dc=example,dc=org`},
		{"uid=%s,ou=people,dc=example,dc=org", "#x ", `uid=\#x\ ,ou=people,dc=example,dc=org`},
		{"cn=%s+ou=x,dc=org", "a+ou=y", `cn=a\+ou=y+ou=x,dc=org`},
		{"cn=%s", "z", "cn=z"},
	} {
		p, err := parseTemplate(tc.tmpl)
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", tc.tmpl, err)
			continue
		}
		if got := p.dn(tc.user); got != tc.want {
			t.Errorf("%q with %q = %q, want %q", tc.tmpl, tc.user, got, tc.want)
		}
	}
	for _, bad := range []string{
		"", "uid=alice", "uid=%s,cn=%s", "uid=%s%%", "uid=%d", "uid=x%s,dc=x", "uid=%sx,dc=x", "%s=x,dc=x",
		"u%s=x", `uid=a\=%s,dc=x`, "uid=%s,,dc=x", "uid=%s,dc", "%s", "=%s",
	} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q) accepted", bad)
		}
	}
}

func TestBindResult(t *testing.T) {
	network := goldap.NewError(goldap.ErrorNetwork, errors.New("connection reset"))
	for _, tc := range []struct {
		err       error
		fromInput bool
		invalid   bool
		failover  bool
	}{
		{goldap.NewError(goldap.LDAPResultInvalidCredentials, errors.New("")), false, true, false},
		{goldap.NewError(goldap.LDAPResultConstraintViolation, errors.New("locked")), false, true, false},
		{goldap.NewError(goldap.LDAPResultInvalidDNSyntax, errors.New("")), true, true, false},
		{goldap.NewError(goldap.LDAPResultInvalidDNSyntax, errors.New("")), false, false, false},
		{goldap.NewError(goldap.LDAPResultNoSuchObject, errors.New("")), false, false, false},
		{goldap.NewError(goldap.LDAPResultInsufficientAccessRights, errors.New("")), false, false, false},
		{goldap.NewError(goldap.LDAPResultUnwillingToPerform, errors.New("")), false, false, false},
		{goldap.NewError(goldap.LDAPResultBusy, errors.New("")), false, false, true},
		{goldap.NewError(goldap.LDAPResultUnavailable, errors.New("")), false, false, true},
		{network, false, false, true},
		{fmt.Errorf("unable to read LDAP response packet: %w", io.EOF), false, false, true},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, false, false, true},
	} {
		got := bindResult(tc.err, tc.fromInput)
		if errors.Is(got, authsrc.ErrInvalidCredentials) != tc.invalid {
			t.Errorf("bindResult(%v, %v) = %v, want invalid credentials: %v", tc.err, tc.fromInput, got, tc.invalid)
		}
		if !tc.invalid && failover(got) != tc.failover {
			t.Errorf("failover(%v) = %v, want %v", got, !tc.failover, tc.failover)
		}
	}
	if bindResult(nil, false) != nil {
		t.Error("bindResult(nil) != nil")
	}
	if failover(final(network)) {
		t.Error("failover of a final error")
	}
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"admins", true}, {"réseau-ü", true}, {`g*()\=+<>#;"'`, true}, {"a.b_c-d", true},
		{"", false}, {"a b", false}, {"a,b", false}, {"x!y", false}, {"tab\tx", false},
		{"nl\n", false}, {"nbsp\u00a0x", false}, {"bell\x07", false}, {"bad\xff", false},
	} {
		if got := validToken(tc.name); got != tc.ok {
			t.Errorf("validToken(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
	s := &Source{cfg: Config{}.withDefaults()}
	s.cfg.Logger = testLogger(t)
	got := s.tokens(t.Context(), []string{"b", "a", "b", "a b", "c"}, "u")
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}

func TestGroupNameFromDN(t *testing.T) {
	for _, tc := range []struct{ dn, want string }{
		{"cn=admins,ou=groups,dc=example,dc=org", "admins"},
		{`cn=a\,b,ou=groups`, "a,b"},
		{`CN=Domain Admins,CN=Users,DC=corp`, "Domain Admins"},
		{`cn=r\C3\A9seau,dc=x`, "réseau"},
	} {
		got, err := groupNameFromDN(tc.dn)
		if err != nil || got != tc.want {
			t.Errorf("groupNameFromDN(%q) = %q, %v; want %q", tc.dn, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "admins", "cn=a,,dc=x"} {
		if got, err := groupNameFromDN(bad); err == nil {
			t.Errorf("groupNameFromDN(%q) = %q, want an error", bad, got)
		}
	}
}
