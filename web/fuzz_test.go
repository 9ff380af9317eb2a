package web

import (
	"strings"
	"testing"
)

// FuzzHostList: an allow-list entry either fails to parse or admits exactly
// what it names.
func FuzzHostList(f *testing.F) {
	for _, s := range []string{"app.example.com", ".example.com", "h:8080", "[::1]:80", "user@h", "h:", "xn--bcher-kva.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		l, err := parseHostList([]string{entry})
		if err != nil {
			return
		}
		e := strings.ToLower(strings.TrimSpace(entry))
		if d, ok := strings.CutPrefix(e, "."); ok {
			if !l.allows(d, "") || !l.allows("x."+d, "1") || l.allows("x"+d, "") {
				t.Fatalf("suffix %q misbehaves", e)
			}
			return
		}
		host, port, _ := splitAuthority(e)
		if !l.allows(host, port) || strings.ContainsAny(host, "@/\\%?#") {
			t.Fatalf("entry %q: host %q port %q", e, host, port)
		}
	})
}

// FuzzGuestPattern: a pattern either fails or expands to a name a ticket
// can carry.
func FuzzGuestPattern(f *testing.F) {
	for _, s := range []string{"guest", "%U", "g%8U", "%36U-x", "%", "%0U", "%99U"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		g, err := newGuestUser(GuestOptions{User: pattern})
		if err != nil {
			return
		}
		if n := g.name(); n == "" || strings.ContainsAny(n, "!\x00") {
			t.Fatalf("pattern %q gives %q", pattern, n)
		}
	})
}
