package tkthttp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/tkt-sso/tkt/ticket"
)

// DefaultGuestUser is mod_auth_tkt's guest user name when
// TKTAuthGuestUser is not set.
const DefaultGuestUser = "guest"

// uuidLen is the length of a formatted UUID, the longest %<n>U expansion.
const uuidLen = 36

// GuestUser is a parsed guest user name pattern (TKTAuthGuestUser): text
// with at most one %U or %<n>U, which stands for a random UUID or its
// first n characters. tkthttp's guests and tktd's "continue as guest"
// button read the setting through ParseGuestUser alike.
type GuestUser struct {
	prefix, suffix string
	n              int // UUID characters; 0 means no %U
}

// ParseGuestUser splits pattern at its first %U / %<n>U, as the module's
// regular expression "%([0-9]*)U" does: an n of 0 or more than 36 means the
// whole UUID, and any later %U is text. Unlike the module, a one-character
// prefix is kept (it drops prefixes shorter than two characters, so "g%8U"
// becomes a bare UUID fragment). It refuses a pattern whose names could not
// be a ticket's user id (ticket.CheckUID): empty, or holding '!' or a
// control character.
func ParseGuestUser(pattern string) (GuestUser, error) {
	g := GuestUser{prefix: pattern}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(pattern) && '0' <= pattern[j] && pattern[j] <= '9' {
			j++
		}
		if j >= len(pattern) || pattern[j] != 'U' {
			continue
		}
		n, err := strconv.Atoi(pattern[i+1 : j])
		if err != nil || n <= 0 || n > uuidLen {
			n = uuidLen // also for "%U", where Atoi("") fails
		}
		g = GuestUser{prefix: pattern[:i], suffix: pattern[j+1:], n: n}
		break
	}
	example := g.prefix + g.suffix
	if g.n > 0 {
		example = g.prefix + "0" + g.suffix
	}
	if err := ticket.CheckUID(example); err != nil {
		return GuestUser{}, fmt.Errorf("guest user %q: %w", pattern, err)
	}
	return g, nil
}

// Generate returns a guest user name. Every call with %U gives a new one.
func (g GuestUser) Generate() string {
	if g.n == 0 {
		return g.prefix
	}
	u := newUUID()
	return g.prefix + string(u[:g.n]) + g.suffix
}

// Match reports whether uid is a name Generate could have returned: the
// pattern's text with, where %U stands, lowercase hex digits and the
// UUID's dashes. A front end that renews tickets from the user stores
// knows by it which tickets are guests', which no store holds.
func (g GuestUser) Match(uid string) bool {
	rest, ok := strings.CutPrefix(uid, g.prefix)
	if !ok {
		return false
	}
	if rest, ok = strings.CutSuffix(rest, g.suffix); !ok || len(rest) != g.n {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// newUUID returns a random (version 4) UUID in the lowercase 8-4-4-4-12
// form the module's apr_uuid_format writes.
func newUUID() [uuidLen]byte {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [uuidLen]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return out
}
