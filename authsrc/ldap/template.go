package ldap

import (
	"fmt"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// dnTemplate is a parsed Config.UserDNTemplate: the DN text either side of
// the user name.
type dnTemplate struct{ prefix, suffix string }

// sentinel stands in for the user name while a template is checked; it has
// no character a DN would escape.
const sentinel = "tktUserPlaceholder"

// parseTemplate accepts a DN with one %s standing for a whole attribute
// value (uid=%s,ou=people,dc=example,dc=org). Anything looser, such as
// uid=x%s or a %s inside an attribute type, would let the escaped name mix
// with template text, and the resulting DN could name another entry.
func parseTemplate(t string) (dnTemplate, error) {
	bad := func(why string) (dnTemplate, error) {
		return dnTemplate{}, fmt.Errorf("UserDNTemplate %q: %s", t, why)
	}
	if strings.Count(t, "%s") != 1 || strings.Count(t, "%") != 1 {
		return bad("want exactly one %s and no other %")
	}
	prefix, suffix, _ := strings.Cut(t, "%s")
	if !strings.HasSuffix(prefix, "=") || strings.HasSuffix(prefix, `\=`) {
		return bad("%s must directly follow an attribute name and =")
	}
	if suffix != "" && suffix[0] != ',' && suffix[0] != '+' {
		return bad("%s must be a whole value, followed by , or + or nothing")
	}
	dn, err := goldap.ParseDN(prefix + sentinel + suffix)
	if err != nil {
		return bad(err.Error())
	}
	found := 0
	for _, rdn := range dn.RDNs {
		for _, atv := range rdn.Attributes {
			if atv.Value == sentinel {
				found++
			}
			if strings.Contains(atv.Type, sentinel) {
				return bad("%s is inside an attribute name")
			}
		}
	}
	if found != 1 {
		return bad("%s is not a whole attribute value")
	}
	return dnTemplate{prefix: prefix, suffix: suffix}, nil
}

// dn is the template filled in with user, escaped so that every character
// of it stays inside the one attribute value.
func (t dnTemplate) dn(user string) string {
	return t.prefix + goldap.EscapeDN(user) + t.suffix
}
