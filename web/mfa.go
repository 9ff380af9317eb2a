package web

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/skip2/go-qrcode"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// MFAConfig turns on the second factor at the portal: a user who has one
// gives a code after the password, and the ticket then carries Token.
type MFAConfig struct {
	// Factors holds the users' factors. Required.
	Factors *mfa.Manager
	// Required sends every user without a factor to enrollment right
	// after the password: nobody gets a ticket without a second factor.
	Required bool
	// Token is added to the tickets of logins that gave a second factor;
	// default "mfa". The Source must never grant it as a group
	// (authsrc.WithoutGroups): it would then prove nothing.
	Token string
}

// DefaultMFAToken is MFAConfig.Token's default.
const DefaultMFAToken = "mfa"

// mfaSettings is the checked MFAConfig of a state.
type mfaSettings struct {
	factors  *mfa.Manager
	required bool
	token    string
	key      []byte // signs the login state (mfastate.go)
}

func newMFASettings(c *MFAConfig, secret string) (*mfaSettings, error) {
	if c == nil {
		return nil, nil
	}
	m := &mfaSettings{factors: c.Factors, required: c.Required, token: cmp.Or(c.Token, DefaultMFAToken), key: mfaStateKey(secret)}
	var errs []error
	if c.Factors == nil {
		errs = append(errs, errors.New("mfa: no factor store (Factors)"))
	}
	if err := ticket.CheckRequiredToken(m.token); err != nil {
		errs = append(errs, fmt.Errorf("mfa token: %w", err))
	}
	return m, errors.Join(errs...)
}

// Reasons of the second-factor pages.
const (
	reasonCode        reason = "code_needed"
	reasonEnrollLogin reason = "enroll_needed"
	reasonWrongCode   reason = "wrong_code"
	reasonNoCode      reason = "missing_code"
	reasonStepExpired reason = "step_expired"
	reasonEnrolled    reason = "enrolled"
	reasonBadPasskey  reason = "passkey_failed"
)

// secondStep is the password step's end for a user who has (or must
// enroll) a second factor: the code page instead of a ticket. It reports
// false, having answered nothing, when no second step is due, and the
// attempt att ends as a success; otherwise att is released: only the code
// makes the login a success.
func (s *state) secondStep(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, t ticket.Ticket, back target, att *attempt) bool {
	if s.mfa == nil {
		att.succeeded()
		return false
	}
	st, err := s.mfa.factors.Status(r.Context(), t.UID)
	if err != nil {
		att.release()
		s.logAttempt(r, slog.LevelError, resultUnavailable, "the second factors cannot be read: "+err.Error(), t.UID, ci)
		s.fail(w, r, http.StatusServiceUnavailable, reasonUnavailable)
		return true
	}
	if !st.Any() && !s.mfa.required {
		att.succeeded()
		return false
	}
	att.release()
	ms := mfaState{User: t.UID, Tokens: string(t.Tokens), Data: t.Data, Client: ci.Addr.String(), At: now.Unix(), Enroll: !st.Any()}
	rs := reasonCode
	if ms.Enroll {
		if _, err := s.mfa.factors.EnrollTOTP(r.Context(), t.UID, false); err != nil {
			s.logAttempt(r, slog.LevelError, resultUnavailable, "a TOTP enrollment cannot be stored: "+err.Error(), t.UID, ci)
			s.fail(w, r, http.StatusServiceUnavailable, reasonUnavailable)
			return true
		}
		rs = reasonEnrollLogin
	}
	s.log.InfoContext(r.Context(), "login: password right, second factor asked", "user", t.UID, "client_ip", ci.Addr.String(), "enroll", ms.Enroll)
	s.codePage(w, r, http.StatusOK, rs, ms, ms.sign(s.mfa.key), back.url)
	return true
}

