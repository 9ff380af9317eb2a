package ticket

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// DefaultMaxSkew is how far in the future a ticket's time may lie before it
// is refused. mod_auth_tkt accepts any future time, so a ticket minted for
// 2038 stays valid until then.
const DefaultMaxSkew = 5 * time.Minute

// Config says how tickets are read and minted: the settings of
// mod_auth_tkt that concern one ticket, each named after what it does and
// then after its TKTAuth* directive. Its zero value (plus a Secret) reads
// MD5 tickets bound to the client's IP address with no time check. Note
// that mod_auth_tkt's own defaults are a 2h timeout and a 0.5 refresh: set
// Timeout and Refresh to behave like an unconfigured Apache location.
type Config struct {
	// Digest is the algorithm tickets are signed with; zero means MD5
	// (TKTAuthDigestType).
	Digest Digest
	// Secret is the shared secret that signs new and re-issued tickets
	// (TKTAuthSecret).
	Secret string
	// OldSecrets are still accepted; a ticket that only verifies with one
	// of them should be re-issued with Secret (TKTAuthSecretOld).
	OldSecrets []string
	// AllowWeakSecret accepts secrets shorter than MinSecretLen, for a
	// site that keeps a legacy mod_auth_tkt secret until it can rotate
	// it. Without it NewVerifier refuses them (ErrWeakSecret).
	AllowWeakSecret bool
	// Timeout is how long a ticket is valid after its time; 0 means no
	// time check at all (TKTAuthTimeout).
	Timeout time.Duration
	// Refresh (0 to 1) makes a ticket due for a new time once less than
	// Refresh*Timeout of its life is left (TKTAuthTimeoutRefresh).
	Refresh float64
	// MaxLifetime bounds how long refreshes keep a login going: a ticket
	// never lives past its auth time (Tokens.AuthTime) plus MaxLifetime.
	// A re-issued ticket is stamped min(now, auth time + MaxLifetime -
	// Timeout), and only when that is later than its own time; so the
	// last one ends exactly at the cap, and then the user logs in again.
	// A ticket past the cap is refused as expired (one that mod_auth_tkt,
	// which knows nothing of it, refreshed). A ticket without an auth
	// time is never extended: it lives until its own timeout. 0 means no
	// cap (mod_auth_tkt: an active session never ends); otherwise it
	// needs a Timeout, and must be at least that long. No TKTAuth*
	// directive matches it.
	MaxLifetime time.Duration
	// MaxSkew bounds how far in the future a ticket's time may be.
	// 0 means DefaultMaxSkew; negative disables the check (mod_auth_tkt).
	// It applies only when Timeout is set.
	MaxSkew time.Duration
	// IgnoreIP stops binding tickets to the client's address: they are
	// minted for 0.0.0.0 (TKTAuthIgnoreIP).
	IgnoreIP bool
	// IPv4Prefix and IPv6Prefix bind hmac-sha256 tickets to the client's
	// network instead of its address; 0 means the whole address.
	IPv4Prefix, IPv6Prefix int
	// Tokens are the required tokens, any one of which admits the ticket;
	// empty requires none (TKTAuthToken). None may start with
	// SessionPrefix or AuthPrefix, or be GuestToken.
	Tokens []string
	// Guests lets in guests' tickets (those carrying GuestToken), where
	// guests are let in anyway (TKTAuthGuestLogin). Without it Verify
	// refuses them (ErrGuest), before any time check: a ticket given to
	// an anonymous visitor is no login.
	Guests bool
}

// Verifier checks tickets against a Config. It is immutable and safe for
// concurrent use.
type Verifier struct {
	digest   Digest
	keys     []key // keys[0] is the current secret
	timeout  int64 // seconds
	lifetime int64 // seconds; 0 means no cap
	refresh  float64
	maxSkew  int64 // seconds; <0 disables
	bind     binding
	required []string
	guests   bool
}

