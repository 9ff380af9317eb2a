package web

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/ticket"
)

// ticketFor is the ticket for what a store says of a user (user is the
// name asked about, for a store that reports none), issued at now. Groups
// that cannot be tokens are left out, and logged: a store may hold any
// name, a ticket cannot carry every one. So are groups named like a
// reserved token (ticket.CheckRequiredToken: a session, a login time, the
// guest token): whoever names a group could otherwise give its members a
// session or a login time of their choosing, or make them guests.
func ticketFor(ctx context.Context, log *slog.Logger, id authsrc.Identity, user string, now time.Time) ticket.Ticket {
	t := ticket.Ticket{UID: cmp.Or(id.User, user), Data: id.Data, Time: now}
	var skipped []string
	if t.Tokens, skipped = tokensOf(id.Groups); len(skipped) > 0 {
		log.WarnContext(ctx, "groups that cannot be ticket tokens left out", "user", t.UID, "groups", skipped)
	}
	return t
}

// tokensOf keeps the groups that can stand in a ticket's token list.
func tokensOf(groups []string) (ticket.Tokens, []string) {
	fits := func(g string) bool { return ticket.CheckRequiredToken(g) == nil }
	if !slices.ContainsFunc(groups, func(g string) bool { return !fits(g) }) {
		return ticket.JoinTokens(groups...), nil // the usual case, without a copy
	}
	var ok, skipped []string
	for _, g := range groups {
		if fits(g) {
			ok = append(ok, g)
		} else {
			skipped = append(skipped, g)
		}
	}
	return ticket.JoinTokens(ok...), skipped
}
