package ticket

import (
	"fmt"
	"strings"
)

// Digest is the algorithm that signs a ticket. It is a server-wide choice:
// a validator reads every ticket with its configured digest and never
// guesses from the ticket's length.
type Digest uint8

const (
	// MD5 is mod_auth_tkt's default (TKTAuthDigestType MD5).
	MD5 Digest = iota + 1
	// SHA256 is mod_auth_tkt's TKTAuthDigestType SHA256.
	SHA256
	// SHA512 is mod_auth_tkt's TKTAuthDigestType SHA512.
	SHA512
	// HMACSHA256 is tkt's own format: a keyed MAC over the same fields
	// that also binds IPv6 addresses and networks. Not understood by
	// mod_auth_tkt.
	HMACSHA256
)

// Digests lists every digest type, in the order tools present them.
func Digests() []Digest { return []Digest{MD5, SHA256, SHA512, HMACSHA256} }

// ParseDigest reads a digest type name: md5, sha256, sha512 or hmac-sha256,
// in any case (mod_auth_tkt configs say MD5, SHA256, SHA512).
func ParseDigest(name string) (Digest, error) {
	for _, d := range Digests() {
		if strings.EqualFold(name, d.String()) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want md5, sha256, sha512 or hmac-sha256)", ErrUnknownDigest, name)
}

// String returns the name ParseDigest reads.
func (d Digest) String() string {
	switch d {
	case MD5:
		return "md5"
	case SHA256:
		return "sha256"
	case SHA512:
		return "sha512"
	case HMACSHA256:
		return "hmac-sha256"
	}
	return fmt.Sprintf("Digest(%d)", uint8(d))
}

// HexLen is the length of the digest in the ticket text: 32, 64 or 128.
func (d Digest) HexLen() int {
	switch d {
	case MD5:
		return 32
	case SHA256, HMACSHA256:
		return 64
	case SHA512:
		return 128
	}
	return 0
}

// Compat reports whether mod_auth_tkt and its Perl, Python and PHP
// libraries understand tickets of this digest type.
func (d Digest) Compat() bool { return d == MD5 || d == SHA256 || d == SHA512 }

func (d Digest) valid() bool { return d >= MD5 && d <= HMACSHA256 }

// MarshalText and UnmarshalText let configs and JSON carry digest names.
func (d Digest) MarshalText() ([]byte, error) {
	if !d.valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownDigest, uint8(d))
	}
	return []byte(d.String()), nil
}

func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
