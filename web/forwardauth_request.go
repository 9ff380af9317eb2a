package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tkt-sso/tkt/ticket/tkthttp"
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

// original rebuilds the request a proxy asks about. Each endpoint reads
// one convention and ignores the others' headers, since a proxy passes
// the client's own headers on to the subrequest and replaces only those it
// writes itself (a client-sent X-Original-URL reaches /auth through Caddy
// or Traefik untouched):
//
//   - Path (/auth): X-Forwarded-Uri and X-Forwarded-Method with the
//     X-Forwarded-Proto and X-Forwarded-Host (or Forwarded) that the
//     origin was read from: Traefik, Caddy, the HAProxy action. Redirect
//     style.
//   - Path+"/nginx": X-Original-URL and X-Original-Method, nginx's
//     auth_request convention. Status style.
//   - Path+"/envoy/app/x": asks about /app/x on the request's own host
//     (or X-Forwarded-Host), as Envoy's ext_authz path_prefix sends it.
//     Redirect style.
//
// o, the asking proxy's origin, is corrected to the original request's
// scheme and host.
func (st *forwardState) original(r *http.Request, o *tkthttp.ClientOrigin) (*http.Request, forwardStyle, error) {
	h := r.Header
	style := styleRedirect
	var target, methodKey string
	switch rest := strings.TrimPrefix(r.URL.Path, st.path); {
	case rest == "":
		target, methodKey = header(h, "X-Forwarded-Uri"), "X-Forwarded-Method"
		// The host must be the proxy's word (X-Forwarded-Host, or the host
		// of a Forwarded element, whichever trusted_proxies write), one
		// name only: falling back to our own Host, or picking one of a
		// list, would judge the request against another host's rules.
		if target == "" || !o.HostForwarded {
			return nil, 0, errors.New("no original request: send X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri (or use " + st.path + "/nginx with X-Original-URL)")
		}
		if xfh := h["X-Forwarded-Host"]; len(xfh) > 1 || len(xfh) == 1 && strings.IndexByte(xfh[0], ',') >= 0 || len(h["X-Forwarded-Uri"]) > 1 {
			return nil, 0, errors.New("more than one X-Forwarded-Host or X-Forwarded-Uri")
		}
	case rest == "/nginx":
		v := header(h, "X-Original-Url")
		if v == "" {
			return nil, 0, errors.New("no original request: send X-Original-URL")
		}
		if len(h["X-Original-Url"]) > 1 {
			return nil, 0, errors.New("more than one X-Original-URL")
		}
		https, host, t, err := splitOriginalURL(v)
		if err != nil {
			return nil, 0, err
		}
		o.HTTPS, o.Host, target, style = https, host, t, styleStatus
		methodKey = "X-Original-Method"
	case strings.HasPrefix(rest, "/envoy/"):
		uri := r.RequestURI
		if !strings.HasPrefix(uri, "/") { // absolute-form, or a request built in code
			uri = r.URL.RequestURI()
		}
		// The prefix as sent, not as decoded: /auth/%65nvoy/x is no
		// request under /auth/envoy/.
		var ok bool
		if target, ok = strings.CutPrefix(uri, st.path+"/envoy"); !ok {
			return nil, 0, errors.New("the request path must start with " + st.path + "/envoy/ as written")
		}
	default:
		return nil, 0, errors.New("no such forward-auth endpoint: use " + st.path + ", " + st.path + "/nginx or " + st.path + "/envoy/")
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
	if or.req.Method, err = st.originalMethod(h, methodKey, r.Method); err != nil {
		return nil, 0, err
	}
	if st.networkRules && !o.AddrForwarded {
		// Without it the client's address is the proxy's own, which a
		// rule's networks may well hold: every client would match.
		return nil, 0, errors.New("no client address: a rule matches by network, so the proxy must send the client's address in X-Forwarded-For")
	}
	return &or.req, style, nil
}

// originalMethod is the original request's method: the proxy's word in
// header key (Envoy, which has none, asks with the original method
// itself). The client must not choose what a rule's methods see: a
// value that is no HTTP method, or more than one, is an error rather than
// the subrequest's own GET, and it is upper-cased, since applications
// that read "delete" as DELETE are common. A missing header is an error
// too when a rule matches by method; otherwise nothing depends on it.
func (st *forwardState) originalMethod(h http.Header, key, own string) (string, error) {
	if key == "" {
		return own, nil
	}
	switch v := h[key]; {
	case len(v) > 1:
		return "", errors.New("more than one " + key)
	case len(v) == 0 || v[0] == "":
		if st.methodRules {
			return "", errors.New("no " + key + ": a rule matches by method, so the proxy must send the original method (see docs/proxies.md)")
		}
		return own, nil
	case !httpToken(v[0]) || len(v[0]) > 32:
		return "", errors.New(key + " is not an HTTP method")
	default:
		return strings.ToUpper(v[0]), nil
	}
}

// httpToken reports whether s is an RFC 9110 token, what a method is.
func httpToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
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
	if _, _, err := tkthttp.SplitAuthority(host); err != nil {
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

// header is h.Get for a key already in canonical form, without folding
// it again on every question a proxy asks.
func header(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
