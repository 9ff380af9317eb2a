package ticket

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
)

// Encode returns the cookie value for raw ticket text: standard base64 with
// padding, as mod_auth_tkt and the Perl library write it.
func Encode(raw string) string { return base64.StdEncoding.EncodeToString([]byte(raw)) }

// DecodeValue turns a cookie (or URL) value into raw ticket text, as
// tolerantly as mod_auth_tkt does, in its order:
//
//  1. one '"' is stripped from the start and one from the end, independently;
//  2. a value holding '!' is raw ticket text; else one holding "%21" is
//     URL-escaped ticket text; else it is base64;
//  3. base64 padding is optional and decoding stops at the first character
//     outside the standard alphabet (so "...==junk" decodes); URL-safe
//     base64 is not accepted.
//
// It checks only the encoding; Parse checks the layout.
func DecodeValue(value string) (string, error) {
	var buf [decodeBuf]byte
	text, raw, err := decodeValue(value, buf[:])
	if raw != nil {
		return string(raw), nil
	}
	return text, err
}

// decodeBuf holds the decoded form of any ordinary cookie on the stack.
const decodeBuf = 288

// decodeValue is DecodeValue without the copy: ticket text comes back as
// text, base64 is decoded into buf (or a new slice when it does not fit)
// and comes back as raw, so that Verify allocates only what it keeps.
func decodeValue(value string, buf []byte) (text string, raw []byte, err error) {
	value = strings.TrimPrefix(value, `"`)
	value = strings.TrimSuffix(value, `"`)
	switch {
	case strings.IndexByte(value, '!') >= 0:
		return value, nil, nil
	case strings.Contains(value, "%21"):
		text, err := url.PathUnescape(value)
		if err != nil {
			return "", nil, fmt.Errorf("%w: bad URL escape in value", ErrMalformed)
		}
		return text, nil, nil
	}
	raw = decodeBase64(buf, value)
	if len(raw) == 0 {
		return "", nil, fmt.Errorf("%w: value is neither base64 nor ticket text", ErrMalformed)
	}
	return "", raw, nil
}

// decodeBase64 decodes the longest prefix of s in the standard base64
// alphabet into buf, like APR's apr_base64_decode: padding is optional,
// decoding stops at the first character outside the alphabet, a trailing
// group of 2 or 3 characters yields 1 or 2 bytes and a lone trailing one
// is dropped.
//
// After the hashing it is the largest part of a verify, so it makes one
// pass, with a table lookup per character and a branch per eight.
func decodeBase64(buf []byte, s string) []byte {
	dst := buf
	if n := len(s)/4*3 + 8; n > len(dst) {
		dst = make([]byte, n)
	}
	out := dst // the part of dst not yet written
	// Eight characters make six bytes, written as one 8-byte store whose
	// last two bytes the next round overwrites.
	for len(s) >= 8 && len(out) >= 8 {
		a, b, c, d := b64table[s[0]], b64table[s[1]], b64table[s[2]], b64table[s[3]]
		e, f, g, h := b64table[s[4]], b64table[s[5]], b64table[s[6]], b64table[s[7]]
		if (a|b|c|d|e|f|g|h)&0x40 != 0 {
			break
		}
		binary.BigEndian.PutUint64(out, uint64(a)<<58|uint64(b)<<52|uint64(c)<<46|uint64(d)<<40|
			uint64(e)<<34|uint64(f)<<28|uint64(g)<<22|uint64(h)<<16)
		s, out = s[8:], out[6:]
	}
	for len(s) >= 4 && len(out) >= 3 {
		a, b, c, d := b64table[s[0]], b64table[s[1]], b64table[s[2]], b64table[s[3]]
		if (a|b|c|d)&0x40 != 0 {
			break
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		out[0], out[1], out[2] = byte(v>>16), byte(v>>8), byte(v)
		s, out = s[4:], out[3:]
	}
	j := len(dst) - len(out)
	// The tail: the up to three characters of the alphabet left before
	// the end, the padding or the first foreign character.
	n := 0
	for n < 3 && n < len(s) && b64table[s[n]] < 64 {
		n++
	}
	switch n {
	case 2:
		dst[j] = b64table[s[0]]<<2 | b64table[s[1]]>>4
		j++
	case 3:
		v := uint32(b64table[s[0]])<<18 | uint32(b64table[s[1]])<<12 | uint32(b64table[s[2]])<<6
		dst[j], dst[j+1] = byte(v>>16), byte(v>>8)
		j += 2
	}
	return dst[:j]
}

// b64table maps a byte to its value in the standard base64 alphabet, and
// every other byte to 64. A constant, so the package keeps no state.
const b64table = "" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x3e\x40\x40\x40\x3f" +
	"\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\x40\x40\x40\x40\x40\x40" +
	"\x40\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e" +
	"\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x40\x40\x40\x40\x40" +
	"\x40\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28" +
	"\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30\x31\x32\x33\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40" +
	"\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40\x40"
