package ticket

import (
	"errors"
	"iter"
	"net/netip"
	"strings"
	"time"
)

// DefaultCookieName is mod_auth_tkt's default TKTAuthCookieName.
const DefaultCookieName = "auth_tkt"

// CookieValues yields the non-empty values of the cookies called name in a
// Cookie header, in order. Like mod_auth_tkt, "name=" counts at the start
// of the header or after ';' or a space, never as the end of another
// cookie's name, and a value runs to the next ';'.
func CookieValues(header, name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if name == "" {
			return
		}
		for i := 0; i < len(header); {
			j := strings.Index(header[i:], name)
			if j < 0 {
				return
			}
			start := i + j
			end := start + len(name)
			i = end
			if end >= len(header) || header[end] != '=' {
				continue
			}
			if start > 0 && header[start-1] != ';' && header[start-1] != ' ' {
				continue
			}
			val := header[end+1:]
			if k := strings.IndexByte(val, ';'); k >= 0 {
				val = val[:k]
			}
			i = end + 1 + len(val)
			if val == "" {
				continue
			}
			if !yield(val) {
				return
			}
		}
	}
}

// VerifyCookies verifies every cookie called name in the Cookie headers, in
// order, and returns the first that is valid. mod_auth_tkt tries only the
// first non-empty one, so a stale cookie for a parent domain locks the user
// out; trying each fixes that.
//
// When none is valid, the error is the most telling one among them (a
// missing token before an expiry before a bad signature before a malformed
// value), with its Result where Verify gives one; ErrNoTicket when there is
// no such cookie at all.
func (v *Verifier) VerifyCookies(headers []string, name string, client netip.Addr, now time.Time) (Result, error) {
	var (
		best    Result
		bestErr error = ErrNoTicket
	)
	for _, h := range headers {
		for val := range CookieValues(h, name) {
			r, err := v.Verify(val, client, now)
			if err == nil {
				return r, nil
			}
			if errorRank(err) > errorRank(bestErr) {
				best, bestErr = r, err
			}
		}
	}
	return best, bestErr
}

// errorRank orders failures by how much they tell the user: a valid ticket
// without the right token means "not authorized", an expired one "log in
// again", garbage merely "no ticket".
func errorRank(err error) int {
	for i, e := range []error{ErrMissingToken, ErrExpired, ErrFuture, ErrIPMismatch, ErrBadSignature, ErrMalformed} {
		if errors.Is(err, e) {
			return 10 - i
		}
	}
	return 0
}
