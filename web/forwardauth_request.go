package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tkt-sso/tkt/ticket"
)

// forwardStyle is how a refusal is answered.
type forwardStyle uint8

const (
	// styleStatus answers 401 or 403, naming the login page in Location,
	// and leaves the redirect to the proxy: nginx's auth_request can do
	// nothing else with an answer.
	styleStatus forwardStyle = iota
	// styleRedirect sends browsers to the login page: Traefik, Caddy and
	// Envoy hand a refusal to the client as it stands.
	styleRedirect
)

// originalRequest is the request a proxy asks about, with its URL in the
// same allocation.
type originalRequest struct {
	req http.Request
	url url.URL
}

var errNoOriginal = errors.New("no original URL: send X-Original-URL (nginx), or X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri (Traefik, Caddy)")

// original rebuilds the request a proxy asks about from what it says:
//
//   - X-Original-URL, the whole URL (nginx's auth_request convention),
//     answered in the status style;
//   - X-Forwarded-Uri with X-Forwarded-Proto and X-Forwarded-Host
//     (Traefik, Caddy), answered in the redirect style;
//   - a request under the endpoint's path, /auth/app/x asking about
//     /app/x on the request's host (Envoy's path_prefix), redirect style.
//
// The method is X-Original-Method or X-Forwarded-Method, else the
// request's own. A mode=status or mode=redirect query on the endpoint
// overrides the style. o, the asking proxy's origin, is corrected to the
// original request's scheme and host.
func (st *forwardState) original(r *http.Request, o *ticket.ClientOrigin) (*http.Request, forwardStyle, error) {
	h := r.Header
	style := styleRedirect
	var target string
	if v := header(h, "X-Original-Url"); v != "" {
		https, host, t, err := splitOriginalURL(v)
		if err != nil {
			return nil, 0, err
		}
		o.HTTPS, o.Host, target, style = https, host, t, styleStatus
	} else if v := header(h, "X-Forwarded-Uri"); v != "" {
		target = v
	} else if rest, ok := strings.CutPrefix(r.URL.Path, st.path); ok && strings.HasPrefix(rest, "/") {
		uri := r.RequestURI
		if !strings.HasPrefix(uri, "/") { // absolute-form, or a request built in code
			uri = r.URL.RequestURI()
		}
		target = strings.TrimPrefix(uri, st.path)
	} else {
		return nil, 0, errNoOriginal
	}
	if r.URL.Path == st.path && r.URL.RawQuery != "" {
		q, _ := url.ParseQuery(r.URL.RawQuery) // what parses counts
		switch q.Get("mode") {
		case "status":
			style = styleStatus
		case "redirect":
			style = styleRedirect
		}
	}
	if !validTarget(target) {
		return nil, 0, errors.New("the original request target is not a path and query")
	}
	or := &originalRequest{req: *r}
	path, query, _ := strings.Cut(target, "?")
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, 0, errors.New("the original path has a bad escape")
	}
	or.url.Path, or.url.RawQuery = unescaped, query
	if unescaped != path {
		or.url.RawPath = path
	}
	or.req.URL = &or.url
	or.req.RequestURI = target
	or.req.Host = o.Host
	or.req.Method = originalMethod(h, r.Method)
	return &or.req, style, nil
}

// splitOriginalURL reads an absolute http(s) URL into its scheme, its
// authority (checked as the redirect allow-list checks hosts) and its
// request target.
func splitOriginalURL(s string) (https bool, host, target string, err error) {
	rest, ok := cutPrefixFold(s, "https://")
	if ok {
		https = true
	} else if rest, ok = cutPrefixFold(s, "http://"); !ok {
		return false, "", "", errors.New("X-Original-URL is not an http or https URL")
	}
	host, target = rest, "/"
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		host, target = rest[:i], rest[i:]
		if target[0] == '?' {
			target = "/" + target
		}
	}
	if _, _, err := splitAuthority(lower(host)); err != nil {
		return false, "", "", errors.New("X-Original-URL has a bad host: " + err.Error())
	}
	return https, host, target, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// validTarget accepts an origin-form request target: a path starting with
// one '/' (never "//host", which a back URL would read as another host),
// an optional query, no fragment, nothing a header could not carry.
func validTarget(t string) bool {
	if t == "" || t[0] != '/' || strings.HasPrefix(t, "//") || len(t) > 8<<10 {
		return false
	}
	for _, c := range []byte(t) {
		if c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// originalMethod is the method the proxy reports, if it is a plain token.
func originalMethod(h http.Header, own string) string {
	for _, k := range [...]string{"X-Original-Method", "X-Forwarded-Method"} {
		if m := header(h, k); m != "" && len(m) <= 16 && strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			return m
		}
	}
	return own
}

// header is h.Get for a key already in canonical form, without folding
// it again on every question a proxy asks.
func header(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
