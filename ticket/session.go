package ticket

import (
	"fmt"
	"strings"
)

// SessionPrefix starts the token that carries a server-side session id
// (tktd's sessions): "tkt-sid:" and the id. The prefix is reserved: no
// required token may start with it (NewVerifier refuses one), since a
// session id says who may end a ticket, not what its user may do; and
// tkt's validators take the token out of the tokens they pass on.
// Validators that know nothing of it (mod_auth_tkt) see it as one more
// token.
const SessionPrefix = "tkt-sid:"

// SessionIDLen is the length of a session id: 16 random bytes in
// unpadded base64url.
const SessionIDLen = 22

// CheckRequiredToken reports why tok cannot be a required token (the
// TKTAuthToken of a location), or nil: it must be a token (CheckToken),
// and not a reserved one: a session token admits the holder of one
// session, an auth-time token (AuthPrefix) the logins of one second, the
// guest token (GuestToken) anyone at all, not a group of users. Groups
// from a user store are held to it too, so that whoever names a group
// cannot give its members either.
func CheckRequiredToken(tok string) error {
	if err := CheckToken(tok); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(tok, SessionPrefix):
		return fmt.Errorf("%w: token %q starts with %q, reserved for session ids", ErrInvalid, tok, SessionPrefix)
	case strings.HasPrefix(tok, AuthPrefix):
		return fmt.Errorf("%w: token %q starts with %q, reserved for the time of the login", ErrInvalid, tok, AuthPrefix)
	case tok == GuestToken:
		return fmt.Errorf("%w: token %q is reserved for guests' tickets", ErrInvalid, tok)
	}
	return nil
}

// CheckSessionID reports why sid cannot be a session id, or nil.
func CheckSessionID(sid string) error {
	if len(sid) != SessionIDLen {
		return fmt.Errorf("%w: session id of %d bytes, want %d", ErrInvalid, len(sid), SessionIDLen)
	}
	for i := 0; i < len(sid); i++ {
		if !base64URL(sid[i]) {
			return fmt.Errorf("%w: session id holds %q (want base64url: A-Z a-z 0-9 - _)", ErrInvalid, sid[i])
		}
	}
	return nil
}

func base64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Session returns the session id the tokens carry, "" for none, and the
// tokens without it. A ticket carries one session token, last, as tktd
// writes it: then nothing is allocated. Should there be several, the
// first one's id is returned and all are left out of rest.
func (t Tokens) Session() (sid string, rest Tokens) {
	s := string(t)
	i := tokenWithPrefix(s, SessionPrefix)
	if i < 0 {
		return "", t
	}
	end := strings.IndexByte(s[i:], ',')
	if end < 0 { // the last token: the usual layout
		return s[i+len(SessionPrefix):], Tokens(strings.TrimSuffix(s[:i], ","))
	}
	sid = s[i+len(SessionPrefix) : i+end]
	var kept []string
	for tok := range strings.SplitSeq(s, ",") {
		if !strings.HasPrefix(tok, SessionPrefix) {
			kept = append(kept, tok)
		}
	}
	return sid, Tokens(strings.Join(kept, ","))
}

// tokenWithPrefix is the index of the first token of s that starts with
// prefix, or -1.
func tokenWithPrefix(s, prefix string) int {
	for from := 0; ; {
		j := strings.Index(s[from:], prefix)
		if j < 0 {
			return -1
		}
		j += from
		if j == 0 || s[j-1] == ',' {
			return j
		}
		from = j + 1
	}
}

// WithSession returns t carrying sid's session token, last, in place of
// any it carried; sid "" takes the session token out.
func (t Tokens) WithSession(sid string) Tokens {
	_, rest := t.Session()
	switch {
	case sid == "":
		return rest
	case rest == "":
		return Tokens(SessionPrefix + sid)
	}
	return rest + "," + Tokens(SessionPrefix+sid)
}
