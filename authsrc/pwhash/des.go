package pwhash

import "crypto/subtle"

// Traditional crypt(3): DES with a 12-bit salt that swaps pairs of bits in
// the E expansion, encrypting a zero block 25 times under a key made of the
// first eight password characters. Apache's `htpasswd -d` writes it. Neither
// go-htpasswd nor go-crypt implements it, and the standard library's
// crypto/des can't take a salted E box, so the cipher is written out here,
// bit by bit, after the Seventh Edition crypt.c. Its speed is irrelevant: it
// is a legacy format kept only so that old files keep working.

// cryptAlphabet is crypt's base64 alphabet, in value order.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// desHashLen is the length of a traditional crypt hash: 2 salt characters
// and 11 characters for 64 bits.
const desHashLen = 13

// cryptValue returns the 6-bit value of a crypt base64 character.
func cryptValue(c byte) (byte, bool) {
	switch {
	case c == '.' || c == '/':
		return c - '.', true
	case c >= '0' && c <= '9':
		return c - '0' + 2, true
	case c >= 'A' && c <= 'Z':
		return c - 'A' + 12, true
	case c >= 'a' && c <= 'z':
		return c - 'a' + 38, true
	}
	return 0, false
}

// isDES reports whether hash has the shape of a traditional crypt hash: 13
// characters of the crypt alphabet. Such a string is never taken for a
// plain-text password, as Apache doesn't either; one that no crypt could
// have written (the last character carries two zero bits) simply matches
// nothing, since desCrypt never produces it.
func isDES(hash string) bool {
	if len(hash) != desHashLen {
		return false
	}
	for i := 0; i < len(hash); i++ {
		if _, ok := cryptValue(hash[i]); !ok {
			return false
		}
	}
	return true
}

// verifyDES compares password with a hash for which isDES holds.
func verifyDES(hash, password string) bool {
	got := desCrypt(password, hash[:2])
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// desCrypt is crypt(3) with a two-character salt from cryptAlphabet.
func desCrypt(password, salt string) string {
	// Key: seven bits of each of the first eight characters, shifted left
	// past the parity bit, as every crypt(3) does; an eighth-bit character
	// loses its top bit.
	var key uint64
	for i := 0; i < 8; i++ {
		key <<= 8
		if i < len(password) {
			key |= uint64(password[i]<<1) & 0xfe
		}
	}

	t := newDESTables()
	for i := 0; i < 2; i++ {
		v, _ := cryptValue(salt[i])
		for j := 0; j < 6; j++ {
			if v>>j&1 == 1 {
				k := 6*i + j
				t.e[k], t.e[k+24] = t.e[k+24], t.e[k]
			}
		}
	}

	sub := t.subkeys(key)
	var block uint64
	for i := 0; i < 25; i++ {
		block = t.encrypt(block, &sub)
	}

	out := make([]byte, desHashLen)
	out[0], out[1] = salt[0], salt[1]
	// 64 bits then two zero bits, six at a time, high bits first.
	for i := 0; i < 11; i++ {
		shift := 58 - 6*i
		var v uint64
		if shift >= 0 {
			v = block >> uint(shift)
		} else {
			v = block << uint(-shift)
		}
		out[2+i] = cryptAlphabet[v&0x3f]
	}
	return string(out)
}

// permute returns the bits of in (inBits wide, bit 1 its most significant)
// picked by table, as a len(table)-bit number, first entry most significant.
func permute(in uint64, inBits int, table []byte) uint64 {
	var out uint64
	for _, pos := range table {
		out = out<<1 | in>>uint(inBits-int(pos))&1
	}
	return out
}

func (t *desTables) subkeys(key uint64) [16]uint64 {
	cd := permute(key, 64, t.pc1[:])
	c, d := uint32(cd>>28), uint32(cd&0x0fffffff)
	var sub [16]uint64
	for i, s := range t.shifts {
		c = (c<<s | c>>(28-s)) & 0x0fffffff
		d = (d<<s | d>>(28-s)) & 0x0fffffff
		sub[i] = permute(uint64(c)<<28|uint64(d), 56, t.pc2[:])
	}
	return sub
}

// encrypt is one DES encryption of block with t's (salted) E expansion.
func (t *desTables) encrypt(block uint64, sub *[16]uint64) uint64 {
	b := permute(block, 64, t.ip[:])
	l, r := uint32(b>>32), uint32(b)
	for i := 0; i < 16; i++ {
		x := permute(uint64(r), 32, t.e[:]) ^ sub[i]
		var s uint64
		for j := 0; j < 8; j++ {
			six := x >> uint(42-6*j) & 0x3f
			row := six>>4&2 | six&1
			col := six >> 1 & 0xf
			s = s<<4 | uint64(t.s[j][row*16+col])
		}
		l, r = r, l^uint32(permute(s, 32, t.p[:]))
	}
	return permute(uint64(r)<<32|uint64(l), 64, t.fp[:])
}
