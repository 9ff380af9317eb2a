package ldap

import (
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// The test directory: who is in it, in which groups, and the LDIF that
// loads it. Everything here is test data; the names are as hostile as LDAP
// allows, so every escaping path of the package is exercised.

const (
	serviceDN = "cn=tkt-service,ou=services," + suffix
	servicePW = "Service-pw-8"
	twinUID   = "twin" // two entries carry it: a search must refuse to choose
)

type dirUser struct {
	uid, password string
	mail, data    string
	groups        []string // groupOfNames memberships (by cn)
	posix         []string // posixGroup memberships (by cn)
}

// untokenable are group names a ticket cannot carry; the store must drop
// them (and log it) rather than fail the login.
func untokenable() []string { return []string{"bad group", "x!y", "a,b"} }

func testUsers() []dirUser {
	return []dirUser{
		{uid: "alice", password: "Alice-pw-1", mail: "alice@example.org", data: "alice's data: ✓",
			groups: []string{"admins", "devs", "bad group", "x!y", "a,b"}, posix: []string{"staff"}},
		{uid: "bob", password: "Bob-pw-2", mail: "bob@example.org",
			groups: []string{"devs"}, posix: []string{"staff", "wheel"}},
		{uid: "admin", password: "Admin-pw-0", mail: "admin@example.org",
			groups: []string{"root-only"}, posix: []string{"wheel"}},
		{uid: `h*()\,=+<>#;"'x`, password: "Hostile-pw-3", mail: "h@example.org", data: `*)(uid=*`,
			groups: []string{"admins", `g*()\=+<>#;"'`}, posix: []string{"hostiles"}},
		{uid: "#lead", password: "Lead-pw-4", mail: "lead@example.org"},
		// memberUid is IA5 (ASCII): this user can be in no posixGroup.
		{uid: "Zoë-用户-🙂", password: "Unicode-pw-5-ü", mail: "zoe@example.org",
			groups: []string{"devs", "réseau-ü"}},
		// As long as slapd's back_mdb takes: its index key holds the RDN
		// twice and LMDB caps keys at 511 bytes.
		{uid: "l" + strings.Repeat("o", 230) + "ng", password: "Long-pw-6", mail: "long@example.org"},
	}
}

// tokensOf is what Identity.Groups must be for groups: the untokenable
// names gone, never nil (nil tells the conformance suite not to check).
func tokensOf(groups []string) []string {
	out := []string{}
	for _, g := range groups {
		if !slices.Contains(untokenable(), g) {
			out = append(out, g)
		}
	}
	return out
}

// dnValue escapes a DN attribute value by hex-escaping every byte that is
// not plainly safe (RFC 4514 allows a hex pair for any byte). It is
// deliberately not ldap.EscapeDN, so the tests don't check the package's
// escaping against itself.
func dnValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\%02x`, c)
		}
	}
	return b.String()
}

func userDN(uid, ou string) string { return "uid=" + dnValue(uid) + ",ou=" + ou + "," + suffix }
func groupDN(cn string) string     { return "cn=" + dnValue(cn) + ",ou=groups," + suffix }

// testLDIF is the whole test directory.
func testLDIF() string {
	var w slapdtest.LDIF
	w.Entry(suffix, "objectClass", "dcObject", "objectClass", "organization", "o", "Example", "dc", "example")
	for _, ou := range []string{"people", "staff", "groups", "services"} {
		w.Entry("ou="+ou+","+suffix, "objectClass", "organizationalUnit", "ou", ou)
	}
	w.Entry(serviceDN, "objectClass", "applicationProcess", "objectClass", "simpleSecurityObject",
		"cn", "tkt-service", "userPassword", slapdtest.SSHA(servicePW))

	person := func(dn, uid, password, mail, data string) {
		attrs := []string{"objectClass", "inetOrgPerson", "uid", uid, "cn", uid, "sn", "Test",
			"mail", mail, "userPassword", slapdtest.SSHA(password)}
		if data != "" {
			attrs = append(attrs, "description", data)
		}
		w.Entry(dn, attrs...)
	}
	users := testUsers()
	members := map[string][]string{}
	posix := map[string][]string{}
	var groupOrder, posixOrder []string
	for _, u := range users {
		person(userDN(u.uid, "people"), u.uid, u.password, u.mail, u.data)
		for _, g := range u.groups {
			if members[g] == nil {
				groupOrder = append(groupOrder, g)
			}
			members[g] = append(members[g], userDN(u.uid, "people"))
		}
		for _, g := range u.posix {
			if posix[g] == nil {
				posixOrder = append(posixOrder, g)
			}
			posix[g] = append(posix[g], u.uid)
		}
	}
	person(userDN(twinUID, "people"), twinUID, "Twin-pw-7", "twin1@example.org", "")
	person(userDN(twinUID, "staff"), twinUID, "Twin-pw-7", "twin2@example.org", "")

	// Groups come after their members, so the memberof overlay can fill in
	// the members' memberOf.
	for _, g := range groupOrder {
		attrs := []string{"objectClass", "groupOfNames", "cn", g}
		for _, m := range members[g] {
			attrs = append(attrs, "member", m)
		}
		w.Entry(groupDN(g), attrs...)
	}
	for i, g := range posixOrder {
		attrs := []string{"objectClass", "posixGroup", "cn", g, "gidNumber", fmt.Sprint(5000 + i)}
		for _, m := range posix[g] {
			attrs = append(attrs, "memberUid", m)
		}
		w.Entry(groupDN(g), attrs...)
	}
	return w.String()
}

// TestLDIFGolden keeps testdata/directory.ldif, a readable copy of the test
// directory minus the salted hashes, in step with testUsers. Run with
// UPDATE_GOLDEN=1 to rewrite it.
func TestLDIFGolden(t *testing.T) {
	got := readable(testLDIF())
	const golden = "testdata/directory.ldif"
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		testenv.WriteFile(t, golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("test directory differs from %s; run with UPDATE_GOLDEN=1 and review the diff", golden)
	}
}

// readable decodes the base64 values for people reading the golden file and
// replaces the salted (so ever-changing) password hashes.
func readable(ldif string) string {
	var b strings.Builder
	b.WriteString("# The LDAP test directory, decoded for reading (generated by TestLDIFGolden).\n")
	b.WriteString("# The tests load the base64 form of the same entries; DNs show their escapes.\n\n")
	for _, line := range strings.Split(ldif, "\n") {
		attr, v, ok := strings.Cut(line, ":: ")
		if !ok {
			b.WriteString(line + "\n")
			continue
		}
		raw, _ := base64.StdEncoding.DecodeString(v)
		val := string(raw)
		if attr == "userPassword" {
			val = "{SSHA}..."
		}
		fmt.Fprintf(&b, "%s: %s\n", attr, val)
	}
	return b.String()
}
