package ticket

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Minter issues tickets. Its zero value is not usable: set Digest and Secret.
type Minter struct {
	Digest Digest
	Secret string
	// AllowWeakSecret accepts a Secret shorter than MinSecretLen (see
	// Config.AllowWeakSecret).
	AllowWeakSecret bool
	// IPv4Prefix and IPv6Prefix bind hmac-sha256 tickets to a network
	// rather than one address (e.g. 24 or 64). 0 means the whole address.
	// A Verifier must be configured with the same values.
	IPv4Prefix, IPv6Prefix int
}

// Mint returns the raw ticket text for t, bound to ip. The zero Addr,
// 0.0.0.0 and :: mean "not bound" (for locations that ignore the IP).
//
// For the mod_auth_tkt digests the result is byte-identical to the Perl
// Apache::AuthTkt library, with these exceptions: with no tokens but data
// that holds '!', Perl's "uid!data" layout cannot be read back, so Mint
// writes "uid!!data" as mod_auth_tkt itself does when it refreshes a ticket;
// a token list of exactly "0" is written (Perl treats it as false and
// leaves it out of the text but not the digest, so its ticket never
// verifies); and a time of 0 is minted as given (Perl substitutes now).
// hmac-sha256 tickets always carry both separators.
//
// Mint refuses, with an error matching ErrInvalid, what could not be read
// back as written: an empty user id, one holding '!' or NUL, tokens holding
// '!', ',', whitespace or NUL, data holding NUL, and times outside the
// 32-bit range of the format.
func (m Minter) Mint(t Ticket, ip netip.Addr) (string, error) {
	if err := m.check(); err != nil {
		return "", err
	}
	k := newKey(m.Digest, m.Secret)
	b := binding{v4prefix: m.IPv4Prefix, v6prefix: m.IPv6Prefix, hmacFormat: m.Digest == HMACSHA256}
	if err := b.validate(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return mint(&k, b, t, ip, m.Digest == HMACSHA256)
}

// MintCookie is Mint followed by Encode: the value for the cookie.
func (m Minter) MintCookie(t Ticket, ip netip.Addr) (string, error) {
	raw, err := m.Mint(t, ip)
	if err != nil {
		return "", err
	}
	return Encode(raw), nil
}

func (m Minter) check() error {
	if !m.Digest.valid() {
		return fmt.Errorf("%w %d", ErrUnknownDigest, uint8(m.Digest))
	}
	if m.Secret == "" {
		return ErrNoSecret
	}
	if err := CheckSecret(m.Secret); err != nil && !m.AllowWeakSecret {
		return err
	}
	return nil
}

// mint signs t with k. fullLayout always writes "uid!tokens!data".
func mint(k *key, b binding, t Ticket, ip netip.Addr, fullLayout bool) (string, error) {
	if err := validTicket(t); err != nil {
		return "", err
	}
	ts := t.Time.Unix()
	if t.Time.IsZero() || ts < 0 || ts > math.MaxUint32 {
		return "", fmt.Errorf("%w: time %v is outside the ticket format's range (1970 to 2106)", ErrInvalid, t.Time)
	}
	addr, err := b.addr16(ip)
	if err != nil {
		return "", err
	}
	f := fields{ts: uint32(ts), uid: t.UID, tokens: string(t.Tokens), data: t.Data}
	out := make([]byte, 0, k.digest.HexLen()+8+len(f.uid)+len(f.tokens)+len(f.data)+2)
	out = k.sign(out, &addr, &f)
	out = fmt.Appendf(out, "%08x", f.ts)
	out = append(out, f.uid...)
	out = append(out, '!')
	if f.tokens != "" || fullLayout || strings.IndexByte(f.data, '!') >= 0 {
		out = append(out, f.tokens...)
		out = append(out, '!')
	}
	out = append(out, f.data...)
	return string(out), nil
}

func validTicket(t Ticket) error {
	if err := CheckUID(t.UID); err != nil {
		return err
	}
	if strings.IndexByte(t.Data, 0) >= 0 {
		return fmt.Errorf("%w: user data contains NUL", ErrInvalid)
	}
	return t.Tokens.validate()
}

// CheckUID reports why uid cannot be a ticket's user id, or nil (the error
// matches ErrInvalid): it must not be empty, and hold no '!' (the ticket's
// separator), no control character (NUL ends it in C; a line break or a
// tab would travel into headers and log lines as the user's name) and
// nothing that is not UTF-8 (which survives the format but not headers,
// JSON or logs downstream).
func CheckUID(uid string) error {
	switch {
	case uid == "":
		return fmt.Errorf("%w: empty user id", ErrInvalid)
	case strings.IndexByte(uid, '!') >= 0:
		return fmt.Errorf("%w: user id %q contains '!'", ErrInvalid, uid)
	case strings.IndexFunc(uid, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("%w: user id %q contains a control character", ErrInvalid, uid)
	case !utf8.ValidString(uid):
		return fmt.Errorf("%w: user id is not valid UTF-8", ErrInvalid)
	}
	return nil
}
