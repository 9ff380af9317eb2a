package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Passkeys (WebAuthn) are a second factor beside TOTP, kept in the same
// factor store: registered at /account/security, used on the code page
// of a login. The browser side is static/passkey.js; a ceremony's server
// side (go-webauthn's SessionData) travels signed in the page's state, as
// the login's does, so no instance keeps anything between the two
// requests. What makes a ceremony single-use is in the factor database:
// its challenge is claimed there (useChallenge) before its answer counts.

// maxCredentialJSON bounds a browser's credential response.
const maxCredentialJSON = 8 << 10

// errPasskey is a passkey that did not prove anything: the wrong one,
// a bad signature, a replayed challenge. It counts as a wrong code.
var errPasskey = errors.New("the passkey was not accepted")

// The ways a passkey is refused that the log should tell apart.
var (
	errChallengeUsed = fmt.Errorf("%w: its challenge was used already (a replay)", errPasskey)
	errPasskeyClone  = fmt.Errorf("%w: its sign count did not go up (a cloned authenticator?)", errPasskey)
)

// ceremonyKeep is how long a used challenge is remembered: longer than any
// state carrying it is accepted (mfaStateTTL, plus the minute a state may
// come from the future), with minutes to spare for instances whose clocks
// disagree.
const ceremonyKeep = 2 * mfaStateTTL

// useChallenge claims the ceremony's challenge in the factor database, so
// that its answer is taken once across every instance sharing it. It is
// called first, before the answer is looked at: whichever of two
// concurrent submissions claims the challenge is the only one verified
// and the only one to store a sign count, and a refused answer spends its
// challenge too, so one captured state cannot be tried again and again
// (the page that shows the refusal offers a new ceremony).
func (s *state) useChallenge(ctx context.Context, sd webauthn.SessionData) error {
	fresh, err := s.mfa.factors.UseChallenge(ctx, sd.Challenge, ceremonyKeep)
	if err == nil && !fresh {
		err = errChallengeUsed
	}
	return err
}

// checkClone refuses an assertion whose sign count did not go up from the
// stored one (go-webauthn only flags it): two authenticators answer for
// the credential. A passkey that counts nothing (synced ones send 0) is
// never flagged.
func checkClone(c *webauthn.Credential) error {
	if c.Authenticator.CloneWarning {
		return errPasskeyClone
	}
	return nil
}

// relyingParty is the WebAuthn relying party of the portal as the browser
// reached it: the host name is the RP ID, the origin the page's.
// Passkeys are bound to that name: a portal reached under several names
// has passkeys per name.
func (s *state) relyingParty(r *http.Request, ci tkthttp.ClientOrigin) (*webauthn.WebAuthn, error) {
	host := r.Host
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		return nil, errIPHost
	}
	scheme := "http"
	if ci.HTTPS {
		scheme = "https"
	}
	return webauthn.New(&webauthn.Config{RPID: name, RPDisplayName: s.title, RPOrigins: []string{scheme + "://" + host}})
}

// errIPHost: WebAuthn takes a domain as the relying party, never an IP
// address, so a portal reached at one (http://127.0.0.1:8080, where the
// README's first command serves it) offers no passkeys. That is no fault
// to warn of on every page: the pages just leave passkeys out.
var errIPHost = errors.New("passkeys need the portal reached by a host name, not an IP address")

// noPasskeyOffer logs why a page offers no passkey sign-in: a warning,
// unless the portal is reached at an IP address (errIPHost).
func (s *state) noPasskeyOffer(ctx context.Context, err error, attrs ...any) {
	level := slog.LevelWarn
	if errors.Is(err, errIPHost) {
		level = slog.LevelDebug
	}
	s.log.Log(ctx, level, "a passkey sign-in cannot be offered", append(attrs, "err", err)...)
}

// withCeremony is ms carrying a ceremony's session, signed.
func (s *state) withCeremony(ms mfaState, sd *webauthn.SessionData) (string, error) {
	b, err := json.Marshal(sd)
	if err != nil {
		return "", err
	}
	ms.Ceremony = b
	return ms.sign(s.mfa.key), nil
}

// ceremonyOf reads the ceremony session a state carries.
func ceremonyOf(ms mfaState) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if len(ms.Ceremony) == 0 {
		return sd, errMFAState
	}
	err := json.Unmarshal(ms.Ceremony, &sd)
	return sd, err
}

