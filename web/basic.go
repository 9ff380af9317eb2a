package web

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// BasicConfig let scripts, curl and API clients send a user name and
// password with every request (HTTP Basic), at /auth where a rule allows it
// and at the gate.
type BasicConfig struct {
	// Passwords checks them: the portal's throttle and store timeout over
	// a credential cache (Portal.Passwords), or the gate's own
	// (NewPasswords). Required.
	Passwords *Passwords
	// Realm names the protection space in WWW-Authenticate; default "tkt".
	Realm string
	// IssueTicket answers a good password with a ticket cookie as well, so
	// that a client that keeps cookies skips the store from then on
	// (mod_auth_cache's idea). The password is never in the cookie.
	IssueTicket bool
	// Sessions, when set, records a server-side session for every ticket
	// IssueTicket sends, as the portal does at login: a client that sends
	// its password with every request and keeps no cookie makes a record
	// each time. Without a recorded session no ticket is sent (the
	// request goes on: its password was right).
	Sessions Sessions
}

// basicAuth checks HTTP Basic credentials for /auth and the gate.
type basicAuth struct {
	passwords *Passwords
	challenge string
	issue     bool
	sessions  Sessions         // nil: tickets without a session
	verifier  *ticket.Verifier // mints the optional ticket
	cookie    CookieConfig
	log       *slog.Logger
	metrics   Metrics
	now       func() time.Time
}

func newBasicAuth(o *BasicConfig, tc ticket.Config, cookie CookieConfig, log *slog.Logger, now func() time.Time) (*basicAuth, error) {
	if o == nil {
		return nil, nil
	}
	if o.Passwords == nil {
		return nil, errors.New("HTTP Basic: no password checker")
	}
	if strings.ContainsAny(o.Realm, "\"\\\r\n") {
		return nil, errors.New("HTTP Basic: the realm must not hold quotes, backslashes or line breaks")
	}
	v, err := ticket.NewVerifier(tc)
	if err != nil {
		return nil, err
	}
	cookie.Name = cmp.Or(cookie.Name, ticket.DefaultCookieName)
	cookie.Path = cmp.Or(cookie.Path, "/")
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &basicAuth{
		passwords: o.Passwords,
		challenge: basicChallenge(o.Realm),
		issue:     o.IssueTicket,
		sessions:  o.Sessions,
		verifier:  v,
		cookie:    cookie,
		log:       log,
		metrics:   o.Passwords.metrics,
		now:       now,
	}, nil
}

// basicChallenge is the WWW-Authenticate of a 401 where Basic is taken.
func basicChallenge(realm string) string {
	return `Basic realm="` + cmp.Or(realm, "tkt") + `", charset="UTF-8"`
}

// hasBasic reports whether the request carries Basic credentials.
func hasBasic(r *http.Request) bool {
	h := r.Header["Authorization"]
	return len(h) > 0 && len(h[0]) > 6 && strings.EqualFold(h[0][:6], "basic ")
}

// authenticate checks the request's Basic credentials against the stores
// and the requirement (the rule's tokens and users). It returns the identity and
// true, having set the optional ticket cookie on w; or it has answered:
// 401 with the challenge for a wrong or unreadable password, 403 for a
// missing token, 429 (403 in the status style, which nginx can pass on)
// while throttled, 503 when the store cannot answer.
func (b *basicAuth) authenticate(w http.ResponseWriter, r *http.Request, o tkthttp.ClientOrigin, require tkthttp.Requirement, statusStyle bool) (tkthttp.Identity, bool) {
	now := b.now()
	refuse := func(status int, result, why, user, reason string) (tkthttp.Identity, bool) {
		level := slog.LevelWarn
		if status == http.StatusServiceUnavailable {
			level = slog.LevelError
		}
		logLogin(b.log, b.metrics, r, level, result, "basic: "+why, user, o)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", b.challenge)
		}
		forwardError(w, status, reason)
		return tkthttp.Identity{}, false
	}
	user, password, ok := r.BasicAuth()
	if !ok || user == "" || password == "" {
		return refuse(http.StatusUnauthorized, resultBadRequest, "unreadable or empty credentials", user, "send a user name and password")
	}
	id, err := b.passwords.Check(r.Context(), user, password, o.Addr, now)
	var throttled *ThrottledError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(throttled.RetryAfter))
		status := http.StatusTooManyRequests
		if statusStyle {
			status = http.StatusForbidden
		}
		return refuse(status, resultThrottled, err.Error(), user, throttledMessage(throttled.RetryAfter))
	case errors.Is(err, authsrc.ErrUnavailable):
		return refuse(http.StatusServiceUnavailable, resultUnavailable, err.Error(), user, "the user store is unavailable, try again later")
	case err != nil:
		return refuse(http.StatusUnauthorized, resultInvalid, "wrong user name or password", user, "wrong user name or password")
	}
	t := ticketFor(r.Context(), b.log, id, user, now)
	if !require.Admits(t) {
		return refuse(http.StatusForbidden, resultOK, "password right, required token missing", t.UID, "a required group is missing")
	}
	who := tkthttp.Identity{Ticket: t}
	if b.issue {
		who.Session = b.issueTicket(w, r, o, t, now)
	}
	logLogin(b.log, b.metrics, r, slog.LevelDebug, resultOK, "basic", t.UID, o)
	return who, true
}

// issueTicket sends the client a ticket for t, carrying a new session
// with sessions on, and returns the session's id. Failing that, no ticket
// is sent: the request goes on without one.
func (b *basicAuth) issueTicket(w http.ResponseWriter, r *http.Request, o tkthttp.ClientOrigin, t ticket.Ticket, now time.Time) string {
	st, err := withSession(r.Context(), b.sessions, r, o, t)
	if err != nil {
		b.log.WarnContext(r.Context(), "basic: ticket not issued: the session could not be recorded", "user", t.UID, "reason", err.Error())
		return ""
	}
	raw, err := b.verifier.Mint(st, o.Addr)
	if err != nil {
		b.log.WarnContext(r.Context(), "basic: ticket not issued", "user", t.UID, "reason", err.Error())
		return ""
	}
	http.SetCookie(w, b.cookie.ticketCookie(ticket.Encode(raw), o, now))
	b.metrics.TicketIssued()
	sid, _ := st.Tokens.Session()
	return sid
}
