package web

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// loginForm is GET /login: continue at once with a valid ticket, else show
// the form saying why it is shown.
func (s *state) loginForm(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	q := r.URL.Query()
	back, backOK := s.back(r, ci, q.Get(s.backArg))
	marker := markerReason(q)
	res, err := s.currentTicket(r, ci, now)
	if err == nil && marker != reasonUnauthorized && marker != reasonStepUp {
		n := autoLogins(r)
		if n < loopMax && s.autoLogin(w, r, ci, now, res, back, backOK, n) {
			return
		}
		if n >= loopMax {
			// The application keeps sending a signed-in user back: most
			// likely the ticket lacks a token it requires.
			s.log.WarnContext(r.Context(), "auto-login loop stopped", "user", res.UID, "client_ip", ci.Addr.String())
		}
		// Or the renewed ticket lost the portal's token: "not authorized".
		err = ticket.ErrMissingToken
	}
	d := s.page(reasonFor(err, marker))
	if backOK {
		d.Back = back.url
	} else if raw := q.Get(s.backArg); raw != "" {
		d.BackRefused = hostOf(raw)
	}
	switch {
	case err == nil && marker == reasonStepUp:
		// Confirming who one is: the user name is filled in, and the
		// password asked for.
		d.User = res.UID
	case err == nil || errors.Is(err, ticket.ErrMissingToken):
		d.CurrentUser = res.UID
	}
	if s.passkeySignInOffer(r, ci, &d) {
		allowScripts(w)
	}
	http.SetCookie(w, portalCookie(probeCookie, "1", ci, 0))
	s.render(w, r, http.StatusOK, pageLogin, d)
}

// allowedBack reads a back URL the redirect checks accept, logging one
// they refuse with the setting that would allow it. Only its host is
// logged: the rest of a URL may hold someone's ticket.
//
// The host the request came to is the Host header, which the browser
// writes, never a forwarded one: a proxy in trusted_proxies may pass a
// client's X-Forwarded-Host on unchanged.
func (s *state) allowedBack(r *http.Request, ci tkthttp.ClientOrigin, raw string) (target, bool) {
	t, ok := s.redirects.check(raw, r.Host)
	if !ok && raw != "" {
		s.log.WarnContext(r.Context(), refusedBack, "back_host", hostOf(raw), "client_ip", ci.Addr.String())
	}
	return t, ok
}

// back reads the back URL of a login: one the redirect checks accept, and
// that would not carry a URL ticket over plain http from a portal the
// client reached over TLS, where anyone on the way could take it.
func (s *state) back(r *http.Request, ci tkthttp.ClientOrigin, raw string) (target, bool) {
	t, ok := s.allowedBack(r, ci, raw)
	if ok && t.cleartext && ci.HTTPS {
		s.log.WarnContext(r.Context(), "back URL refused: it would carry the ticket in clear text (http://) from a portal on TLS; "+
			"use https, or list the host in url_ticket_http_hosts to allow it", "back_host", hostOf(raw), "client_ip", ci.Addr.String())
		return target{}, false
	}
	return t, ok
}

// autoLogin sends the holder of a valid ticket on to back, refreshing the
// ticket when it is due (or signed with an old secret), and always when
// back wants the ticket in its URL, so that the handed-over ticket is fresh
// (see refresh). It reports false, having answered nothing, when the
// renewed ticket lacks a token the portal requires: the form then says
// "not authorized", as for a ticket that never had one.
func (s *state) autoLogin(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, res ticket.Result, back target, backOK bool, n int) bool {
	if !backOK {
		back = target{url: s.defaultURL}
	}
	http.SetCookie(w, portalCookie(loopCookie, strconv.Itoa(n+1), ci, loopWindow))
	t, value, fresh, err := s.refresh(r.Context(), w, ci, now, res, back.urlTicket)
	if err != nil {
		s.log.ErrorContext(r.Context(), "ticket refresh failed", "user", res.UID, "client_ip", ci.Addr.String(), "err", err)
		s.fail(w, r, http.StatusInternalServerError, reasonMint)
		return true
	}
	if req := s.cfg.Ticket.Tokens; len(req) > 0 && !t.Tokens.HasAny(req) {
		return false
	}
	s.log.InfoContext(r.Context(), "auto-login", "user", res.UID, "client_ip", ci.Addr.String(), "refreshed", fresh)
	s.redirect(w, back, value)
	return true
}

