package sqlstore_test

import (
	"context"
	"testing"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// benchCost is low so that the database's share of a login shows next to
// bcrypt-floor, the bare hash comparison at the same cost; at production
// cost the hash dominates everything.
const benchCost = 4

func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			db := newTestDB(b, kind)
			cfg := db.config()
			cfg.BcryptCost = benchCost
			s := openStore(b, cfg)
			if err := s.AddUser(ctx, "alice", "correct horse", []string{"staff", "admins"}, "d"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Authenticate(ctx, "alice", "correct horse"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("bcrypt-floor", func(b *testing.B) {
		h, err := pwhash.Bcrypt("correct horse", benchCost)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if ok, err := (pwhash.Verifier{}).Verify(h, "correct horse"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
