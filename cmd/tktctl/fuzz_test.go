package main

import (
	"strings"
	"testing"
)

// FuzzPastedValue: whatever is pasted, pastedValue returns part of it, and
// a cookie pair gives back its value.
func FuzzPastedValue(f *testing.F) {
	f.Add("auth_tkt=abc==;")
	f.Add("Cookie: a=b; auth_tkt=abc; c=d")
	f.Add("0123abcdef!alice!!uid=42")
	f.Fuzz(func(t *testing.T, v string) {
		got := pastedValue(v, "auth_tkt")
		if !strings.Contains(v, got) {
			t.Fatalf("pastedValue(%q) = %q: not part of it", v, got)
		}
		if val := strings.TrimSpace(v); val != "" && !strings.ContainsAny(val, "; ") && !strings.HasPrefix(val, "auth_tkt=") {
			if got := pastedValue("auth_tkt="+val+";", "auth_tkt"); got != val {
				t.Fatalf("the pair of %q gave %q", val, got)
			}
		}
	})
}
