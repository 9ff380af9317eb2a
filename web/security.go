package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// securityPath is the self-service page of a signed-in user's factors.
const securityPath = "/account/security"

// signedIn is the ticket of the user asking for the security page; with
// false it has answered: a redirect to the login form, which comes back.
func (s *state) signedIn(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time) (ticket.Ticket, bool) {
	if s.mfa == nil {
		s.fail(w, r, http.StatusNotFound, reasonNotFound)
		return ticket.Ticket{}, false
	}
	res, err := s.currentTicket(r, ci, now)
	if err != nil && !errors.Is(err, ticket.ErrMissingToken) {
		w.Header().Set("Location", "/login?"+url.QueryEscape(s.backArg)+"="+url.QueryEscape(securityPath))
		w.WriteHeader(http.StatusSeeOther)
		return ticket.Ticket{}, false
	}
	return res.Ticket, true
}

// security is GET /account/security: what second factor the user has, and
// the forms to set one up, replace it, get new recovery codes or remove it.
func (s *state) security(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	t, ok := s.signedIn(w, r, ci, now)
	if !ok {
		return
	}
	s.securityPage(w, r, http.StatusOK, reasonSecurity, t)
}

// securityPage renders the page for t's user as their factors are now.
func (s *state) securityPage(w http.ResponseWriter, r *http.Request, status int, rs reason, t ticket.Ticket, edit ...func(*pageData)) {
	st, err := s.mfa.factors.Status(r.Context(), t.UID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "the second factors cannot be read", "user", t.UID, "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, reasonUnavailable)
		return
	}
	ps, err := s.mfa.factors.Passkeys(r.Context(), t.UID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "the passkeys cannot be read", "user", t.UID, "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, reasonUnavailable)
		return
	}
	d := s.page(rs)
	d.CurrentUser, d.TOTP, d.RecoveryLeft, d.Passkeys = t.UID, st.TOTP, st.Recovery, passkeyViews(ps)
	d.MFAToken = t.Tokens.Has(s.mfa.token)
	for _, e := range edit {
		e(&d)
	}
	// The new secret is shown once, in the answer to the enroll action,
	// which took the password: never again to whoever holds the ticket,
	// whatever code they send (a wrong one gets the code field alone).
	if d.OTPEnroll && rs == reasonEnrollStart && !s.showPendingKey(w, r, &d, t.UID) {
		return
	}
	if d.PasskeyOptions != "" {
		allowScripts(w)
	}
	s.render(w, r, status, pageSecurity, d)
}

// securitySubmit is POST /account/security. action=enroll, recovery and
// remove ask for the password again (a ticket left in a browser is not
// enough to change how its user signs in) and, for a user who has a
// factor, a ticket got with it; action=confirm finishes an enrollment with
// a first code of the new secret, gives recovery codes, and puts the mfa
// token in the user's ticket.
func (s *state) securitySubmit(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	t, ok := s.signedIn(w, r, ci, now)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, reasonBadRequest)
		return
	}
	ctx, user, action := r.Context(), t.UID, r.PostForm.Get("action")
	passkeyID := r.PostForm.Get("remove_passkey")
	if passkeyID != "" {
		action = "passkey-remove" // a passkey's own Remove button
	}
	page := func(status int, rs reason, edit ...func(*pageData)) { s.securityPage(w, r, status, rs, t, edit...) }
	switch action {
	case "confirm", "passkey-finish", "enroll", "recovery", "remove", "passkey", "passkey-remove":
	default:
		s.fail(w, r, http.StatusBadRequest, reasonBadRequest)
		return
	}
	st, err := s.mfa.factors.Status(ctx, user)
	if err != nil {
		page(http.StatusServiceUnavailable, reasonUnavailable)
		return
	}
	if st.Any() && !t.Tokens.Has(s.mfa.token) {
		// A ticket got without the factor (HTTP Basic's, an older one, a
		// stolen one): whoever has only that must not remove, replace or
		// add a factor, nor finish an enrollment begun by someone else.
		page(http.StatusForbidden, reasonNeedsMFA)
		return
	}
	switch action {
	case "confirm":
		s.confirmFactor(w, r, ci, now, t)
		return
	case "passkey-finish":
		s.passkeyFinished(w, r, ci, now, t)
		return
	}
	if action == "remove" && !st.TOTP || action == "recovery" && !st.Any() || action == "passkey-remove" && st.Passkeys == 0 {
		s.fail(w, r, http.StatusBadRequest, reasonBadRequest)
		return
	}
	if !s.passwordAgain(w, r, ci, now, user, page) {
		return
	}
	switch action {
	case "enroll":
		if _, err = s.mfa.factors.EnrollTOTP(ctx, user, false); err == nil {
			s.log.InfoContext(ctx, "security: TOTP enrollment started", "user", user, "client_ip", ci.Addr.String())
			page(http.StatusOK, reasonEnrollStart, func(d *pageData) { d.OTPEnroll = true })
			return
		}
	case "recovery":
		var codes []string
		if codes, err = s.mfa.factors.NewRecoveryCodes(ctx, user); err == nil {
			s.log.InfoContext(ctx, "security: new recovery codes", "user", user, "client_ip", ci.Addr.String())
			page(http.StatusOK, reasonNewCodes, func(d *pageData) { d.RecoveryCodes = codes })
			return
		}
	case "passkey":
		var opts, state string
		if opts, state, err = s.passkeyRegistration(r, ci, now, user); err == nil {
			page(http.StatusOK, reasonPasskeyStart, func(d *pageData) { d.PasskeyOptions, d.PasskeyState = opts, state })
			return
		}
		if errors.Is(err, errIPHost) { // the user's to change, not the factor store's fault
			page(http.StatusBadRequest, reasonPasskeyHost)
			return
		}
	case "passkey-remove":
		var gone bool
		if gone, err = s.mfa.factors.RemovePasskey(ctx, user, passkeyID); err == nil {
			if !gone {
				page(http.StatusNotFound, reasonBadRequest)
				return
			}
			s.log.InfoContext(ctx, "security: passkey removed", "user", user, "client_ip", ci.Addr.String())
			page(http.StatusOK, reasonPasskeyGone)
			return
		}
	case "remove":
		if err = s.mfa.factors.RemoveTOTP(ctx, user); err == nil {
			s.log.InfoContext(ctx, "security: TOTP factor removed", "user", user, "client_ip", ci.Addr.String())
			page(http.StatusOK, reasonRemoved)
			return
		}
	}
	s.log.ErrorContext(ctx, "security: the factor store failed", "user", user, "action", action, "err", err)
	page(http.StatusServiceUnavailable, reasonUnavailable)
}

