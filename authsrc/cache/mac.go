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

// macer hashes verified passwords with a key drawn at random for each Cache
// and never stored: what the cache holds is useless without the running
// process, unlike an unkeyed hash, which a dump would let anyone attack
// offline at billions of guesses a second.
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

func newMacer() *macer {
	key := make([]byte, 32)
	rand.Read(key) // never fails: crypto/rand crashes the program instead
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
