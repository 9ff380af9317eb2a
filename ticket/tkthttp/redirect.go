package tkthttp

import (
	"html"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// refuse answers a request that may not proceed. A browser is redirected
// (always 307, as the module does, so a POST stays a POST) to the URL that
// fits the refusal, with the original URL as the back parameter or cookie.
// An API client, or any client when no URL fits, gets a status: 401 when
// logging in would help, 403 when it would not.
func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, o ClientOrigin, why refusal, reason string) {
	api := isAPIClient(r)
	status, target := http.StatusUnauthorized, m.cfg.LoginURL
	switch why {
	case refuseExpired:
		switch {
		case r.Method == http.MethodPost && m.cfg.PostTimeoutURL != "":
			target = m.cfg.PostTimeoutURL
		case m.cfg.TimeoutURL != "":
			target = m.cfg.TimeoutURL
		}
	case refuseToken:
		status, target = http.StatusForbidden, m.cfg.UnauthURL
	case refuseStepUp:
		if target != "" {
			target = addQuery(target, m.cfg.QuerySeparator, StepUpParam)
		}
	case refuseTLS:
		status, target = http.StatusForbidden, ""
		if !api && o.Host != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			// Same URL over https: the login page could do nothing for a
			// request that is refused for its transport, not its ticket.
			m.sendTo(w, r, http.StatusTemporaryRedirect, "https://"+hostOnly(o.Host)+requestPath(r, m.cfg.CookieName), reason)
			return
		}
	}
	if api || target == "" {
		m.challenge(w, status)
		writeRefusal(w, status, reason, api)
		return
	}
	back := url.QueryEscape(m.requestURL(r, o))
	switch {
	case m.cfg.BackCookieName != "":
		m.setBackCookie(w, o, back)
	case !m.cfg.NoBackArg:
		sep := "?"
		if strings.Contains(target, "?") {
			sep = m.cfg.QuerySeparator
		}
		target += sep + m.cfg.BackArg + "=" + back // one allocation, on every login redirect
	}
	if m.cfg.StatusWithLocation {
		w.Header().Set("Location", target)
		m.challenge(w, status)
		writeRefusal(w, status, reason, false)
		return
	}
	redirect(w, r, m.cfg.RedirectStatus, target)
}

// sendTo redirects the browser to location, or, with StatusWithLocation,
// answers 401 naming it in Location for a proxy that performs redirects
// itself and passes nothing else on (nginx's auth_request).
func (m *Middleware) sendTo(w http.ResponseWriter, r *http.Request, status int, location, reason string) {
	if m.cfg.StatusWithLocation {
		w.Header().Set("Location", location)
		writeRefusal(w, http.StatusUnauthorized, reason, false)
		return
	}
	redirect(w, r, status, location)
}

// redirect answers status (a 30x) with a short note for those who read
// bodies. No cache may keep it: the same URL answers differently once
// logged in.
func redirect(w http.ResponseWriter, r *http.Request, status int, location string) {
	h := w.Header()
	h.Set("Location", location)
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(`<a href="` + html.EscapeString(location) + `">` + http.StatusText(status) + `</a>.` + "\n"))
		return
	}
	w.WriteHeader(status)
}

// challenge adds the configured WWW-Authenticate to a 401, telling a
// client that it may send credentials (HTTP Basic where a front end takes
// them).
func (m *Middleware) challenge(w http.ResponseWriter, status int) {
	if status == http.StatusUnauthorized && m.cfg.Challenge != "" {
		w.Header().Set("WWW-Authenticate", m.cfg.Challenge)
	}
}

// writeRefusal answers with a status and a fixed reason: JSON for API
// clients, plain text for the rest.
func writeRefusal(w http.ResponseWriter, status int, reason string, api bool) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if api {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		// reason is one of our fixed strings; Quote keeps it valid JSON anyway.
		w.Write([]byte(`{"error":` + strconv.Quote(reason) + "}\n"))
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(http.StatusText(status) + ": " + reason + "\n"))
}

// isAPIClient tells a script from a browser: a script says so with
// X-Requested-With, or asks for JSON and not for HTML. Browsers navigate
// with "text/html,...,*/*", and a redirect to a login page is useless to a
// script.
func isAPIClient(r *http.Request) bool {
	if r.Header.Get("X-Requested-With") != "" {
		return true
	}
	json, htmlWanted := false, false
	for _, line := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(line, ",") {
			mt, _, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			switch {
			case mt == "text/html" || mt == "application/xhtml+xml":
				htmlWanted = true
			case mt == "application/json" || strings.HasSuffix(mt, "+json"):
				json = true
			}
		}
	}
	return json && !htmlWanted
}

// requestURL is the exact URL the client asked for, minus any URL ticket,
// as the back URL. The module rebuilds it instead: it cuts the port (a
// bug: it trims the Host header in place), decodes the path and joins the
// query with '&'.
func (m *Middleware) requestURL(r *http.Request, o ClientOrigin) string {
	if o.Host == "" { // HTTP/1.0 without Host: the path is all we know
		return requestPath(r, m.cfg.CookieName)
	}
	scheme := "http"
	if o.HTTPS {
		scheme = "https"
	}
	return scheme + "://" + o.Host + requestPath(r, m.cfg.CookieName)
}

// requestPath is the request target as the client sent it (path and
// query, still escaped), without the URL ticket parameter name.
func requestPath(r *http.Request, name string) string {
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		// absolute-form (a proxy request) or a request built in code
		target = r.URL.RequestURI()
	}
	path, query, hasQuery := strings.Cut(target, "?")
	if !hasQuery {
		return path
	}
	query = stripParam(query, name)
	if query == "" {
		return path
	}
	return path + "?" + query
}

// stripParam removes every name=... (or bare name) from a raw query split
// on '&', leaving the rest byte for byte.
func stripParam(query, name string) string {
	if !strings.Contains(query, name) {
		return query
	}
	var b strings.Builder
	kept := false
	for part := range strings.SplitSeq(query, "&") {
		if k, _, _ := strings.Cut(part, "="); k == name {
			continue
		}
		if kept {
			b.WriteByte('&')
		}
		b.WriteString(part)
		kept = true
	}
	return b.String()
}

// hostOnly cuts the port from host[:port], keeping IPv6 brackets.
func hostOnly(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			return host[:i+1]
		}
		return ""
	}
	if i := strings.IndexByte(host, ':'); i >= 0 {
		return host[:i]
	}
	return host
}