// loginSubmit is POST /login: check the password (or issue a guest
// ticket), set the cookie, go back.
func (s *state) loginSubmit(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		s.logAttempt(r, slog.LevelWarn, resultBadRequest, "unreadable form: "+err.Error(), "", ci)
		s.fail(w, r, http.StatusBadRequest, reasonBadRequest)
		return
	}
	backRaw := r.PostForm.Get(s.backArg)
	if backRaw == "" {
		backRaw = r.URL.Query().Get(s.backArg)
	}
	back, backOK := s.back(r, ci, backRaw)
	user := strings.TrimSpace(r.PostForm.Get("user"))
	password := r.PostForm.Get("password")

	form := func(status int, rs reason, edit ...func(*pageData)) {
		kept := ""
		if backOK {
			kept = back.url
		}
		s.loginPage(w, r, ci, status, rs, kept, append([]func(*pageData){func(d *pageData) { d.User = user }}, edit...)...)
	}
	if !backOK {
		back = target{url: s.defaultURL}
	}
	if !s.cookiesWork(r) {
		s.logAttempt(r, slog.LevelWarn, resultBadRequest, "browser sent no cookies", user, ci)
		form(http.StatusBadRequest, reasonNoCookies)
		return
	}
	if !ci.Addr.IsValid() && !s.cfg.Ticket.IgnoreIP {
		// A trusted proxy named the client in a way nobody can read: a
		// ticket for it would be bound to nobody, valid from anywhere.
		// Refused before any password is checked.
		s.logAttempt(r, slog.LevelError, resultBadRequest,
			"the client address is unknown: a trusted proxy (trusted_proxies) sent an unreadable "+
				cmp.Or(s.clients.ClientIPHeader, tkthttp.HeaderXForwardedFor)+" header", user, ci)
		form(http.StatusBadRequest, reasonNoClient)
		return
	}
	if r.PostForm.Has("guest") {
		s.guestLogin(w, r, ci, now, back)
		return
	}
	if user == "" || password == "" {
		s.logAttempt(r, slog.LevelInfo, resultBadRequest, "empty user name or password", user, ci)
		form(http.StatusBadRequest, reasonMissing)
		return
	}

	id, att, err := s.passwords.check(r.Context(), user, password, ci.Addr, now)
	var throttled *ThrottledError
	switch {
	case errors.As(err, &throttled):
		secs := throttled.RetryAfter
		s.logAttempt(r, slog.LevelWarn, resultThrottled, err.Error(), user, ci)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		form(http.StatusTooManyRequests, reasonThrottled, func(d *pageData) {
			d.Message, d.RetryAfter = throttledMessage(secs), secs
		})
		return
	case errors.Is(err, authsrc.ErrUnavailable):
		// Our fault, not the user's: the attempt did not count.
		s.logAttempt(r, slog.LevelError, resultUnavailable, err.Error(), user, ci)
		form(http.StatusServiceUnavailable, reasonUnavailable)
		return
	case err != nil:
		s.logAttempt(r, slog.LevelWarn, resultInvalid, "wrong user name or password", user, ci)
		form(http.StatusUnauthorized, reasonWrong)
		return
	}

	if s.mfa != nil {
		// The portal grants the mfa token; a store group never does.
		id = authsrc.WithoutGroupsOf(id, s.mfa.token)
	}
	t := ticketFor(r.Context(), s.log, id, user, now)
	if s.secondStep(w, r, ci, now, t, back, att) {
		return
	}
	issued, err := s.signIn(w, r, ci, now, t, back)
	if err != nil {
		// Our fault, not the user's: a ticket that logout could not end
		// is not handed out.
		s.logAttempt(r, slog.LevelError, resultUnavailable, "the session could not be recorded: "+err.Error(), t.UID, ci)
		form(http.StatusServiceUnavailable, reasonNoSession)
		return
	}
	if issued {
		s.logAttempt(r, slog.LevelInfo, resultOK, "password", t.UID, ci)
	}
}

// proven is the ticket t of a user who has just proved who they are
// interactively (a password without a second factor, a password and a
// second factor, a passkey: every such proof passes here, and only such
// a proof) with now as its auth time (ticket.Ticket.Authenticated), which
// refreshes keep and rules with max_auth_age and ticket.max_lifetime
// measure from, and its server-side session recorded (withSession). An
// error means no session could be recorded.
func (s *state) proven(r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket) (ticket.Ticket, error) {
	return withSession(r.Context(), s.cfg.Sessions, r, ci, t.Authenticated(now))
}

// signIn issues the ticket of a password login that needs no second
// factor (proven), sets the cookie and sends the browser back. An error
// means no session could be recorded: nothing was answered, the caller
// says so. Otherwise issued reports whether the ticket went out; when
// minting failed, signIn answered 500 itself.
func (s *state) signIn(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket, back target) (issued bool, err error) {
	if t, err = s.proven(r, ci, now, t); err != nil {
		return false, err
	}
	if autoLogins(r) > 0 {
		// A fresh login starts the loop guard over.
		http.SetCookie(w, portalCookie(loopCookie, "", ci, -1))
	}
	return s.issue(w, r, ci, now, t, back), nil
}

