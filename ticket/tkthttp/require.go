package tkthttp

import (
	"slices"

	"github.com/tkt-sso/tkt/ticket"
)

// Requirement is who a location admits, beyond a valid ticket: Apache's
// "require" lines. mod_auth_tkt itself knows only TKTAuthToken (any one
// of them); sites add "require user" and "Satisfy All" from Apache's
// authorization modules, which a Go front end has to do itself.
type Requirement struct {
	// Tokens: the ticket must hold one of them, if any (TKTAuthToken).
	Tokens []string
	// AllTokens: the ticket must hold every one of them (several
	// "require" lines under Satisfy All).
	AllTokens []string
	// Users: the ticket's user must be one of them, if any ("require
	// user alice bob"), compared exactly.
	Users []string
}

// Admits reports whether t meets every part of q.
func (q Requirement) Admits(t ticket.Ticket) bool {
	if len(q.Tokens) > 0 && !t.Tokens.HasAny(q.Tokens) {
		return false
	}
	for _, tok := range q.AllTokens {
		if !t.Tokens.Has(tok) {
			return false
		}
	}
	return len(q.Users) == 0 || slices.Contains(q.Users, t.UID)
}

// Empty reports whether q admits every valid ticket.
func (q Requirement) Empty() bool {
	return len(q.Tokens) == 0 && len(q.AllTokens) == 0 && len(q.Users) == 0
}
