package main

import (
	"strings"

	"github.com/tkt-sso/tkt/ticket"
)

// pastedValue takes the ticket out of what a person pasted: the bare
// cookie value, or the pair name=VALUE that browsers' developer tools
// copy, perhaps with a trailing ";", or a whole Cookie header ("Cookie:
// a=b; auth_tkt=VALUE; c=d"). A ticket's value never starts with its
// cookie's name and "=", nor holds "; name=", so anything else is returned
// as it is, for the verifier to judge.
func pastedValue(v, name string) string {
	v = strings.TrimSpace(v)
	if len(v) > len("cookie:") && strings.EqualFold(v[:len("cookie:")], "cookie:") {
		v = strings.TrimSpace(v[len("cookie:"):])
	}
	if !strings.HasPrefix(v, name+"=") && !strings.Contains(v, ";"+name+"=") && !strings.Contains(v, "; "+name+"=") {
		return v
	}
	for val := range ticket.CookieValues(v, name) {
		return strings.TrimSpace(val)
	}
	return v
}
