package ticket

import (
	"encoding/base64"
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
	value = strings.TrimPrefix(value, `"`)
	value = strings.TrimSuffix(value, `"`)
	switch {
	case strings.IndexByte(value, '!') >= 0:
		return value, nil
	case strings.Contains(value, "%21"):
		raw, err := url.PathUnescape(value)
		if err != nil {
			return "", fmt.Errorf("%w: bad URL escape in value", ErrMalformed)
		}
		return raw, nil
	}
	raw := decodeBase64(value)
	if raw == "" {
		return "", fmt.Errorf("%w: value is neither base64 nor ticket text", ErrMalformed)
	}
	return raw, nil
}

// decodeBase64 decodes a cookie's base64. The common case, a well-formed
// padded value, takes the standard library's fast decoder through stack
// buffers, so that a verify costs one allocation (the returned string);
// anything else takes the tolerant path below.
func decodeBase64(value string) string {
	var src [384]byte
	var dst [288]byte
	if len(value) <= len(src) {
		n := copy(src[:], value)
		if m, err := base64.StdEncoding.Decode(dst[:], src[:n]); err == nil {
			return string(dst[:m])
		}
	}
	return decodeBase64Prefix(value)
}

// decodeBase64Prefix decodes the longest prefix of s in the standard base64
// alphabet, like APR's apr_base64_decode: a trailing group of 2 or 3
// characters yields 1 or 2 bytes, a lone trailing character is dropped.
// It decodes into a stack buffer so that an ordinary ticket costs exactly
// one allocation, the returned string.
func decodeBase64Prefix(s string) string {
	n := 0
	for n < len(s) && b64table[s[n]] < 64 {
		n++
	}
	s = s[:n]
	var buf [768]byte
	dst := buf[:0]
	for len(s) >= 4 {
		v := uint32(b64table[s[0]])<<18 | uint32(b64table[s[1]])<<12 | uint32(b64table[s[2]])<<6 | uint32(b64table[s[3]])
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
		s = s[4:]
	}
	switch len(s) {
	case 2:
		v := uint32(b64table[s[0]])<<18 | uint32(b64table[s[1]])<<12
		dst = append(dst, byte(v>>16))
	case 3:
		v := uint32(b64table[s[0]])<<18 | uint32(b64table[s[1]])<<12 | uint32(b64table[s[2]])<<6
		dst = append(dst, byte(v>>16), byte(v>>8))
	}
	return string(dst)
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
