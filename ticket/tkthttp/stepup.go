package tkthttp

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// ErrAuthTooOld: the ticket is valid, but the login it records
// (ticket.Tokens.AuthTime) is older than Config.MaxAuthAge, or it records
// none. Signing in again helps: a browser is sent to the login URL with
// StepUpParam.
var ErrAuthTooOld = errors.New("login too old: confirm it's you")

// StepUpParam is added to the login URL's query when a ticket's login is
// too old for the location (Config.MaxAuthAge): tkt's portal then asks
// for the password again, saying "confirm it's you", even of a user whose
// ticket is valid, and returns to the back URL after the sign-in. A login
// page of another make must do the same: one that sends a signed-in user
// straight back would loop.
const StepUpParam = "reason=reauth"

// authFresh reports whether t's login is recent enough for the location:
// always without a MaxAuthAge; otherwise when t records an auth time no
// more than MaxAuthAge before now. A ticket without one (minted by
// mod_auth_tkt's login pages, tktctl mint, an older tktd) counts as
// infinitely old.
func (m *Middleware) authFresh(t ticket.Ticket, now time.Time) bool {
	if m.cfg.MaxAuthAge <= 0 {
		return true
	}
	at, ok := t.Tokens.AuthTime()
	return ok && now.Sub(at) <= m.cfg.MaxAuthAge
}

// refuseBearerStepUp answers a bearer ticket whose login is too old as
// RFC 9470 (OAuth 2.0 step-up authentication) says: 401 with
// error="insufficient_user_authentication" and the max_age a new login
// must meet.
func (m *Middleware) refuseBearerStepUp(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_user_authentication", error_description="`+
		ErrAuthTooOld.Error()+`", max_age=`+strconv.FormatInt(int64(m.cfg.MaxAuthAge/time.Second), 10))
	writeRefusal(w, http.StatusUnauthorized, ErrAuthTooOld.Error(), true)
}

// addQuery appends param (name=value, escaped) to target's query, after
// sep when target has one already.
func addQuery(target, sep, param string) string {
	if strings.Contains(target, "?") {
		return target + sep + param
	}
	return target + "?" + param
}