// codePage renders the code form of a login (state raw), with the pending
// enrollment's QR code when it confirms one.
func (s *state) codePage(w http.ResponseWriter, r *http.Request, status int, rs reason, ms mfaState, raw, back string, edit ...func(*pageData)) {
	d := s.page(rs)
	d.Back, d.State, d.User, d.OTPEnroll = back, raw, ms.User, ms.Enroll
	if ms.Enroll && !s.showPendingKey(w, r, &d, ms.User) {
		return
	}
	if !ms.Enroll {
		if s.passkeyOffer(r, s.clients.Origin(r), ms, &d); d.PasskeyOptions != "" {
			allowScripts(w)
		}
	}
	for _, e := range edit {
		e(&d)
	}
	s.render(w, r, status, pageCode, d)
}

// showPendingKey puts user's pending enrollment (its QR code and secret)
// in d; on failure it answers 503 itself and reports false.
func (s *state) showPendingKey(w http.ResponseWriter, r *http.Request, d *pageData, user string) bool {
	key, err := s.mfa.factors.PendingTOTP(r.Context(), user)
	if err == nil && key == nil {
		err = errors.New("no enrollment is pending")
	}
	if err == nil {
		err = d.showKey(key)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "the TOTP enrollment cannot be shown", "user", user, "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, reasonUnavailable)
		return false
	}
	allowInlineImages(w)
	return true
}

// showKey fills in the QR code (a PNG inline, as a data: URL) and the
// secret of key, for an authenticator app to scan or to be typed in.
func (d *pageData) showKey(key *otp.Key) error {
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 256)
	if err != nil {
		return err
	}
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	d.OTPSecret = groupsOf4(key.Secret())
	d.OTPURI = key.URL()
	return nil
}

// groupsOf4 writes a base32 secret as people type it from a screen.
func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// allowInlineImages lets the page show the QR code's data: URL, and no
// other inline content.
func allowInlineImages(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "img-src 'self'", "img-src 'self' data:", 1))
}

// codeSubmit is POST /login/code: the second step of a login. A right code
// (or an unused recovery code; for an enrollment, a code of the new
// secret) issues the ticket, with the mfa token; a wrong one counts
// against the login throttle like a wrong password and shows the form
// again.
func (s *state) codeSubmit(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	back, ok := s.stepForm(w, r, ci)
	if !ok {
		return
	}
	raw := r.PostForm.Get("state")
	ms, err := parseMFAState(raw, s.mfa.key, ci.Addr, now)
	if err == nil && ms.Discoverable {
		err = errMFAState // a passkey sign-in's state names nobody to check a code of
	}
	if err != nil {
		s.logAttempt(r, slog.LevelWarn, resultBadRequest, "second step: "+err.Error(), "", ci)
		s.loginPage(w, r, ci, http.StatusBadRequest, reasonStepExpired, back.url)
		return
	}
	again := func(status int, rs reason, edit ...func(*pageData)) {
		s.codePage(w, r, status, rs, ms, raw, back.url, edit...)
	}
	code := strings.TrimSpace(r.PostForm.Get("otp"))
	if code == "" || len(code) > 64 {
		again(http.StatusBadRequest, reasonNoCode)
		return
	}
	method := mfa.MethodTOTP
	err = s.passwords.CheckCode(r.Context(), ms.User, ci.Addr, now, mfa.ErrWrongCode, func(ctx context.Context) error {
		if ms.Enroll {
			return s.mfa.factors.ConfirmTOTP(ctx, ms.User, code)
		}
		var err error
		method, err = s.mfa.factors.Verify(ctx, ms.User, code)
		return err
	})
	if s.factorFailed(w, r, ci, ms.User, err, mfa.ErrWrongCode, reasonWrongCode, again) {
		return
	}
	t, ok := s.factorTicket(r, ci, now, ms, again)
	if !ok {
		return
	}
	how := "password and " + string(method)
	if ms.Enroll {
		// A new factor: the user gets recovery codes, seen this once, and
		// goes on from the page that shows them.
		codes, err := s.mfa.factors.NewRecoveryCodes(r.Context(), t.UID)
		if err != nil {
			s.logAttempt(r, slog.LevelError, resultUnavailable, "recovery codes cannot be stored: "+err.Error(), t.UID, ci)
		}
		value, ok := s.setTicket(w, r, ci, now, t)
		if !ok {
			return
		}
		d := s.page(reasonEnrolled)
		d.CurrentUser, d.RecoveryCodes = t.UID, codes
		d.Back = back.url
		if back.urlTicket {
			d.Back = withTicket(back.url, s.urlTicketArg, value)
		}
		s.render(w, r, http.StatusOK, pageRecovery, d)
		s.logAttempt(r, slog.LevelInfo, resultOK, "password and a new TOTP factor", t.UID, ci)
		return
	}
	if s.issue(w, r, ci, now, t, back) {
		s.logAttempt(r, slog.LevelInfo, resultOK, how, t.UID, ci)
	}
}

