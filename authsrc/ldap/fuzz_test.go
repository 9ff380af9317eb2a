package ldap

import (
	"context"
	"net"
	neturl "net/url"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/tkt-sso/tkt/authsrc"
)

// FuzzUserDN checks the direct-bind DN: for any template parseTemplate
// accepts and any name CheckInput lets through, the DN must parse, have the
// template's shape, and hold exactly the typed name where %s was. A name
// that broke out of its value could bind as another entry.
func FuzzUserDN(f *testing.F) {
	for _, seed := range [][2]string{
		{"uid=%s,ou=people,dc=example,dc=org", "alice"},
		{"uid=%s,ou=people,dc=example,dc=org", `h*()\,=+<>#;"'x`},
		{"cn=%s+ou=x,dc=org", "a+ou=y"},
		{"cn=%s", " #lead and trail "},
		{"uid=%s,dc=x", "Zoë-用户-🙂"},
		{"uid=%s,dc=x", `\5c\2c`},
		{"uid=%s,dc=x", "admin,ou=people,dc=example,dc=org"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, tmpl, user string) {
		p, err := parseTemplate(tmpl)
		if err != nil {
			return
		}
		if authsrc.CheckInput(context.Background(), user, "pw") != nil {
			return
		}
		shape, err := goldap.ParseDN(p.prefix + sentinel + p.suffix)
		if err != nil {
			t.Fatalf("template %q parsed once, not twice: %v", tmpl, err)
		}
		dn := p.dn(user)
		got, err := goldap.ParseDN(dn)
		if err != nil {
			t.Fatalf("DN %q for user %q does not parse: %v", dn, user, err)
		}
		if len(got.RDNs) != len(shape.RDNs) {
			t.Fatalf("DN %q has %d RDNs, template %q has %d", dn, len(got.RDNs), tmpl, len(shape.RDNs))
		}
		for i, rdn := range shape.RDNs {
			if len(got.RDNs[i].Attributes) != len(rdn.Attributes) {
				t.Fatalf("DN %q: RDN %d has %d values, want %d", dn, i, len(got.RDNs[i].Attributes), len(rdn.Attributes))
			}
			for j, atv := range rdn.Attributes {
				want := atv.Value
				if want == sentinel {
					want = user
				}
				if g := got.RDNs[i].Attributes[j]; g.Type != atv.Type || g.Value != want {
					t.Fatalf("DN %q: RDN %d value %d = %s=%q, want %s=%q", dn, i, j, g.Type, g.Value, atv.Type, want)
				}
			}
		}
	})
}

// FuzzConfig feeds arbitrary text to every parsed setting: Validate must
// not panic, must agree with New, and an accepted URL must be dialable as
// given.
func FuzzConfig(f *testing.F) {
	f.Add("ldap://h:389", "dc=x", "", "(objectClass=*)", "uid", "ou=g,dc=x")
	f.Add("ldaps://[::1]", "", "uid=%s,dc=x", "(&(a=b)(c=d))", "memberOf", "")
	f.Add("ldap://u:p@h/x?y#z", "not a dn", "%s", "(", "1.2.3", "dc=x")
	f.Fuzz(func(t *testing.T, url, base, tmpl, filter, attr, groupBase string) {
		cfg := Config{
			URLs: []string{url}, BaseDN: base, UserDNTemplate: tmpl, UserFilter: filter,
			UserAttr: attr, MemberOfAttr: attr, GroupBaseDN: groupBase, GroupFilter: filter,
		}
		verr := cfg.Validate()
		s, nerr := New(cfg)
		if (verr == nil) != (nerr == nil) {
			t.Fatalf("Validate = %v but New = %v", verr, nerr)
		}
		if verr != nil {
			if u, err := neturl.Parse(url); err == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && strings.Contains(verr.Error(), ":"+pw+"@") {
					t.Errorf("error echoes the password in URL %q: %v", url, verr)
				}
			}
			return
		}
		if _, _, err := net.SplitHostPort(s.servers[0].addr); err != nil {
			t.Errorf("accepted URL %q gives address %q: %v", url, s.servers[0].addr, err)
		}
	})
}
