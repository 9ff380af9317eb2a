package ticket

import (
	"fmt"
	"strings"
	"time"
)

// Ticket is what a ticket says: who, with which tokens and data, since when.
type Ticket struct {
	UID    string
	Tokens Tokens
	Data   string
	// Time is when the ticket was issued (or last refreshed), to the second.
	Time time.Time
}

// Parsed is raw ticket text split into its parts, not yet verified.
type Parsed struct {
	Ticket
	// Digest is the digest as it stands in the ticket (lowercase hex).
	Digest string
}

// Parse splits raw ticket text minted with digest type d. It does not check
// the signature: use a Verifier for that.
//
// Like mod_auth_tkt, it reads the timestamp hex in any case but requires a
// lowercase digest; the user id runs to the first '!', the tokens to the
// second if there is one, and the rest is data. Unlike mod_auth_tkt it
// refuses an empty user id.
func Parse(raw string, d Digest) (Parsed, error) {
	digest, ts, body, err := splitHead(raw, d)
	if err != nil {
		return Parsed{}, err
	}
	t, err := splitBody(body, ts)
	if err != nil {
		return Parsed{}, err
	}
	return Parsed{Ticket: t, Digest: digest}, nil
}

// splitHead checks and splits off the digest and timestamp that start a
// ticket minted with digest type d, leaving the body "uid!tokens!data".
// It reads bytes too, so that Verify can parse a cookie decoded into a
// stack buffer and copy out only the body.
func splitHead[S ~string | ~[]byte](raw S, d Digest) (digest S, ts uint32, body S, err error) {
	n := d.HexLen()
	if n == 0 {
		return digest, 0, body, fmt.Errorf("%w %d", ErrUnknownDigest, uint8(d))
	}
	if len(raw) < n+8+1 {
		return digest, 0, body, fmt.Errorf("%w: %d bytes is too short for a %s ticket", ErrMalformed, len(raw), d)
	}
	if !isLowerHex(raw[:n]) {
		return digest, 0, body, fmt.Errorf("%w: digest is not %d lowercase hex digits", ErrMalformed, n)
	}
	ts, ok := parseHex8(raw[n : n+8])
	if !ok {
		return digest, 0, body, fmt.Errorf("%w: timestamp is not 8 hex digits", ErrMalformed)
	}
	return raw[:n], ts, raw[n+8:], nil
}

// splitBody reads "uid!tokens!data": the user id runs to the first '!',
// the tokens to the second if there is one, and the rest is data.
func splitBody(body string, ts uint32) (Ticket, error) {
	uid, rest, found := strings.Cut(body, "!")
	if !found {
		return Ticket{}, fmt.Errorf("%w: no '!' after the user id", ErrMalformed)
	}
	if uid == "" {
		// mod_auth_tkt accepts this and sets REMOTE_USER to "".
		return Ticket{}, fmt.Errorf("%w: empty user id", ErrMalformed)
	}
	var tokens string
	if i := strings.IndexByte(rest, '!'); i >= 0 {
		tokens, rest = rest[:i], rest[i+1:]
	}
	return Ticket{UID: uid, Tokens: Tokens(tokens), Data: rest, Time: time.Unix(int64(ts), 0)}, nil
}

func isLowerHex[S ~string | ~[]byte](s S) bool {
	// OR-ing the table entries keeps the loop free of branches.
	var bad byte
	for i := 0; i < len(s); i++ {
		bad |= notLowerHex[s[i]]
	}
	return bad == 0
}

// notLowerHex is 1 for every byte that is not 0-9 or a-f.
const notLowerHex = "" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x00\x00\x00\x00\x00\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"

// parseHex8 reads exactly 8 hex digits of either case.
func parseHex8[S ~string | ~[]byte](s S) (uint32, bool) {
	var v uint32
	for i := 0; i < 8; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}
