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

// String returns the LDIF text.
func (w *LDIF) String() string { return w.b.String() }