// passkeyOffer fills in d the options and state of a passkey sign-in for
// the user of ms, when they have passkeys; errors leave the offer out.
func (s *state) passkeyOffer(r *http.Request, ci tkthttp.ClientOrigin, ms mfaState, d *pageData) {
	u, err := s.mfa.factors.PasskeyUser(r.Context(), ms.User)
	if err != nil || len(u.Credentials) == 0 {
		return
	}
	wa, err := s.relyingParty(r, ci)
	var opts *protocol.CredentialAssertion
	var sd *webauthn.SessionData
	if err == nil {
		opts, sd, err = wa.BeginLogin(u)
	}
	var raw []byte
	if err == nil {
		raw, err = json.Marshal(opts)
	}
	if err == nil {
		d.PasskeyState, err = s.withCeremony(ms, sd)
	}
	if err != nil {
		s.noPasskeyOffer(r.Context(), err, "user", ms.User)
		return
	}
	d.PasskeyOptions = string(raw)
}

// allowScripts lets the page load the portal's own scripts (passkey.js).
func allowScripts(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "default-src 'none';", "default-src 'none'; script-src 'self';", 1))
}

// passkeySubmit is POST /login/passkey: the second step of a login done
// with a passkey instead of a code. It counts in the throttle like a code.
func (s *state) passkeySubmit(w http.ResponseWriter, r *http.Request) {
	ci, now := s.clients.Origin(r), s.now()
	back, ok := s.stepForm(w, r, ci)
	if !ok {
		return
	}
	ms, err := parseMFAState(r.PostForm.Get("state"), s.mfa.key, ci.Addr, now)
	var sd webauthn.SessionData
	if err == nil {
		sd, err = ceremonyOf(ms)
	}
	if err != nil {
		s.logAttempt(r, slog.LevelWarn, resultBadRequest, "passkey step: "+err.Error(), "", ci)
		s.loginPage(w, r, ci, http.StatusBadRequest, reasonStepExpired, back.url)
		return
	}
	if ms.Discoverable {
		s.passkeySignIn(w, r, ci, now, sd, back)
		return
	}
	codeState := ms
	codeState.Ceremony = nil
	again := func(status int, rs reason, edit ...func(*pageData)) {
		s.codePage(w, r, status, rs, codeState, codeState.sign(s.mfa.key), back.url, edit...)
	}
	err = s.passwords.CheckCode(r.Context(), ms.User, ci.Addr, now, errPasskey, func(ctx context.Context) error {
		return s.checkPasskey(ctx, r, ci, ms.User, sd)
	})
	if s.factorFailed(w, r, ci, ms.User, err, errPasskey, reasonBadPasskey, again) {
		return
	}
	t, ok := s.factorTicket(r, ci, now, ms, again)
	if ok && s.issue(w, r, ci, now, t, back) {
		s.logAttempt(r, slog.LevelInfo, resultOK, "password and passkey", t.UID, ci)
	}
}

// checkPasskey verifies the assertion in the form's credential field
// against user's passkeys and the ceremony sd, and stores the passkey's
// new sign count. It answers errPasskey for anything the browser sent
// wrong or sent before, or the store's error.
func (s *state) checkPasskey(ctx context.Context, r *http.Request, ci tkthttp.ClientOrigin, user string, sd webauthn.SessionData) error {
	if err := s.useChallenge(ctx, sd); err != nil {
		return err
	}
	raw := r.PostForm.Get("credential")
	if raw == "" || len(raw) > maxCredentialJSON {
		return errPasskey
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(raw))
	if err != nil {
		return errPasskey
	}
	u, err := s.mfa.factors.PasskeyUser(ctx, user)
	if err != nil {
		return err
	}
	wa, err := s.relyingParty(r, ci)
	if err != nil {
		return err
	}
	c, err := wa.ValidateLogin(u, sd, parsed)
	if err != nil {
		return errPasskey
	}
	if err := checkClone(c); err != nil {
		return err
	}
	return s.updatePasskey(ctx, user, c)
}

// updatePasskey stores a used passkey's sign count; one removed meanwhile
// proves nothing.
func (s *state) updatePasskey(ctx context.Context, user string, c *webauthn.Credential) error {
	err := s.mfa.factors.UpdatePasskey(ctx, user, c)
	if errors.Is(err, mfa.ErrNoSuchPasskey) {
		return fmt.Errorf("%w: it was removed", errPasskey)
	}
	return err
}

