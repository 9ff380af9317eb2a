package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of the key that seals TOTP secrets (AES-256).
const KeySize = 32

// sealPrefix marks a sealed secret's format, so that a later one can be
// told apart.
const sealPrefix = "v1:"

// sealer encrypts TOTP secrets at rest with AES-256-GCM. The user and the
// factor's kind are the additional data: a sealed secret copied into
// another user's row does not open there.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	if len(key) != KeySize {
		return sealer{}, fmt.Errorf("mfa: the factor key must be %d bytes, not %d", KeySize, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	g, err := cipher.NewGCM(b)
	return sealer{g}, err
}

func (s sealer) seal(user, kind, secret string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(secret), ad(user, kind))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// errUnseal: the key is not the one the secret was sealed with (another
// instance's key file?), or the row was tampered with.
var errUnseal = errors.New("the TOTP secret cannot be opened with this factor key (is it the key file the other instances use?)")

func (s sealer) open(user, kind, sealed string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errUnseal
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errUnseal
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], ad(user, kind))
	if err != nil {
		return "", errUnseal
	}
	return string(plain), nil
}

func ad(user, kind string) []byte { return []byte("tkt factor\x00" + user + "\x00" + kind) }
