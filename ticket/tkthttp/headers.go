package tkthttp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrHeaderValue: an identity field cannot travel in an HTTP header as it
// stands (it holds a control character such as a newline).
var ErrHeaderValue = errors.New("value cannot be carried in an HTTP header")

// IdentityHeaders names the request headers that carry an identity to an
// application behind a proxy. The middleware itself sets no headers: a
// Go handler reads IdentityFrom; a proxy in front of another program calls
// Set on the outgoing request.
type IdentityHeaders struct {
	User   string // "" means Remote-User
	Groups string // "" means Remote-Groups (the tokens, comma-separated)
	Data   string // "" means Remote-Data
}

func (h IdentityHeaders) names() [3]string {
	// The defaults are canonical already: no folding on the hot path.
	name := func(n, def string) string {
		if n == "" {
			return def
		}
		return http.CanonicalHeaderKey(n)
	}
	return [3]string{name(h.User, "Remote-User"), name(h.Groups, "Remote-Groups"), name(h.Data, "Remote-Data")}
}

// Strip removes the identity headers from a request's headers, in every
// spelling a client could sneak one through: any case, and with '_' for
// '-' (CGI, PHP and WSGI map both to the same HTTP_REMOTE_USER variable).
func (h IdentityHeaders) Strip(header http.Header) {
	h.strip(header, h.names())
}

func (h IdentityHeaders) strip(header http.Header, names [3]string) {
	for k := range header {
		folded := strings.ReplaceAll(k, "_", "-")
		for _, n := range names {
			if strings.EqualFold(folded, n) {
				delete(header, k)
				break
			}
		}
	}
}

// Set strips the identity headers (see Strip), then writes id's user,
// tokens and data. A guest with an empty name gets an empty user header.
// When a field holds a control character nothing is set and the error
// matches ErrHeaderValue: the caller must refuse the request, since an
// application would otherwise take the missing header for "anonymous".
func (h IdentityHeaders) Set(header http.Header, id Identity) error {
	names := h.names()
	h.strip(header, names)
	if err := h.Check(id); err != nil {
		return err
	}
	// One backing array for the three values: a header each, capped so
	// that an append to one cannot reach the next.
	vals := []string{id.UID, string(id.Tokens), id.Data}
	for i := range vals {
		header[names[i]] = vals[i : i+1 : i+1]
	}
	return nil
}

// Check reports whether Set can carry id: an error matching
// ErrHeaderValue names the first field that holds a control character.
func (h IdentityHeaders) Check(id Identity) error {
	for i, v := range [3]string{id.UID, string(id.Tokens), id.Data} {
		if !validHeaderValue(v) {
			return fmt.Errorf("%s: %w", h.names()[i], ErrHeaderValue)
		}
	}
	return nil
}

// validHeaderValue follows RFC 9110 field values: visible ASCII, space,
// tab and bytes >= 0x80 (UTF-8 passes as obs-text).
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
