package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
)

// reason says why a page is shown. Its string is stable: templates may
// switch on it (data-reason) to word messages their own way.
type reason string

const (
	reasonNone         reason = "no_ticket"
	reasonExpired      reason = "expired"
	reasonInvalid      reason = "invalid_ticket"
	reasonUnauthorized reason = "unauthorized"
	reasonLoggedOut    reason = "logged_out"
	reasonWrong        reason = "wrong_credentials"
	reasonMissing      reason = "missing_fields"
	reasonUnavailable  reason = "unavailable"
	reasonThrottled    reason = "throttled"
	reasonNoCookies    reason = "cookies_disabled"
	reasonCSRF         reason = "cross_origin"
	reasonBadRequest   reason = "bad_request"
	reasonNoGuest      reason = "guest_disabled"
	reasonMint         reason = "cannot_issue"
	reasonNotFound     reason = "not_found"
	reasonMethod       reason = "method_not_allowed"
	reasonNotSignedIn  reason = "not_signed_in"
	reasonNoClient     reason = "client_unknown"
	reasonRevoked      reason = "revoked"
	reasonNoEverywhere reason = "everywhere_failed"
	reasonEnded        reason = "session_ended"
	reasonNoSession    reason = "session_unavailable"
	reasonNoLogout     reason = "logout_incomplete"
	reasonStepUp       reason = "reauthenticate"
	reasonSecurity     reason = "security"
	reasonBadPassword  reason = "wrong_password"
	reasonNeedsMFA     reason = "mfa_needed"
	reasonRemoved      reason = "factor_removed"
	reasonNewCodes     reason = "recovery_codes"
	reasonEnrollStart  reason = "enroll_started"
	reasonPasskeyStart reason = "passkey_started"
	reasonPasskeyAdded reason = "passkey_added"
	reasonPasskeyGone  reason = "passkey_removed"
	reasonPasskeyHost  reason = "passkey_needs_host_name"
)

// message is the default wording of each reason, and whether it reports a
// problem (error) or just informs (info).
func (r reason) message() (text, kind string) {
	switch r {
	case reasonNone:
		return "Sign in to continue.", "info"
	case reasonExpired:
		return "Your session has expired. Please sign in again.", "info"
	case reasonInvalid:
		return "Your sign-in is not valid here (it may come from another server or network). Please sign in again.", "info"
	case reasonUnauthorized:
		return "You are not authorized to open that page. Sign in with an account that has access.", "error"
	case reasonLoggedOut:
		return "You have been signed out.", "info"
	case reasonWrong:
		return "Wrong user name or password.", "error"
	case reasonMissing:
		return "Enter your user name and password.", "error"
	case reasonUnavailable:
		return "The user store is unavailable. Please try again later.", "error"
	case reasonThrottled:
		return "Too many attempts, try again later.", "error"
	case reasonNoCookies:
		return "Your browser refuses cookies: enable them for this site, then sign in again.", "error"
	case reasonCSRF:
		return "This request came from another site and was refused. Open the sign-in page directly and try again.", "error"
	case reasonBadRequest:
		return "The request could not be understood.", "error"
	case reasonNoGuest:
		return "Guest access is not enabled.", "error"
	case reasonMint:
		return "A sign-in ticket could not be issued for this account. Please contact the administrator.", "error"
	case reasonNotFound:
		return "There is no such page.", "error"
	case reasonMethod:
		return "This page does not accept that kind of request.", "error"
	case reasonNotSignedIn:
		return "You are not signed in.", "info"
	case reasonRevoked:
		return "Your sign-in was revoked (signed out everywhere, or the password changed). Please sign in again.", "info"
	case reasonNoEverywhere:
		return "You could not be signed out everywhere just now: you are signed out here. Please try again in a moment.", "error"
	case reasonEnded:
		return "Your session was ended (you signed out, here or on another device). Please sign in again.", "info"
	case reasonNoSession:
		return "Your sign-in could not be recorded just now. Please try again in a moment.", "error"
	case reasonNoLogout:
		return "You are signed out in this browser, but your session could not be ended on the server just now: it ends by itself when your sign-in times out.", "error"
	case reasonStepUp:
		return "Please confirm it's you: sign in again to continue.", "info"
	case reasonCode:
		return "Enter the 6-digit code from your authenticator app, or one of your recovery codes.", "info"
	case reasonEnrollLogin:
		return "This account needs a second factor. Scan the QR code with an authenticator app, then enter the 6-digit code it shows.", "info"
	case reasonWrongCode:
		return "That code is not right, or was used already. Wait for the next code and try again.", "error"
	case reasonNoCode:
		return "Enter the code.", "error"
	case reasonStepExpired:
		return "Your sign-in took too long (or was started elsewhere). Please sign in again.", "error"
	case reasonEnrolled:
		return "Your authenticator app is set up. Keep these recovery codes somewhere safe: each signs you in once without the app, and they are shown only now.", "info"
	case reasonSecurity:
		return "Your second factor: an authenticator app (TOTP) and recovery codes.", "info"
	case reasonBadPassword:
		return "Wrong password: nothing was changed.", "error"
	case reasonNeedsMFA:
		return "Sign in again with your second factor to change it.", "error"
	case reasonRemoved:
		return "Your authenticator app and recovery codes were removed.", "info"
	case reasonNewCodes:
		return "Your new recovery codes: each signs you in once without the app, and they are shown only now. The old ones no longer work.", "info"
	case reasonEnrollStart:
		return "Scan the QR code with an authenticator app, then enter the 6-digit code it shows to finish.", "info"
	case reasonBadPasskey:
		return "The passkey was not accepted. Try again, or enter a code.", "error"
	case reasonPasskeyStart:
		return "Create the passkey: your browser asks your device (a security key, your phone or this computer) to make one for this site.", "info"
	case reasonPasskeyAdded:
		return "Your passkey is set up: signing in can use it instead of a code.", "info"
	case reasonPasskeyGone:
		return "The passkey was removed.", "info"
	case reasonPasskeyHost:
		return "Passkeys work only when this site is opened by its name (such as localhost), not by an IP address.", "error"
	case reasonNoClient:
		return "Your network address could not be determined, so no sign-in can be bound to it. Please contact the administrator.", "error"
	}
	return "", "info"
}

