package web

import (
	"bytes"
	"net/http"
)

// logout is GET|POST /logout: delete the ticket cookie, then go to an
// allowed back URL or show the signed-out page. Logging out is idempotent
// and harmless, so it is also offered on GET for links from applications;
// a POST still passes the cross-origin check.
func (s *state) logout(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	_ = r.ParseForm() // a bad body only loses the back URL
	user := ""
	if res, err := s.currentTicket(r, ci, now); err == nil || res.UID != "" {
		user = res.UID
	}
	http.SetCookie(w, s.expiredTicketCookie(ci))
	s.log.InfoContext(r.Context(), "logout", "user", user, "client_ip", ci.Addr.String())
	if back, ok := s.redirects.check(r.Form.Get(s.backArg)); ok {
		s.redirect(w, target{url: back.url}, "")
		return
	}
	s.render(w, r, http.StatusOK, pageLoggedOut, s.page(reasonLoggedOut))
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
	d.CurrentUser, d.Tokens = t.UID, t.Tokens.List()
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
