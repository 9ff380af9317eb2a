package web

import (
	"cmp"

	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

const defaultGuestUser = "guest"

// guestUser is the portal's "continue as guest": mod_auth_tkt's
// TKTAuthGuestUser pattern, read by the same parser as the middleware's
// guests (tkthttp.ParseGuestUser).
type guestUser struct {
	enabled bool
	pattern tkthttp.GuestUser
}

func newGuestUser(o GuestConfig) (guestUser, error) {
	p, err := tkthttp.ParseGuestUser(cmp.Or(o.User, defaultGuestUser))
	return guestUser{enabled: o.Enabled, pattern: p}, err
}

// name returns a fresh guest user name.
func (g guestUser) name() string { return g.pattern.Generate() }