// NewVerifier checks c and prepares its secrets.
func NewVerifier(c Config) (*Verifier, error) {
	d := c.Digest
	if d == 0 {
		d = MD5
	}
	var errs []error
	if !d.valid() {
		errs = append(errs, fmt.Errorf("%w %d", ErrUnknownDigest, uint8(d)))
	}
	if c.Secret == "" {
		errs = append(errs, ErrNoSecret)
	} else if err := CheckSecret(c.Secret); err != nil && !c.AllowWeakSecret {
		errs = append(errs, err)
	}
	for i, s := range c.OldSecrets {
		if s == "" {
			errs = append(errs, fmt.Errorf("old secret %d is empty", i+1))
		} else if err := CheckSecret(s); err != nil && !c.AllowWeakSecret {
			errs = append(errs, fmt.Errorf("old secret %d: %w", i+1, err))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v is negative", c.Timeout))
	}
	if c.Refresh < 0 || c.Refresh > 1 {
		errs = append(errs, fmt.Errorf("refresh %v is outside 0 to 1", c.Refresh))
	}
	switch {
	case c.MaxLifetime < 0:
		errs = append(errs, fmt.Errorf("max lifetime %v is negative", c.MaxLifetime))
	case c.MaxLifetime == 0:
	case c.Timeout == 0:
		errs = append(errs, fmt.Errorf("max lifetime %v needs a timeout: without one tickets never expire", c.MaxLifetime))
	case c.MaxLifetime < c.Timeout:
		errs = append(errs, fmt.Errorf("max lifetime %v is shorter than the timeout %v", c.MaxLifetime, c.Timeout))
	}
	b := binding{ignore: c.IgnoreIP, v4prefix: c.IPv4Prefix, v6prefix: c.IPv6Prefix, hmacFormat: d == HMACSHA256}
	if err := b.validate(); err != nil {
		errs = append(errs, err)
	}
	for _, t := range c.Tokens {
		if err := CheckRequiredToken(t); err != nil {
			errs = append(errs, fmt.Errorf("required %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ticket config: %w", err)
	}
	v := &Verifier{
		digest:   d,
		timeout:  int64(c.Timeout / time.Second),
		lifetime: int64(c.MaxLifetime / time.Second),
		refresh:  c.Refresh,
		maxSkew:  int64(c.MaxSkew / time.Second),
		bind:     b,
		required: append([]string(nil), c.Tokens...),
		guests:   c.Guests,
	}
	switch {
	case c.MaxSkew == 0:
		v.maxSkew = int64(DefaultMaxSkew / time.Second)
	case c.MaxSkew < 0:
		v.maxSkew = -1
	}
	v.keys = append(v.keys, newKey(d, c.Secret))
	for _, s := range c.OldSecrets {
		v.keys = append(v.keys, newKey(d, s))
	}
	return v, nil
}

// Digest returns the digest type the Verifier reads.
func (v *Verifier) Digest() Digest { return v.digest }

// Result is a ticket whose signature checked out.
type Result struct {
	Ticket
	// SecretIndex is 0 when the current secret matched, i when
	// OldSecrets[i-1] did.
	SecretIndex int
	// Refresh is set when the ticket is due for a new time (see
	// Config.Refresh), and a new time would extend it (see
	// Config.MaxLifetime).
	Refresh bool
}

// ShouldReissue reports whether the caller should send a fresh ticket: the
// ticket is due for refresh or was signed with an old secret.
func (r Result) ShouldReissue() bool { return r.Refresh || r.SecretIndex > 0 }

// Verify checks a cookie or URL value (see DecodeValue) for a request
// from client at time now.
//
// On success the error is nil. When the signature is good but the ticket
// is expired, from the future or lacks a required token, Verify returns the
// Result too, with an error matching ErrExpired, ErrFuture or
// ErrMissingToken, so that callers can say whose ticket it was. A guest's
// ticket where guests are not let in (Config.Guests) is ErrGuest, with a
// zero Result: it is no user's.
func (v *Verifier) Verify(value string, client netip.Addr, now time.Time) (Result, error) {
	var buf [decodeBuf]byte
	text, raw, err := decodeValue(value, buf[:])
	if err != nil {
		return Result{}, err
	}
	var r Result
	if raw != nil {
		err = verify(v, raw, client, now, &r)
	} else {
		err = verify(v, text, client, now, &r)
	}
	return r, err
}

// VerifyRaw is Verify for raw ticket text.
func (v *Verifier) VerifyRaw(raw string, client netip.Addr, now time.Time) (Result, error) {
	var r Result
	err := verify(v, raw, client, now, &r)
	return r, err
}

// verify reads raw ticket text as a string or, for a cookie decoded into a
// stack buffer, as bytes; then only the body is copied to the heap, the
// one allocation of a verify.
//
// It fills r in place, and leaves it zero unless the signature is good; the
// Ticket and the address are written through pointers too. Returned by
// value, each was copied just after being written, which stalls the CPU
// until the stores land (wide loads cannot take data from several narrow
// stores still in flight): some 20ns a verify, as much as the parsing.
func verify[S ~string | ~[]byte](v *Verifier, raw S, client netip.Addr, now time.Time, r *Result) error {
	// The ticket's digest, checked and decoded in one pass: comparing raw
	// digests spares hex-encoding each computed one (64 bytes for sha512)
	// and comparing twice as many bytes.
	var digest [64]byte
	_, ts, body, err := splitHead(raw, v.digest, &digest)
	if err != nil {
		return err
	}
	var t Ticket
	if err := splitBody(string(body), ts, &t); err != nil {
		return err
	}
	if !v.bind.ignore && !client.IsValid() {
		return fmt.Errorf("%w: client address unknown", ErrIPMismatch)
	}
	var addr [16]byte
	if err := v.bind.putAddr(&addr, client); err != nil {
		return err
	}
	d := digest[:v.digest.HexLen()/2]
	f := fields{ts: ts, uid: t.UID, tokens: string(t.Tokens), data: t.Data}
	idx := v.match(d, &addr, &f)
	if idx < 0 {
		return v.badSignature(d, &addr, &f)
	}
	if !v.guests && t.Tokens.Guest() {
		return ErrGuest // r stays zero: no user's ticket
	}
	r.Ticket, r.SecretIndex = t, idx
	if v.timeout > 0 {
		ts, nowS := int64(ts), now.Unix()
		if v.maxSkew >= 0 && ts > nowS+v.maxSkew {
			return fmt.Errorf("%w: issued %ds ahead of this server's clock", ErrFuture, ts-nowS)
		}
		left := ts + v.timeout - nowS
		if left < 0 {
			return fmt.Errorf("%w %ds ago", ErrExpired, -left)
		}
		if v.lifetime > 0 {
			if at, ok := t.Tokens.authUnix(); ok && nowS > at+v.lifetime {
				return fmt.Errorf("%w: signed in %ds ago, past the max lifetime", ErrExpired, nowS-at)
			}
		}
		r.Refresh = v.refresh > 0 && float64(left) < float64(v.timeout)*v.refresh &&
			v.reissueUnix(t.Tokens, ts, nowS) > ts
	}
	if len(v.required) > 0 && !t.Tokens.HasAny(v.required) {
		return ErrMissingToken
	}
	return nil
}

// match returns the index of the secret that signed the ticket whose raw
// digest is digest, or -1. Every secret is tried so the time taken does
// not say which one matched.
func (v *Verifier) match(digest []byte, addr *[16]byte, f *fields) int {
	var sum [64]byte
	idx := -1
	for i := range v.keys {
		if constantTimeEqual(v.keys[i].sum(&sum, addr, f), digest) && idx < 0 {
			idx = i
		}
	}
	return idx
}

// badSignature explains a mismatch without revealing the expected digest.
// A ticket minted unbound (0.0.0.0) for a location that binds is a common
// misconfiguration worth naming; checking for it costs one more hash, on
// the failure path only.
func (v *Verifier) badSignature(digest []byte, addr *[16]byte, f *fields) error {
	if *addr != ([16]byte{}) {
		var sum [64]byte
		var zero [16]byte
		if constantTimeEqual(v.keys[0].sum(&sum, &zero, f), digest) {
			return fmt.Errorf("%w: the ticket is not bound to an address but this location binds tickets to the client address", ErrIPMismatch)
		}
	}
	return fmt.Errorf("%w (another secret, altered content, or minted for another client address)", ErrBadSignature)
}

// reissueUnix is the time a ticket of time ts with tokens is re-issued
// with at now (Unix seconds): now, but with a MaxLifetime never so late
// that the ticket outlives its auth time + MaxLifetime, and never earlier
// than ts; a ticket without an auth time keeps ts.
func (v *Verifier) reissueUnix(tokens Tokens, ts, now int64) int64 {
	if v.lifetime == 0 {
		return now
	}
	at, ok := tokens.authUnix()
	if !ok {
		return ts
	}
	return max(ts, min(now, at+v.lifetime-v.timeout))
}

// Reissue mints a fresh ticket for r with the current secret and time now,
// in mod_auth_tkt's refresh layout "uid!tokens!data", and returns the cookie
// value. With a MaxLifetime the time is capped (see Config.MaxLifetime):
// a ticket re-issued for its old secret alone may keep its own time. A
// ticket without a time (a new guest's) is issued at now.
func (v *Verifier) Reissue(t Ticket, client netip.Addr, now time.Time) (string, error) {
	if err := v.knownClient(client); err != nil {
		return "", err
	}
	if t.Time.IsZero() || v.lifetime == 0 {
		t.Time = now
	} else {
		t.Time = time.Unix(v.reissueUnix(t.Tokens, t.Time.Unix(), now.Unix()), 0)
	}
	raw, err := mint(&v.keys[0], v.bind, t, client, true)
	if err != nil {
		return "", err
	}
	return Encode(raw), nil
}

// Mint issues a new ticket under the Verifier's current secret, binding and
// digest, so that it verifies here. It returns the raw ticket text.
//
// Where tickets are bound to the client's address, client must be valid:
// the zero Addr is an unknown client (say, a trusted proxy named it in a
// way nobody can read), and a ticket minted for it would be bound to
// nobody, valid from anywhere. That is an error matching ErrIPMismatch,
// as it is for Verify and Reissue. (An explicit 0.0.0.0 still means
// unbound, as for Minter.)
func (v *Verifier) Mint(t Ticket, client netip.Addr) (string, error) {
	if err := v.knownClient(client); err != nil {
		return "", err
	}
	return mint(&v.keys[0], v.bind, t, client, v.digest == HMACSHA256)
}

// knownClient refuses an unknown client where tickets are bound to one.
func (v *Verifier) knownClient(client netip.Addr) error {
	if !v.bind.ignore && !client.IsValid() {
		return fmt.Errorf("%w: client address unknown", ErrIPMismatch)
	}
	return nil
}

// constantTimeEqual compares a computed digest with the ticket's without
// an early exit, eight bytes at a time.
func constantTimeEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var x uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x |= binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:])
	}
	for ; i < len(a); i++ {
		x |= uint64(a[i] ^ b[i])
	}
	return subtle.ConstantTimeEq(int32(uint32(x>>32|x&0xffffffff)), 0) == 1
}
