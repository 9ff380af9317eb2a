package cache

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"sync"
)

// digest is the keyed hash of one key (context and user) and password.
type digest [sha256.Size]byte

// macKeyContext is what DeriveKey hashes under the secret: a string of its
// own, so that the key is worth nothing for anything else the secret does.
const macKeyContext = "tkt credential cache: MAC key for verified passwords, v1"

// DeriveKey is a MAC key for Config.MACKey from a secret every instance
// sharing a cache has (tktd: the ticket secret): HMAC-SHA256 of a fixed
// context string under the secret. The secret itself is never the key, and
// the key does not give the secret back. A new secret gives a new key,
// under which nothing remembered matches: the cache starts empty.
func DeriveKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(macKeyContext))
	return m.Sum(nil)
}

// macer hashes verified passwords with a key never stored with them: what
// the cache holds is useless without the key, unlike an unkeyed hash, which
// a dump would let anyone attack offline at billions of guesses a second.
// The key is drawn at random for each Cache (then it is the running
// process's alone), or given (Config.MACKey: then it is every instance's
// that shares the cache's store, and as secret as what it derives from).
type macer struct {
	// pool keeps keyed HMAC states for reuse: setting one up costs two
	// SHA-256 blocks and several allocations that every cache hit would
	// otherwise pay.
	pool sync.Pool
}

type macState struct {
	h   hash.Hash
	buf []byte
	out [sha256.Size]byte
}

// newMacer keys a macer with key, or with 32 random bytes for none.
func newMacer(key []byte) *macer {
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key) // never fails: crypto/rand crashes the program instead
	}
	key = append([]byte(nil), key...) // the caller's slice may change
	m := &macer{}
	m.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	return m
}

// sum hashes key and password as key NUL password. authsrc.CheckInput
// refuses NUL in user names and passwords, and key ends with the user name,
// so no two (key, password) pairs give the same input.
func (m *macer) sum(key, password string) digest {
	s := m.pool.Get().(*macState)
	s.buf = append(s.buf[:0], key...)
	s.buf = append(s.buf, 0)
	s.buf = append(s.buf, password...)
	s.h.Reset()
	s.h.Write(s.buf)
	d := digest(s.h.Sum(s.out[:0]))
	clear(s.buf) // the pooled buffer held a password
	m.pool.Put(s)
	return d
}
