package cache

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// BenchmarkAuthenticate measures the cache's hit path against the floor it
// cannot beat, the keyed hash of the password, and the miss path in front of
// an in-memory store (one SHA-256 per check) for the cache's own overhead.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	const user, pw = "alice", "correct horse battery staple"
	newWarm := func(b *testing.B) *Cache {
		c := New(newMemStore(map[string]memUser{user: {password: pw, groups: []string{"staff", "admins"}}}), Config{Context: "bench"})
		if _, err := c.Authenticate(ctx, user, pw); err != nil {
			b.Fatal(err)
		}
		return c
	}

	b.Run("cached", func(b *testing.B) {
		c := newWarm(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Authenticate(ctx, user, pw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached-parallel", func(b *testing.B) {
		c := newWarm(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Authenticate(ctx, user, pw); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("miss-wrong-password", func(b *testing.B) {
		c := newWarm(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Authenticate(ctx, user, "wrong"); err == nil {
				b.Fatal("wrong password accepted")
			}
		}
	})
	b.Run("hmac-sha256", func(b *testing.B) {
		// What every hit pays at least: the cache's pooled keyed hash.
		m := newMacer(nil)
		b.ReportAllocs()
		for b.Loop() {
			m.sum("bench\x00"+user, pw)
		}
	})
	b.Run("hmac-sha256-new", func(b *testing.B) {
		// The textbook HMAC, set up afresh each time, for comparison.
		key := make([]byte, 32)
		b.ReportAllocs()
		for b.Loop() {
			h := hmac.New(sha256.New, key)
			h.Write([]byte("bench\x00" + user + "\x00" + pw))
			h.Sum(nil)
		}
	})
}
