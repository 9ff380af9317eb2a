package tkthttp

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// urlTicket handles a ticket in the URL (?auth_tkt=...), the hand-over of a
// login on another domain. Only hosts on the allow-list take one, and only
// a good one: it is checked before any cookie is set, the cookie gets our
// usual attributes, and the answer is a redirect to the same URL without
// the parameter, so the ticket does not linger in the address bar,
// history, logs or Referer. (With StatusWithLocation that redirect is a
// 401 naming the URL in Location, which nginx's error_page turns into the
// redirect, passing the cookie on with it.) (The module copies any value into the cookie
// verbatim before checking it, on any host, and serves the page.)
//
// done says the request has been answered. Otherwise a bad URL ticket's
// result and error are returned for Authenticate to fall back on.
func (m *Middleware) urlTicket(w http.ResponseWriter, r *http.Request, o ClientOrigin, now time.Time) (res ticket.Result, err error, done bool) {
	if m.urlHosts.Empty() || r.URL.RawQuery == "" {
		return ticket.Result{}, nil, false
	}
	value, found := queryValue(r.URL.RawQuery, m.cfg.CookieName)
	if !found {
		return ticket.Result{}, nil, false
	}
	if !m.urlHosts.AllowsAuthority(o.Host) {
		m.log.LogAttrs(r.Context(), slog.LevelInfo, "URL ticket ignored: host not on the allow-list",
			slog.String("host", o.Host), slog.String("client", o.Addr.String()))
		return ticket.Result{}, nil, false
	}
	res, cookie, err := m.verifyURLValue(value, o.Addr, now)
	err = m.revocation(res, err)
	if err != nil && !errors.Is(err, ticket.ErrMissingToken) {
		m.logRefusal(r, o, res.UID, err)
		return res, err, false
	}
	if res.ShouldReissue() {
		if _, fresh, rerr := m.renewed(r.Context(), res, o.Addr, now); rerr == nil {
			cookie = fresh
		}
	}
	m.setTicketCookie(w, o, cookie, now)
	m.log.LogAttrs(r.Context(), slog.LevelDebug, "URL ticket accepted", slog.String("user", res.UID))
	m.sendTo(w, r, http.StatusTemporaryRedirect, m.requestURL(r, o), "the ticket moves from the URL to a cookie")
	return res, nil, true
}

// verifyURLValue checks a URL ticket as the module would (the raw value:
// base64, "%21"-escaped or plain ticket text), then, failing that, once
// percent-decoded, for login pages that escape base64's '+', '/' and '='.
// It returns the cookie value for a ticket whose signature is good: the
// canonical encoding of the text that verified, never the caller's bytes.
func (m *Middleware) verifyURLValue(value string, client netip.Addr, now time.Time) (ticket.Result, string, error) {
	res, err := m.verifier.Verify(value, client, now)
	if err != nil && !errors.Is(err, ticket.ErrMissingToken) && strings.Contains(value, "%") {
		if un, uerr := url.PathUnescape(value); uerr == nil && un != value {
			if res2, err2 := m.verifier.Verify(un, client, now); err2 == nil || errors.Is(err2, ticket.ErrMissingToken) {
				value, res, err = un, res2, err2
			}
		}
	}
	if err != nil && !errors.Is(err, ticket.ErrMissingToken) {
		return res, "", err
	}
	raw, derr := ticket.DecodeValue(value)
	if derr != nil { // cannot happen: Verify decoded it
		return res, "", derr
	}
	return res, ticket.Encode(raw), err
}

// queryValue returns the raw (still escaped) value of the first name=...
// in a query split on '&', as the module reads URL tickets. An empty value
// counts as absent.
func queryValue(query, name string) (string, bool) {
	for part := range strings.SplitSeq(query, "&") {
		if k, v, _ := strings.Cut(part, "="); k == name {
			if v == "" {
				continue
			}
			return v, true
		}
	}
	return "", false
}
