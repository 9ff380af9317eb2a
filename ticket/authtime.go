package ticket

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// AuthPrefix starts the token that records when the user last proved who
// they are interactively (a password at tktd's portal): "tkt-auth:" and
// that time in Unix seconds, base 10. It is signed with the rest of the
// ticket, and refreshes keep it, so a validator can tell how old a login
// is however often its ticket was re-stamped (a rule's max_auth_age) and
// cap the refreshes (Config.MaxLifetime). Like SessionPrefix it is
// reserved: no required token may start with it, tkt's validators take it
// out of the tokens they pass on, and validators that know nothing of it
// (mod_auth_tkt) see one more token.
const AuthPrefix = "tkt-auth:"

// maxAuthDigits is the length of the largest time the format holds,
// 4294967295 (2106), the ticket's own time range.
const maxAuthDigits = 10

// AuthTime returns the time the tokens record as the user's last
// interactive proof, and false when they record none. A token that
// cannot be read (not 1 to 10 digits, or past the format's range) is
// none: a ticket without an auth time counts as signed in infinitely
// long ago. Of several, the first counts. It allocates nothing.
func (t Tokens) AuthTime() (time.Time, bool) {
	s, ok := t.authUnix()
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(s, 0), true
}

// authUnix is AuthTime in Unix seconds.
func (t Tokens) authUnix() (int64, bool) {
	s := string(t)
	i := tokenWithPrefix(s, AuthPrefix)
	if i < 0 {
		return 0, false
	}
	v := s[i+len(AuthPrefix):]
	if end := strings.IndexByte(v, ','); end >= 0 {
		v = v[:end]
	}
	return parseAuthUnix(v)
}

// parseAuthUnix reads 1 to 10 decimal digits within the format's range.
func parseAuthUnix(v string) (int64, bool) {
	if len(v) == 0 || len(v) > maxAuthDigits {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= math.MaxUint32
}

// WithAuthTime returns t recording at as the user's last interactive
// proof, in place of any auth token it carried: after the user's groups
// (and the guest token, which it keeps) and before the session token, where Groups and Session find both
// without allocating. The zero at takes the auth token out. A time
// outside the format's range (1970 to 2106) is left out too, as Mint
// would refuse it.
func (t Tokens) WithAuthTime(at time.Time) Tokens {
	sid, _ := t.Session()
	hasSID := sid != "" || hasPrefixToken(string(t), SessionPrefix)
	out := string(t.Groups())
	if t.Guest() { // a guest stays one
		out = joinToken(out, GuestToken)
	}
	if s := at.Unix(); !at.IsZero() && s >= 0 && s <= math.MaxUint32 {
		out = joinToken(out, AuthPrefix+strconv.FormatInt(s, 10))
	}
	if hasSID {
		out = joinToken(out, SessionPrefix+sid)
	}
	return Tokens(out)
}

// Authenticated returns t recording now as the user's last interactive
// proof: what a login page mints after the user proved who they are
// (a password, a second factor, a passkey), and what a refresh must not
// do.
func (t Ticket) Authenticated(now time.Time) Ticket {
	t.Tokens = t.Tokens.WithAuthTime(now)
	return t
}

// reservedToken reports whether tok is one that tkt adds to a ticket
// (AuthPrefix, SessionPrefix, GuestToken), not one of the user's groups.
func reservedToken(tok string) bool {
	return strings.HasPrefix(tok, AuthPrefix) || strings.HasPrefix(tok, SessionPrefix) || tok == GuestToken
}

// Groups returns the tokens without the reserved ones (AuthPrefix,
// SessionPrefix, GuestToken): the user's groups, as a validator passes
// them on. When the reserved tokens come last, as tktd writes them,
// nothing is allocated.
func (t Tokens) Groups() Tokens {
	s := string(t)
	end := len(s) // s[:end] is what is left once reserved tokens are cut from the end
	for end > 0 {
		i := strings.LastIndexByte(s[:end], ',') + 1
		if !reservedToken(s[i:end]) {
			break
		}
		end = max(i-1, 0)
	}
	head := s[:end]
	if !hasPrefixToken(head, AuthPrefix) && !hasPrefixToken(head, SessionPrefix) && !Tokens(head).Guest() {
		return Tokens(head)
	}
	var kept []string
	for tok := range strings.SplitSeq(s, ",") {
		if !reservedToken(tok) {
			kept = append(kept, tok)
		}
	}
	return Tokens(strings.Join(kept, ","))
}

// hasPrefixToken reports whether a token of s starts with prefix.
func hasPrefixToken(s, prefix string) bool { return tokenWithPrefix(s, prefix) >= 0 }

// joinToken appends tok to the token list s.
func joinToken(s, tok string) string {
	if s == "" {
		return tok
	}
	return s + "," + tok
}
