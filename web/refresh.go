package web

import (
	"context"
	"net/http"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// refresh is the portal's own re-issue, with the middleware's rules: the
// ticket of res is re-issued when it is due (or signed with an old
// secret), or when force asks for a fresh one anyway (a URL ticket hand-
// over), renewed first from the stores (Config.Renew) and its session
// extended (Config.Sessions: tkthttp.PrepareReissue). It sets the fresh
// cookie and returns the ticket the request goes on with, and the cookie
// value to hand over: the fresh one, or "" when nothing was due.
//
// When the renewal refuses (the user is gone, or the store cannot say;
// Renew logged why; or the session is gone), nothing is re-issued: the request goes on with the
// ticket as it is, valid until its own timeout and never longer, and a
// forced hand-over carries that same ticket with its own time. err is a
// ticket that cannot be minted (an IPv6 client where tickets bind IPv4).
func (s *state) refresh(ctx context.Context, w http.ResponseWriter, ci tkthttp.ClientOrigin, now time.Time, res ticket.Result, force bool) (t ticket.Ticket, value string, fresh bool, err error) {
	if !res.ShouldReissue() && !force {
		return res.Ticket, "", false, nil
	}
	t, rerr := tkthttp.PrepareReissue(ctx, s.cfg.Renew, s.sessions(), res.Ticket)
	if rerr != nil {
		if !force {
			return res.Ticket, "", false, nil
		}
		raw, err := s.verifier.Mint(res.Ticket, ci.Addr)
		if err != nil {
			return res.Ticket, "", false, err
		}
		return res.Ticket, ticket.Encode(raw), false, nil
	}
	if value, err = s.verifier.Reissue(t, ci.Addr, now); err != nil {
		return res.Ticket, "", false, err
	}
	http.SetCookie(w, s.ticketCookie(value, ci, now))
	s.metrics.TicketIssued()
	return t, value, true, nil
}
