package ticket

import (
	"encoding/binary"
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
	var sum [64]byte // checked as Verify checks it; the bytes go unused
	digest, ts, body, err := splitHead(raw, d, &sum)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Digest: digest}
	if err := splitBody(body, ts, &p.Ticket); err != nil {
		return Parsed{}, err
	}
	return p, nil
}

// splitHead checks and splits off the digest and timestamp that start a
// ticket minted with digest type d, leaving the body "uid!tokens!data",
// and decodes the digest into sum. It reads bytes too, so that Verify can
// parse a cookie decoded into a stack buffer and copy out only the body.
func splitHead[S ~string | ~[]byte](raw S, d Digest, sum *[64]byte) (digest S, ts uint32, body S, err error) {
	n := d.HexLen()
	if n == 0 {
		return digest, 0, body, fmt.Errorf("%w %d", ErrUnknownDigest, uint8(d))
	}
	if len(raw) < n+8+1 {
		return digest, 0, body, fmt.Errorf("%w: %d bytes is too short for a %s ticket", ErrMalformed, len(raw), d)
	}
	if !decodeLowerHex(sum[:], raw[:n]) {
		return digest, 0, body, fmt.Errorf("%w: digest is not %d lowercase hex digits", ErrMalformed, n)
	}
	ts, ok := parseHex8(raw[n : n+8])
	if !ok {
		return digest, 0, body, fmt.Errorf("%w: timestamp is not 8 hex digits", ErrMalformed)
	}
	return raw[:n], ts, raw[n+8:], nil
}

// splitBody reads "uid!tokens!data" into t: the user id runs to the first
// '!', the tokens to the second if there is one, and the rest is data. t
// is written only on success, field by field: Verify fills its Result in
// place, as copying a Ticket just returned stalls on store forwarding.
func splitBody(body string, ts uint32, t *Ticket) error {
	i := strings.IndexByte(body, '!')
	if i < 0 {
		return fmt.Errorf("%w: no '!' after the user id", ErrMalformed)
	}
	if i == 0 {
		// mod_auth_tkt accepts this and sets REMOTE_USER to "".
		return fmt.Errorf("%w: empty user id", ErrMalformed)
	}
	uid, rest := body[:i], body[i+1:]
	var tokens string
	if i := strings.IndexByte(rest, '!'); i >= 0 {
		tokens, rest = rest[:i], rest[i+1:]
	}
	t.UID, t.Tokens, t.Data, t.Time = uid, Tokens(tokens), rest, time.Unix(int64(ts), 0)
	return nil
}

// decodeLowerHex decodes s, whose length is a multiple of 8 (that of every
// digest), into dst[:len(s)/2] and reports whether s was lowercase hex.
// Verify compares raw digests, so the ticket's digest is checked and
// decoded in this one pass, eight characters at a time (a byte at a time
// it cost as much as the hex encoding it saves).
func decodeLowerHex[S ~string | ~[]byte](dst []byte, s S) bool {
	const ones = 0x0101010101010101
	n := uint(len(s)) // unsigned, so that i/2 is a shift
	if n%8 != 0 || n/2 > uint(len(dst)) {
		return false
	}
	var bad uint64
	for i := uint(0); i < n; i += 8 {
		c := s[i : i+8] // of known length, so that indexing it needs no checks
		x := uint64(c[0]) | uint64(c[1])<<8 | uint64(c[2])<<16 | uint64(c[3])<<24 |
			uint64(c[4])<<32 | uint64(c[5])<<40 | uint64(c[6])<<48 | uint64(c[7])<<56
		// The value of '0'-'9' is the low nibble, that of 'a'-'f'
		// (0x61-0x66) the low nibble plus 9: letters have bit 6 set. Each
		// byte of v is at most 24, so no sum below carries between bytes.
		v := x&(0x0f*ones) + (x>>6)&ones*9
		// A character is lowercase hex exactly when its value is below 16
		// ('g'-'o' come to 16-24) and encoding the value gives it back:
		// '0'+v, plus 'a'-'0'-10 when v > 9.
		over9 := (v + (0x80-10)*ones) >> 7 & ones
		bad |= (v+(0x80-16)*ones)&(0x80*ones) | x ^ (v + '0'*ones + over9*('a'-'0'-10))
		// Pair the nibbles (the first character is the high one), then
		// gather the four even bytes.
		v = (v<<4 | v>>8) & 0x00ff00ff00ff00ff
		v = (v | v>>8) & 0x0000ffff0000ffff
		binary.LittleEndian.PutUint32(dst[i/2:i/2+4], uint32(v|v>>16))
	}
	return bad == 0
}

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
