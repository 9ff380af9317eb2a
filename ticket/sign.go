package ticket

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding"
	"encoding/binary"
	"encoding/hex"
)

// hmacContext separates tkt's MAC input from anything else a secret might
// sign, and names the version so the format can change without ambiguity.
const hmacContext = "auth_tkt hmac-sha256 v1"

// stackBuf is sized so that ordinary tickets are signed without touching the
// heap; larger ones still work, with one extra allocation.
const stackBuf = 320

// key is one secret prepared for a digest type.
//
// For HMAC, what is hashed before the ticket's fields is the same for every
// ticket: the inner hash starts with the padded key and the context, the
// outer one with the other padded key. Their SHA-256 states are computed
// once and restored per ticket, so a verify compresses only the blocks that
// hold ticket data (3 rather than 5 for an ordinary ticket): restoring a
// state takes some 10ns, a compression 50ns or more.
type key struct {
	digest       Digest
	secret       string
	inner, outer []byte // hmac-sha256: marshaled SHA-256 states
}

func newKey(d Digest, secret string) key {
	k := key{digest: d, secret: secret}
	if d == HMACSHA256 {
		var kb, ipad, opad [sha256.BlockSize]byte
		if len(secret) > sha256.BlockSize {
			sum := sha256.Sum256([]byte(secret))
			copy(kb[:], sum[:])
		} else {
			copy(kb[:], secret)
		}
		for i := range kb {
			ipad[i] = kb[i] ^ 0x36
			opad[i] = kb[i] ^ 0x5c
		}
		k.inner = sha256State(ipad[:], []byte(hmacContext), []byte{0})
		k.outer = sha256State(opad[:])
	}
	return k
}

// sha256State returns the marshaled state of SHA-256 after hashing parts.
func sha256State(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("ticket: SHA-256 state does not marshal: " + err.Error())
	}
	return state
}

// sha256From appends to dst the SHA-256 of msg hashed after a state from
// sha256State. The digest stays on the stack: the compiler sees its
// concrete type and devirtualizes. It appends rather than returns an
// array, as copying an array just written stalls on store forwarding.
func sha256From(dst, state, msg []byte) []byte {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		panic("ticket: SHA-256 state does not unmarshal: " + err.Error())
	}
	h.Write(msg)
	return h.Sum(dst)
}

// fields are the signed parts of a ticket.
type fields struct {
	ts                uint32
	uid, tokens, data string
}

// sign appends the lowercase hex digest of f for address ip to dst, as it
// stands in a ticket.
func (k *key) sign(dst []byte, ip *[16]byte, f *fields) []byte {
	var sum [sha512.Size]byte
	return hex.AppendEncode(dst, k.sum(&sum, ip, f))
}

// sum computes the raw digest of f for address ip (see addr.go for how ip
// is formed for each digest type) into out and returns it: 16, 32 or 64
// bytes. Verify compares raw digests, so the result is hex-encoded only
// where the format hashes it (the compat formats' inner digest) and when
// minting.
func (k *key) sum(out *[sha512.Size]byte, ip *[16]byte, f *fields) []byte {
	var buf [stackBuf]byte
	b := buf[:0]
	if k.digest == HMACSHA256 {
		// The padded key and the context are in k.inner.
		b = append(b, ip[:]...)
	} else {
		b = append(b, ip[12:]...)
	}
	b = binary.BigEndian.AppendUint32(b, f.ts)
	if k.digest != HMACSHA256 {
		b = append(b, k.secret...)
	}
	b = append(b, f.uid...)
	b = append(b, 0)
	b = append(b, f.tokens...)
	b = append(b, 0)
	b = append(b, f.data...)

	switch k.digest {
	case MD5:
		inner := md5.Sum(b)
		b = hex.AppendEncode(b[:0], inner[:])
		b = append(b, k.secret...)
		*(*[md5.Size]byte)(out[:]) = md5.Sum(b)
		return out[:md5.Size]
	case SHA256:
		inner := sha256.Sum256(b)
		b = hex.AppendEncode(b[:0], inner[:])
		b = append(b, k.secret...)
		*(*[sha256.Size]byte)(out[:]) = sha256.Sum256(b)
		return out[:sha256.Size]
	case SHA512:
		inner := sha512.Sum512(b)
		b = hex.AppendEncode(b[:0], inner[:])
		b = append(b, k.secret...)
		*out = sha512.Sum512(b)
		return out[:]
	case HMACSHA256:
		var inner [sha256.Size]byte
		sha256From(inner[:0], k.inner, b)
		return sha256From(out[:0], k.outer, inner[:])
	}
	panic("ticket: sign with invalid digest " + k.digest.String())
}
