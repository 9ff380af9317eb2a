package web

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// logout is GET|POST /logout: delete the ticket cookie, then go to an
// allowed back URL or show the signed-out page. Logging out is idempotent
// and harmless, so it is also offered on GET for links from applications;
// a POST still passes the cross-origin check.
//
// With sessions (Config.Sessions), the ticket's session is ended too, so
// that a copy of the ticket is refused everywhere. A POST with
// everywhere=1 instead revokes every ticket of the user issued so far
// (Config.Revoke) and ends every session of theirs, on every browser and
// device: "sign out everywhere". Only a POST, and only for the holder of a
// valid ticket: a link cannot end someone's sessions. When the server
// side cannot be done the user is told, never shown the usual signed-out
// page. With URL ticket hosts, the browser is then sent through each of
// them to delete the ticket there too (logoutHop).
func (s *state) logout(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	_ = r.ParseForm() // a bad body only loses the back URL
	user := ""
	res, err := s.currentTicket(r, ci, now)
	if err == nil || res.UID != "" {
		user = res.UID
	}
	http.SetCookie(w, s.expiredTicketCookie(ci))
	if r.Method == http.MethodPost && r.PostForm.Get("everywhere") == "1" {
		if !s.signOutEverywhere(r, ci, res, err) {
			s.render(w, r, http.StatusServiceUnavailable, pageLoggedOut, s.page(reasonNoEverywhere))
			return
		}
	} else if !s.endSession(r, ci, res, err) {
		s.render(w, r, http.StatusServiceUnavailable, pageLoggedOut, s.page(reasonNoLogout))
		return
	}
	s.log.InfoContext(r.Context(), "logout", "user", user, "client_ip", ci.Addr.String())
	if next, ok := s.logoutHop(r, ci); ok {
		s.redirect(w, target{url: next}, "")
		return
	}
	if back, ok := s.allowedBack(r, ci, r.Form.Get(s.backArg)); ok {
		s.redirect(w, target{url: back.url}, "")
		return
	}
	s.render(w, r, http.StatusOK, pageLoggedOut, s.page(reasonLoggedOut))
}

// signOutEverywhere revokes the tickets of the user holding res (err is
// its verdict) issued so far, and ends their sessions. Without a valid
// ticket there is nobody's to revoke, which is no failure.
func (s *state) signOutEverywhere(r *http.Request, ci tkthttp.ClientOrigin, res ticket.Result, err error) bool {
	if err != nil && !errors.Is(err, ticket.ErrMissingToken) {
		return true
	}
	if s.cfg.Revoke == nil && s.cfg.Sessions == nil {
		s.log.WarnContext(r.Context(), "sign out everywhere: no shared state to record it in (redis is not configured)", "user", res.UID)
		return false
	}
	ok, ended := true, 0
	if s.cfg.Revoke != nil {
		if err := s.cfg.Revoke(r.Context(), res.UID, s.now()); err != nil {
			s.log.ErrorContext(r.Context(), "sign out everywhere failed: the tickets could not be revoked", "user", res.UID, "client_ip", ci.Addr.String(), "err", err)
			ok = false
		}
	}
	if s.cfg.Sessions != nil {
		sessions, err := s.cfg.Sessions.EndUser(r.Context(), res.UID)
		if err != nil {
			s.log.ErrorContext(r.Context(), "sign out everywhere failed: the sessions could not be ended", "user", res.UID, "client_ip", ci.Addr.String(), "err", err)
			ok = false
		}
		ended = len(sessions)
	}
	if ok {
		s.log.InfoContext(r.Context(), "signed out everywhere: every ticket issued so far is revoked, every session ended",
			"user", res.UID, "client_ip", ci.Addr.String(), "sessions", ended)
	}
	return ok
}

// home is GET /: who is signed in. A ticket due for refresh is refreshed
// here too, so the portal's own page keeps a session alive.
func (s *state) home(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	res, err := s.currentTicket(r, ci, now)
	if err != nil {
		rs := reasonFor(err, "")
		if rs == reasonUnauthorized {
			rs = reasonNotSignedIn // a missing token is no concern of this page
		}
		d := s.page(rs)
		s.render(w, r, http.StatusOK, pageHome, d)
		return
	}
	t, _, _, err := s.refresh(r.Context(), w, ci, now, res, false)
	if err != nil {
		s.log.WarnContext(r.Context(), "ticket refresh failed", "user", res.UID, "client_ip", ci.Addr.String(), "err", err)
	}
	d := s.page(reasonNone)
	d.Message, d.Kind = "", "info"
	d.CurrentUser, d.Tokens = t.UID, t.Tokens.Groups().List()
	d.Everywhere = s.cfg.Revoke != nil || s.cfg.Sessions != nil
	s.render(w, r, http.StatusOK, pageHome, d)
}

// static serves GET /static/{name} from memory. Unlike pages it may be
// cached: it holds nothing about the user.
func (s *state) static(w http.ResponseWriter, r *http.Request) {
	f := s.assets.static[r.PathValue("name")]
	if f == nil {
		s.fail(w, r, http.StatusNotFound, reasonNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, r.PathValue("name"), f.modTime, bytes.NewReader(f.data))
}