// withToken is tokens with tok added, before any session token (which
// stays last, where tkthttp looks first).
func withToken(tokens ticket.Tokens, tok string) ticket.Tokens {
	if tokens.Has(tok) {
		return tokens
	}
	sid, rest := tokens.Session()
	if rest == "" {
		rest = ticket.Tokens(tok)
	} else {
		rest += ticket.Tokens("," + tok)
	}
	if sid == "" {
		return rest
	}
	return rest.WithSession(sid)
}

// factorFailed answers a second factor's check that did not pass (err
// from Passwords.CheckCode; wrong is the factor's "not right" error,
// shown as rs) with again, logged, and reports whether it did.
func (s *state) factorFailed(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, user string, err, wrong error, rs reason, again func(int, reason, ...func(*pageData))) bool {
	var throttled *ThrottledError
	switch {
	case err == nil:
		return false
	case errors.As(err, &throttled):
		s.logAttempt(r, slog.LevelWarn, resultThrottled, "second factor: "+err.Error(), user, ci)
		w.Header().Set("Retry-After", strconv.Itoa(throttled.RetryAfter))
		again(http.StatusTooManyRequests, reasonThrottled, func(d *pageData) {
			d.Message, d.RetryAfter = throttledMessage(throttled.RetryAfter), throttled.RetryAfter
		})
	case errors.Is(err, wrong):
		s.logAttempt(r, slog.LevelWarn, resultInvalid, "second factor: "+err.Error(), user, ci)
		again(http.StatusUnauthorized, rs)
	default:
		s.logAttempt(r, slog.LevelError, resultUnavailable, "second factor: "+err.Error(), user, ci)
		again(http.StatusServiceUnavailable, reasonUnavailable)
	}
	return true
}

// factorTicket is the ticket of a login whose second factor passed: what
// the password step said of the user, with the mfa token, and a session
// when sessions are on. With false it has answered (again).
func (s *state) factorTicket(r *http.Request, ci tkthttp.ClientOrigin, now time.Time, ms mfaState, again func(int, reason, ...func(*pageData))) (ticket.Ticket, bool) {
	t := ticket.Ticket{UID: ms.User, Tokens: withToken(ticket.Tokens(ms.Tokens), s.mfa.token), Data: ms.Data, Time: now}
	t, err := s.proven(r, ci, now, t)
	if err != nil {
		s.logAttempt(r, slog.LevelError, resultUnavailable, "the session could not be recorded: "+err.Error(), t.UID, ci)
		again(http.StatusServiceUnavailable, reasonNoSession)
		return t, false
	}
	return t, true
}

// stepForm starts a second-step POST (/login/code, /login/passkey): it
// reads the form and its back URL (the default one when refused). With
// false it has answered: 404 without second factors, 400 for a form it
// cannot read.
func (s *state) stepForm(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin) (target, bool) {
	if s.mfa == nil {
		s.fail(w, r, http.StatusNotFound, reasonNotFound)
		return target{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		s.logAttempt(r, slog.LevelWarn, resultBadRequest, "unreadable form: "+err.Error(), "", ci)
		s.fail(w, r, http.StatusBadRequest, reasonBadRequest)
		return target{}, false
	}
	back, ok := s.back(r, ci, r.PostForm.Get(s.backArg))
	if !ok {
		back = target{url: s.defaultURL}
	}
	return back, true
}
