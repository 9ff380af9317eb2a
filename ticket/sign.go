package ticket

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
)

// hmacContext separates tkt's MAC input from anything else a secret might
// sign, and names the version so the format can change without ambiguity.
const hmacContext = "auth_tkt hmac-sha256 v1"

// stackBuf is sized so that ordinary tickets are signed without touching the
// heap; larger ones still work, with one extra allocation.
const stackBuf = 320

// key is one secret prepared for a digest type. For HMAC the padded keys are
// computed once, so verifying costs exactly the HMAC's two hash passes.
type key struct {
	digest     Digest
	secret     string
	ipad, opad [sha256.BlockSize]byte
}

func newKey(d Digest, secret string) key {
	k := key{digest: d, secret: secret}
	if d == HMACSHA256 {
		var kb [sha256.BlockSize]byte
		if len(secret) > sha256.BlockSize {
			sum := sha256.Sum256([]byte(secret))
			copy(kb[:], sum[:])
		} else {
			copy(kb[:], secret)
		}
		for i := range kb {
			k.ipad[i] = kb[i] ^ 0x36
			k.opad[i] = kb[i] ^ 0x5c
		}
	}
	return k
}

// fields are the signed parts of a ticket.
type fields struct {
	ts                uint32
	uid, tokens, data string
}

// sign appends the lowercase hex digest of f for address ip (see addr.go
// for how ip is formed for each digest type) to dst.
func (k *key) sign(dst []byte, ip *[16]byte, f *fields) []byte {
	var buf [stackBuf]byte
	b := buf[:0]
	if k.digest == HMACSHA256 {
		b = append(b, k.ipad[:]...)
		b = append(b, hmacContext...)
		b = append(b, 0)
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
		outer := md5.Sum(b)
		return hex.AppendEncode(dst, outer[:])
	case SHA256:
		inner := sha256.Sum256(b)
		b = hex.AppendEncode(b[:0], inner[:])
		b = append(b, k.secret...)
		outer := sha256.Sum256(b)
		return hex.AppendEncode(dst, outer[:])
	case SHA512:
		inner := sha512.Sum512(b)
		b = hex.AppendEncode(b[:0], inner[:])
		b = append(b, k.secret...)
		outer := sha512.Sum512(b)
		return hex.AppendEncode(dst, outer[:])
	case HMACSHA256:
		inner := sha256.Sum256(b)
		b = append(b[:0], k.opad[:]...)
		b = append(b, inner[:]...)
		outer := sha256.Sum256(b)
		return hex.AppendEncode(dst, outer[:])
	}
	panic("ticket: sign with invalid digest " + k.digest.String())
}