// guestLogin issues a guest's ticket (ticket.GuestToken) for a fresh guest
// user name: good only where guests are let in.
func (s *state) guestLogin(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, back target) {
	if !s.guest.enabled {
		s.logAttempt(r, slog.LevelWarn, resultBadRequest, "guest login is not enabled", "", ci)
		s.fail(w, r, http.StatusForbidden, reasonNoGuest)
		return
	}
	t := ticket.Ticket{UID: s.guest.name(), Tokens: ticket.GuestToken, Time: now}
	if s.issue(w, r, ci, now, t, back) {
		s.logAttempt(r, slog.LevelInfo, resultOK, "guest", t.UID, ci)
	}
}

// issue mints t, sets the cookie and redirects to back. On a mint failure
// it answers 500 itself and reports false.
func (s *state) issue(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket, back target) bool {
	value, ok := s.setTicket(w, r, ci, now, t)
	if ok {
		s.redirect(w, back, value)
	}
	return ok
}

// setTicket mints t and sets the cookie, returning the cookie's value. On
// a mint failure it answers 500 itself and reports false.
func (s *state) setTicket(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket) (string, bool) {
	raw, err := s.verifier.Mint(t, ci.Addr)
	if err != nil {
		// E.g. a '!' in a user name, or an IPv6 client with a digest that
		// binds only IPv4. The error never holds the secret.
		s.logAttempt(r, slog.LevelError, resultUnavailable, "cannot issue ticket: "+err.Error(), t.UID, ci)
		s.fail(w, r, http.StatusInternalServerError, reasonMint)
		return "", false
	}
	value := ticket.Encode(raw)
	http.SetCookie(w, s.ticketCookie(value, ci, now))
	s.metrics.TicketIssued()
	return value, true
}

// redirect answers 303 to a checked target, with the ticket in the URL for
// hosts that want it. The Location is written as checked: http.Redirect
// would clean the path, changing what was approved.
func (s *state) redirect(w http.ResponseWriter, t target, value string) {
	loc := t.url
	if t.urlTicket && value != "" {
		loc = withTicket(loc, s.urlTicketArg, value)
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusSeeOther)
}

// logAttempt writes the one log line of a login attempt and counts it.
// Never a password or a ticket: the reason comes from our own messages or a
// store's error, which by authsrc's contract holds neither.
func (s *state) logAttempt(r *http.Request, level slog.Level, result, why, user string, ci tkthttp.ClientOrigin) {
	logLogin(s.log, s.metrics, r, level, result, why, user, ci)
}

// logLogin is logAttempt for whoever checks a password: the form, and
// HTTP Basic at /auth and the gate.
func logLogin(log *slog.Logger, m Metrics, r *http.Request, level slog.Level, result, why, user string, ci tkthttp.ClientOrigin) {
	m.Login(result)
	if !log.Enabled(r.Context(), level) {
		return // HTTP Basic logs its successes at debug level, on every request
	}
	log.LogAttrs(r.Context(), level, "login",
		slog.String("result", result), slog.String("reason", why),
		slog.String("user", user), slog.String("client_ip", ci.Addr.String()))
}

// markerReason reads why an application sent the browser here, from the
// query: "unauth" (mod_auth_tkt's TKTAuthUnauthURL can point at
// /login?unauth=1), "timeout" and "logout", or reason=<name>; reason=reauth
// (tkthttp.StepUpParam) is a rule with max_auth_age asking for a recent
// login.
func markerReason(q map[string][]string) reason {
	has := func(k string) bool { v := q[k]; return len(v) > 0 && v[0] != "" }
	rv := ""
	if v := q["reason"]; len(v) > 0 {
		rv = v[0]
	}
	switch {
	case has("unauth") || rv == "unauth" || rv == string(reasonUnauthorized):
		return reasonUnauthorized
	case has("timeout") || rv == "timeout" || rv == string(reasonExpired):
		return reasonExpired
	case has("logout") || rv == "logout" || rv == string(reasonLoggedOut):
		return reasonLoggedOut
	case "reason="+rv == tkthttp.StepUpParam || rv == string(reasonStepUp):
		return reasonStepUp
	}
	return ""
}

// reasonFor turns the verdict on the current cookie (and a marker) into the
// reason the form gives. The cookie wins: it is what we can see.
func reasonFor(err error, marker reason) reason {
	switch {
	case err == nil && marker == reasonStepUp:
		return reasonStepUp
	case err == nil, errors.Is(err, ticket.ErrMissingToken):
		return reasonUnauthorized
	case errors.Is(err, ticket.ErrExpired):
		return reasonExpired
	case errors.Is(err, tkthttp.ErrSessionEnded):
		return reasonEnded
	case errors.Is(err, tkthttp.ErrRevoked):
		return reasonRevoked
	case errors.Is(err, ticket.ErrNoTicket):
		if marker != "" {
			return marker
		}
		return reasonNone
	}
	return reasonInvalid
}

// hostOf is the host part of a URL for logs, or "?" when there is none.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "?"
}
