package slapdtest

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // {SSHA} is what slapd verifies; test data only
	"encoding/base64"
	"fmt"
	"strings"
)

// SSHA hashes a password the way slappasswd's default does, for
// userPassword values in test data.
func SSHA(password string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	sum := sha1.Sum(append([]byte(password), salt...)) //nolint:gosec // see import
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// LDIF builds LDIF text with every value base64-encoded, which LDIF allows
// for any value and which spares the caller LDIF's own quoting rules.
type LDIF struct{ b strings.Builder }

// Entry adds an entry: attrs are attribute, value pairs (an attribute
// repeats for several values).
func (w *LDIF) Entry(dn string, attrs ...string) {
	w.value("dn", dn)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.value(attrs[i], attrs[i+1])
	}
	w.b.WriteString("\n")
}

func (w *LDIF) value(attr, v string) {
	fmt.Fprintf(&w.b, "%s:: %s\n", attr, base64.StdEncoding.EncodeToString([]byte(v)))
}

// ServicePassword is the password of the service account cn=svc that
// Skeleton adds, for a store that searches before it binds.
const ServicePassword = "Svc-pw-1"

// Skeleton adds what the tests' directories start with: the entry of
// suffix (a dcObject organization; its first RDN must be a dc), the
// organizational units people and groups below it, and the service
// account cn=svc with ServicePassword.
func (w *LDIF) Skeleton(suffix string) {
	first, _, _ := strings.Cut(suffix, ",")
	dc := strings.TrimPrefix(first, "dc=")
	w.Entry(suffix, "objectClass", "dcObject", "objectClass", "organization", "o", dc, "dc", dc)
	for _, ou := range []string{"people", "groups"} {
		w.Entry("ou="+ou+","+suffix, "objectClass", "organizationalUnit", "ou", ou)
	}
	w.Entry("cn=svc,"+suffix, "objectClass", "applicationProcess", "objectClass", "simpleSecurityObject",
		"cn", "svc", "userPassword", SSHA(ServicePassword))
}

// String returns the LDIF text.
func (w *LDIF) String() string { return w.b.String() }