// passwordAgain checks the password field against user's, through the
// login throttle; with false it has answered (page renders the security
// page with a reason).
func (s *state) passwordAgain(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, user string, page func(int, reason, ...func(*pageData))) bool {
	_, err := s.passwords.Check(r.Context(), user, r.PostForm.Get("password"), ci.Addr, now)
	var throttled *ThrottledError
	switch {
	case err == nil:
		return true
	case errors.As(err, &throttled):
		s.logAttempt(r, slog.LevelWarn, resultThrottled, "security page: "+err.Error(), user, ci)
		w.Header().Set("Retry-After", strconv.Itoa(throttled.RetryAfter))
		page(http.StatusTooManyRequests, reasonThrottled, func(d *pageData) { d.Message = throttledMessage(throttled.RetryAfter) })
	case errors.Is(err, authsrc.ErrUnavailable):
		s.logAttempt(r, slog.LevelError, resultUnavailable, "security page: "+err.Error(), user, ci)
		page(http.StatusServiceUnavailable, reasonUnavailable)
	default:
		s.logAttempt(r, slog.LevelWarn, resultInvalid, "security page: wrong password", user, ci)
		page(http.StatusUnauthorized, reasonBadPassword)
	}
	return false
}

// confirmFactor finishes an enrollment started on the page: a right code
// of the new secret makes it the user's factor (replacing any other),
// gives fresh recovery codes, and re-issues the ticket with the mfa token
// (its time unchanged: proving a factor does not lengthen a session).
func (s *state) confirmFactor(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket) {
	user := t.UID
	code := strings.TrimSpace(r.PostForm.Get("otp"))
	err := s.passwords.CheckCode(r.Context(), user, ci.Addr, now, mfa.ErrWrongCode, func(ctx context.Context) error {
		return s.mfa.factors.ConfirmTOTP(ctx, user, code)
	})
	var throttled *ThrottledError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(throttled.RetryAfter))
		s.securityPage(w, r, http.StatusTooManyRequests, reasonThrottled, t, func(d *pageData) {
			d.Message, d.OTPEnroll = throttledMessage(throttled.RetryAfter), true
		})
		return
	case errors.Is(err, mfa.ErrWrongCode):
		s.logAttempt(r, slog.LevelWarn, resultInvalid, "security page: wrong code for the new factor", user, ci)
		s.securityPage(w, r, http.StatusUnauthorized, reasonWrongCode, t, func(d *pageData) { d.OTPEnroll = true })
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "security: the factor store failed", "user", user, "err", err)
		s.securityPage(w, r, http.StatusServiceUnavailable, reasonUnavailable, t)
		return
	}
	codes, err := s.mfa.factors.NewRecoveryCodes(r.Context(), user)
	if err != nil {
		s.log.ErrorContext(r.Context(), "security: recovery codes cannot be stored", "user", user, "err", err)
	}
	t.Tokens = withToken(t.Tokens, s.mfa.token)
	if _, ok := s.setTicket(w, r, ci, now, t); !ok {
		return
	}
	s.log.InfoContext(r.Context(), "security: TOTP factor enrolled", "user", user, "client_ip", ci.Addr.String())
	s.securityPage(w, r, http.StatusOK, reasonEnrolled, t, func(d *pageData) { d.RecoveryCodes = codes })
}

// passkeyFinished is action=passkey-finish: the browser's new passkey is
// checked and stored, the ticket gets the mfa token, and a user who had no
// recovery codes gets them.
func (s *state) passkeyFinished(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket) {
	user := t.UID
	err := s.finishPasskey(r, ci, now, user)
	switch {
	case errors.Is(err, errPasskey):
		s.log.WarnContext(r.Context(), "security: a passkey was not accepted", "user", user, "client_ip", ci.Addr.String(), "err", err)
		s.securityPage(w, r, http.StatusBadRequest, reasonBadPasskey, t)
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "security: the factor store failed", "user", user, "err", err)
		s.securityPage(w, r, http.StatusServiceUnavailable, reasonUnavailable, t)
		return
	}
	var codes []string
	if st, err := s.mfa.factors.Status(r.Context(), user); err == nil && st.Recovery == 0 {
		codes, _ = s.mfa.factors.NewRecoveryCodes(r.Context(), user)
	}
	t.Tokens = withToken(t.Tokens, s.mfa.token)
	if _, ok := s.setTicket(w, r, ci, now, t); !ok {
		return
	}
	s.log.InfoContext(r.Context(), "security: passkey added", "user", user, "client_ip", ci.Addr.String())
	s.securityPage(w, r, http.StatusOK, reasonPasskeyAdded, t, func(d *pageData) { d.RecoveryCodes = codes })
}