// passkeyRegistration is the security page's "Add a passkey": the options
// for the browser and the ceremony in the state.
func (s *state) passkeyRegistration(r *http.Request, ci tkthttp.ClientOrigin, now time.Time, user string) (options, state string, err error) {
	u, err := s.mfa.factors.PasskeyUser(r.Context(), user)
	if err != nil {
		return "", "", err
	}
	wa, err := s.relyingParty(r, ci)
	if err != nil {
		return "", "", err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.Credentials {
		exclude = append(exclude, c.Descriptor())
	}
	opts, sd, err := wa.BeginRegistration(u, webauthn.WithExclusions(exclude), webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		return "", "", err
	}
	raw, err := json.Marshal(opts)
	if err != nil {
		return "", "", err
	}
	state, err = s.withCeremony(mfaState{User: user, Client: ci.Addr.String(), At: now.Unix()}, sd)
	return string(raw), state, err
}

// finishPasskey is the security page's action=passkey-finish: the
// browser's new credential, checked against the ceremony, becomes one of
// the user's passkeys.
func (s *state) finishPasskey(r *http.Request, ci tkthttp.ClientOrigin, now time.Time, user string) error {
	ms, err := parseMFAState(r.PostForm.Get("state"), s.mfa.key, ci.Addr, now)
	if err != nil || ms.User != user {
		return errPasskey
	}
	sd, err := ceremonyOf(ms)
	if err != nil {
		return errPasskey
	}
	if err := s.useChallenge(r.Context(), sd); err != nil {
		return err
	}
	raw := r.PostForm.Get("credential")
	if raw == "" || len(raw) > maxCredentialJSON {
		return errPasskey
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(raw))
	if err != nil {
		return errPasskey
	}
	u, err := s.mfa.factors.PasskeyUser(r.Context(), user)
	if err != nil {
		return err
	}
	wa, err := s.relyingParty(r, ci)
	if err != nil {
		return err
	}
	c, err := wa.CreateCredential(u, sd, parsed)
	if err != nil {
		return errPasskey
	}
	err = s.mfa.factors.AddPasskey(r.Context(), user, c)
	if errors.Is(err, mfa.ErrPasskeyExists) {
		return fmt.Errorf("%w: %w", errPasskey, err)
	}
	return err
}

// passkeyViews lists user's passkeys for the page.
func passkeyViews(ps []mfa.Passkey) []PasskeyView {
	out := make([]PasskeyView, len(ps))
	for i, p := range ps {
		out[i] = PasskeyView{ID: p.ID, Created: p.Created.Format("2006-01-02 15:04 MST")}
	}
	return out
}

// PasskeyView is a passkey as the security page lists it.
type PasskeyView struct {
	ID      string // what action=passkey-remove takes
	Created string
}

// loginPage renders the login form for reason rs, with the passkey
// sign-in when it can be offered.
func (s *state) loginPage(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, status int, rs reason, back string, edit ...func(*pageData)) {
	d := s.page(rs)
	d.Back = back
	for _, e := range edit {
		e(&d)
	}
	if s.passkeySignInOffer(r, ci, &d) {
		allowScripts(w)
	}
	http.SetCookie(w, portalCookie(probeCookie, "1", ci, 0))
	s.render(w, r, status, pageLogin, d)
}

// passkeySignInOffer fills in d a sign-in with a passkey instead of the
// password: a discoverable-credential ceremony, whose passkey names its
// user. It needs a store that can say who a user is without the password
// (authsrc.Lookuper), for the ticket's groups and data.
func (s *state) passkeySignInOffer(r *http.Request, ci tkthttp.ClientOrigin, d *pageData) bool {
	if s.mfa == nil {
		return false
	}
	if _, ok := s.cfg.Source.(authsrc.Lookuper); !ok {
		return false
	}
	wa, err := s.relyingParty(r, ci)
	var opts *protocol.CredentialAssertion
	var sd *webauthn.SessionData
	if err == nil {
		opts, sd, err = wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	}
	var raw []byte
	if err == nil {
		raw, err = json.Marshal(opts)
	}
	if err == nil {
		d.PasskeyState, err = s.withCeremony(mfaState{Client: ci.Addr.String(), At: s.now().Unix(), Discoverable: true}, sd)
	}
	if err != nil {
		s.noPasskeyOffer(r.Context(), err)
		return false
	}
	d.PasskeyOptions = string(raw)
	return true
}

// passkeySignIn finishes a sign-in with a passkey alone: the passkey
// names its user, proves possession and (user verification required) the
// device's PIN or biometrics, so the ticket carries the mfa token. The
// store says who the user is now, as at a refresh. Guessing a signature is
// hopeless, so no throttle is spent before the user is known.
func (s *state) passkeySignIn(w http.ResponseWriter, r *http.Request, ci tkthttp.ClientOrigin, now time.Time, sd webauthn.SessionData, back target) {
	ctx := r.Context()
	fail := func(status int, rs reason, why, user string) {
		level := slog.LevelWarn
		if status >= 500 {
			level = slog.LevelError
		}
		res := resultInvalid
		if status >= 500 {
			res = resultUnavailable
		}
		s.logAttempt(r, level, res, why, user, ci)
		s.loginPage(w, r, ci, status, rs, back.url)
	}
	// refused answers err, if any: a passkey refused or the store failing.
	refused := func(err error, user string) bool {
		switch {
		case errors.Is(err, errPasskey):
			fail(http.StatusUnauthorized, reasonBadPasskey, "passkey sign-in: "+err.Error(), user)
		case err != nil:
			fail(http.StatusServiceUnavailable, reasonUnavailable, "passkey sign-in: "+err.Error(), user)
		}
		return err != nil
	}
	if refused(s.useChallenge(ctx, sd), "") {
		return
	}
	raw := r.PostForm.Get("credential")
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(raw))
	if raw == "" || len(raw) > maxCredentialJSON || err != nil {
		fail(http.StatusUnauthorized, reasonBadPasskey, "passkey sign-in: an unreadable answer", "")
		return
	}
	wa, err := s.relyingParty(r, ci)
	if err != nil {
		fail(http.StatusInternalServerError, reasonUnavailable, "passkey sign-in: "+err.Error(), "")
		return
	}
	var storeErr error
	user, c, err := wa.ValidatePasskeyLogin(func(rawID, handle []byte) (webauthn.User, error) {
		owner, err := s.mfa.factors.PasskeyOwner(ctx, rawID)
		if err != nil {
			storeErr = err
			return nil, err
		}
		if owner == "" || !bytes.Equal(handle, mfa.UserHandle(owner)) {
			return nil, errPasskey
		}
		u, err := s.mfa.factors.PasskeyUser(ctx, owner)
		storeErr = err
		return u, err
	}, sd, parsed)
	switch {
	case storeErr != nil:
		fail(http.StatusServiceUnavailable, reasonUnavailable, "passkey sign-in: "+storeErr.Error(), "")
		return
	case err != nil:
		fail(http.StatusUnauthorized, reasonBadPasskey, "passkey sign-in: the passkey was not accepted", "")
		return
	}
	name := user.WebAuthnName()
	if refused(checkClone(c), name) {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, s.passwords.timeout)
	id, err := s.cfg.Source.(authsrc.Lookuper).Lookup(lctx, name)
	cancel()
	switch {
	case errors.Is(err, authsrc.ErrNoSuchUser) && !errors.Is(err, authsrc.ErrUnavailable):
		fail(http.StatusUnauthorized, reasonBadPasskey, "passkey sign-in: the passkey's user is in no store", name)
		return
	case err != nil:
		fail(http.StatusServiceUnavailable, reasonUnavailable, "passkey sign-in: "+err.Error(), name)
		return
	}
	if refused(s.updatePasskey(ctx, name, c), name) {
		return
	}
	t := ticketFor(ctx, s.log, authsrc.WithoutGroupsOf(id, s.mfa.token), name, now)
	t.UID = name // the passkey's user, whatever the store's spelling
	t.Tokens = withToken(t.Tokens, s.mfa.token)
	if t, err = s.proven(r, ci, now, t); err != nil {
		fail(http.StatusServiceUnavailable, reasonNoSession, "the session could not be recorded: "+err.Error(), name)
		return
	}
	if s.issue(w, r, ci, now, t, back) {
		s.logAttempt(r, slog.LevelInfo, resultOK, "passkey", name, ci)
	}
}
