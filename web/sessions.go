package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Sessions is the server-side session store of the portal and of HTTP
// Basic: a record per login whose id the ticket carries, ended at logout,
// and checked wherever tickets are (tkthttp.Sessions). shared.Sessions
// implements it over Redis.
type Sessions interface {
	tkthttp.Sessions
	Create(ctx context.Context, s shared.Session) (shared.Session, error)
	End(ctx context.Context, ids ...string) ([]shared.Session, error)
	EndUser(ctx context.Context, user string) ([]shared.Session, error)
}

// withSession records a session for the login of t (from the client at
// ci, with r's User-Agent) and returns t carrying its id; t as it is
// without Sessions. An error means the login must fail: a ticket that
// logout could not end is not handed out.
func withSession(ctx context.Context, s Sessions, r *http.Request, ci tkthttp.ClientOrigin, t ticket.Ticket) (ticket.Ticket, error) {
	if s == nil {
		return t, nil
	}
	rec, err := s.Create(ctx, shared.Session{
		User: t.UID, Tokens: t.Tokens, Data: t.Data, Client: ci.Addr.String(), UserAgent: r.UserAgent(),
	})
	if err != nil {
		return t, err
	}
	t.Tokens = t.Tokens.WithSession(rec.ID)
	return t, nil
}

// endSession ends the session of the ticket res the request carried (err
// is its verdict), if it is valid and carries one: the ticket, should a
// copy of it live on elsewhere, is refused everywhere. It reports false
// when the session could not be ended.
func (s *state) endSession(r *http.Request, ci tkthttp.ClientOrigin, res ticket.Result, err error) bool {
	if s.cfg.Sessions == nil || err != nil && !errors.Is(err, ticket.ErrMissingToken) {
		return true
	}
	sid, _ := res.Tokens.Session()
	if sid == "" {
		return true // a ticket from tktctl mint or Apache's login page: nothing to end
	}
	if _, err := s.cfg.Sessions.End(r.Context(), sid); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "logout: the session could not be ended: a copy of the ticket stays valid until it times out",
			slog.String("user", res.UID), slog.String("session", sid), slog.String("client_ip", ci.Addr.String()), slog.String("err", err.Error()))
		return false
	}
	return true
}

// sessions is Config.Sessions as the tkthttp helpers take it: a nil
// interface without one.
func (s *state) sessions() tkthttp.Sessions {
	if s.cfg.Sessions == nil {
		return nil
	}
	return s.cfg.Sessions
}