// pageData is what every template sees. Fields are the template API:
// overrides may use any of them, so renaming one breaks a site's branding.
type pageData struct {
	Title   string // brand title
	Heading string // error page heading
	Base    string // URL prefix of the portal's own pages, ends in '/'
	Static  string // URL prefix of static files, ends in '/'
	Logo    string // logo URL, "" for none

	Reason  string // see reason constants
	Message string
	Kind    string // "error" or "info"

	BackArg     string   // name of the back field
	Back        string   // checked destination kept through a failed attempt
	BackRefused string   // the host of a back URL refused (not allowed_redirects), "?" when unreadable
	User        string   // user name to fill in again after a failure
	CurrentUser string   // who holds the current ticket, if anyone
	Tokens      []string // their tokens (home page)
	Guest       bool     // offer "continue as guest"
	Everywhere  bool     // offer "sign out everywhere" (home page)
	RetryAfter  int      // seconds, when throttled

	// The second factor's pages (code.html, recovery.html, security.html).
	State         string       // the login's signed state, a hidden field of the code form
	OTPEnroll     bool         // the code confirms a new TOTP secret (show QR, OTPSecret)
	QR            template.URL // the otpauth:// URI as a PNG QR code (a data: URL)
	OTPSecret     string       // the TOTP secret, in groups of four, to type in instead
	OTPURI        string       // the otpauth:// URI itself
	RecoveryCodes []string     // one-time recovery codes, shown once
	MFAToken      bool         // the current ticket carries the mfa token
	TOTP          bool         // the user has a confirmed TOTP factor
	RecoveryLeft  int          // their unused recovery codes
	Security      bool         // offer the link to /account/security (home page)

	// Passkeys: the options of a ceremony for static/passkey.js (JSON, in
	// a data- attribute of the form), its signed state, and the user's
	// passkeys (security page).
	PasskeyOptions string
	PasskeyState   string
	Passkeys       []PasskeyView
}

// sampleData fills every field, for the start-up check of templates.
func sampleData() pageData {
	return pageData{
		Title: "Sign in", Heading: "Error", Base: "/", Static: "/static/", Logo: "/static/logo.svg",
		Reason: string(reasonWrong), Message: "m", Kind: "error", BackArg: "back", Back: "/", BackRefused: "app.example.com",
		User: "u", CurrentUser: "u", Tokens: []string{"t"}, Guest: true, Everywhere: true, RetryAfter: 1,
		State: "s", OTPEnroll: true, QR: "data:image/png;base64,", OTPSecret: "ABCD", OTPURI: "otpauth://totp/x",
		RecoveryCodes: []string{"c"}, MFAToken: true, TOTP: true, RecoveryLeft: 1, Security: true,
		PasskeyOptions: "{}", PasskeyState: "s", Passkeys: []PasskeyView{{ID: "i", Created: "c"}},
	}
}

// page starts the data of a page for reason rs.
func (s *state) page(rs reason) pageData {
	d := pageData{
		Title:    s.title,
		Heading:  "Something went wrong",
		Base:     "/",
		Static:   "/static/",
		Reason:   string(rs),
		BackArg:  s.backArg,
		Guest:    s.guest.enabled,
		Security: s.mfa != nil,
	}
	if s.assets.logo != "" {
		d.Logo = d.Static + s.assets.logo
	}
	d.Message, d.Kind = rs.message()
	return d
}

// render writes page with status. Output is buffered so that a template
// error becomes a clean 500 instead of half a page.
func (s *state) render(w http.ResponseWriter, r *http.Request, status int, page string, d pageData) {
	var buf bytes.Buffer
	if err := s.assets.pages[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.ErrorContext(r.Context(), "template failed", "page", page, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// fail renders the error page for rs.
func (s *state) fail(w http.ResponseWriter, r *http.Request, status int, rs reason) {
	d := s.page(rs)
	d.Heading = http.StatusText(status)
	if status == http.StatusNotFound {
		d.Heading = "Page not found"
	}
	s.render(w, r, status, pageError, d)
}

// throttledMessage is the wording with the wait filled in.
func throttledMessage(secs int) string {
	return fmt.Sprintf("Too many attempts, try again in %d s.", secs)
}
