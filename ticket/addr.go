package ticket

import (
	"fmt"
	"net/netip"
)

// binding says how a ticket is tied to the client's address.
type binding struct {
	ignore     bool
	v4prefix   int // hmac-sha256 only; 0 means the whole address
	v6prefix   int // hmac-sha256 only; 0 means the whole address
	hmacFormat bool
}

func (b binding) validate() error {
	if b.v4prefix < 0 || b.v4prefix > 32 {
		return fmt.Errorf("IPv4 prefix length %d out of range 0-32", b.v4prefix)
	}
	if b.v6prefix < 0 || b.v6prefix > 128 {
		return fmt.Errorf("IPv6 prefix length %d out of range 0-128", b.v6prefix)
	}
	if !b.hmacFormat && (b.v4prefix != 0 && b.v4prefix != 32 || b.v6prefix != 0) {
		return fmt.Errorf("network binding (IP prefix) needs the hmac-sha256 digest; mod_auth_tkt formats bind one IPv4 address")
	}
	return nil
}

// addr16 returns the address bytes a ticket for client is signed over (see
// putAddr).
func (b binding) addr16(client netip.Addr) ([16]byte, error) {
	var out [16]byte
	err := b.putAddr(&out, client)
	return out, err
}

// putAddr writes into out, which it expects zero, the address bytes a
// ticket for client is signed over. Verify passes its own array: copying
// one returned just after it was written stalls on store forwarding.
//
// The compat formats sign 4 bytes, taken from the last 4 of the result: an
// IPv4 (or IPv4-mapped IPv6) address, or 0.0.0.0 when not bound. They can't
// express an IPv6 address, which is an error rather than a silent
// "(null)" as in mod_auth_tkt. The hmac-sha256 format signs all 16 bytes:
// ::ffff:a.b.c.d for IPv4, masked to the configured prefix, and 16 zero
// bytes when not bound. An invalid (zero) Addr or an unspecified one
// (0.0.0.0, ::) means "not bound".
func (b binding) putAddr(out *[16]byte, client netip.Addr) error {
	client = client.Unmap()
	if b.ignore || !client.IsValid() || client.IsUnspecified() {
		return nil
	}
	bits := b.v6prefix
	if client.Is4() {
		bits = b.v4prefix
		if bits == 0 {
			bits = 32
		}
	} else {
		if !b.hmacFormat {
			return fmt.Errorf("%w: client %s is IPv6 and mod_auth_tkt digests bind only IPv4 addresses: ignore the IP or use hmac-sha256", ErrIPMismatch, client)
		}
		if bits == 0 {
			bits = 128
		}
	}
	if bits != client.BitLen() {
		p, err := client.Prefix(bits)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrIPMismatch, err)
		}
		client = p.Addr()
	}
	// As16 writes an IPv4 address in its mapped form, ::ffff:a.b.c.d.
	*out = client.As16()
	return nil
}
