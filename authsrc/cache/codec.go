package cache

import (
	"encoding/binary"
	"errors"
	"time"
)

// entryVersion starts every encoded entry: a later layout gets a new one,
// and an instance that meets one it does not know takes it for a miss.
const entryVersion = 1

// maxEncoded bounds what decodeEntry reads: an entry holds a user name
// and groups a store gave, far below it.
const maxEncoded = 64 << 10

var errBadEntry = errors.New("not a credential cache entry")

// encodeEntry lays e out for a shared store, with when it was written
// (for Purge): the version, a flag for the digest, the times in unix
// nanoseconds, the digest if any, then the identity's strings, each after
// its length. The password is not in it, only its keyed hash.
func encodeEntry(e entry, written time.Time) []byte {
	var flags byte
	if e.sum != (digest{}) {
		flags = 1
	}
	b := make([]byte, 0, 64+len(e.sum)+len(e.id.User)+len(e.id.Data)+16*len(e.id.Groups))
	b = append(b, entryVersion, flags)
	b = binary.AppendVarint(b, written.UnixNano())
	b = binary.AppendVarint(b, e.expires.UnixNano())
	if flags == 1 {
		b = append(b, e.sum[:]...)
	}
	b = appendString(b, e.id.User)
	b = binary.AppendUvarint(b, uint64(len(e.id.Groups)))
	for _, g := range e.id.Groups {
		b = appendString(b, g)
	}
	return appendString(b, e.id.Data)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decodeEntry reads what encodeEntry wrote, and when it was written. Any
// other input (a later version, a truncated or foreign value) is an
// error: the cache takes it for a miss.
func decodeEntry(b []byte) (entry, time.Time, error) {
	if len(b) > maxEncoded || len(b) < 2 || b[0] != entryVersion || b[1] > 1 {
		return entry{}, time.Time{}, errBadEntry
	}
	d := decoder{b: b[2:]}
	var e entry
	written := time.Unix(0, d.varint())
	e.expires = time.Unix(0, d.varint())
	if b[1] == 1 {
		copy(e.sum[:], d.bytes(len(e.sum)))
	}
	e.id.User = d.string()
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.b)) { // each group takes a byte at least
		e.id.Groups = make([]string, n)
		for i := range e.id.Groups {
			e.id.Groups[i] = d.string()
		}
	} else if n > 0 {
		d.bad = true
	}
	e.id.Data = d.string()
	if d.bad || len(d.b) != 0 {
		return entry{}, time.Time{}, errBadEntry
	}
	return e, written, nil
}

// decoder reads b from the front; once anything is missing it is bad,
// and reads give zero values.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if d.bad || n > len(d.b) {
		d.bad = true
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	return string(d.bytes(int(n)))
}
