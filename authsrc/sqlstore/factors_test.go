package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// TestFactors keeps, replaces, moves and uses factors on every backend,
// for a user the store does not hold (an htpasswd or LDAP user).
func TestFactors(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		s := openStore(t, newTestDB(t, kind).config())
		if fs, err := s.Factors(ctx, "ldapuser"); err != nil || len(fs) != 0 {
			t.Fatalf("Factors of nobody = %v, %v", fs, err)
		}
		codes := []sqlstore.Factor{{User: "ldapuser", Kind: "recovery", ID: "h1"}, {User: "ldapuser", Kind: "recovery", ID: "h2"}}
		mustOK(t, s.SetFactors(ctx, "ldapuser", "recovery", codes))
		mustOK(t, s.SetFactors(ctx, "ldapuser", "totp_pending", []sqlstore.Factor{{User: "ldapuser", Kind: "totp_pending", Secret: "sealed"}}))
		if moved, err := s.MoveFactors(ctx, "ldapuser", "totp_pending", "totp", 7); err != nil || !moved {
			t.Fatalf("MoveFactors = %v, %v", moved, err)
		}
		if moved, err := s.MoveFactors(ctx, "ldapuser", "totp_pending", "totp", 7); err != nil || moved {
			t.Fatalf("MoveFactors again = %v, %v; want nothing moved", moved, err)
		}
		fs, err := s.Factors(ctx, "ldapuser")
		mustOK(t, err)
		kinds := map[string]int{}
		for _, f := range fs {
			kinds[f.Kind]++
			if f.Kind == "totp" && (f.Secret != "sealed" || f.LastStep != 7 || f.Created.IsZero()) {
				t.Errorf("totp factor = %+v", f)
			}
		}
		if kinds["recovery"] != 2 || kinds["totp"] != 1 || len(kinds) != 2 {
			t.Errorf("factors by kind = %v", kinds)
		}

		// A recovery code is used once.
		for i, want := range []bool{true, false} {
			if ok, err := s.UseFactor(ctx, "ldapuser", "recovery", "h1"); err != nil || ok != want {
				t.Errorf("UseFactor #%d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
		// A step is accepted once, and never one before it.
		for _, c := range []struct {
			step int64
			want bool
		}{{8, true}, {8, false}, {7, false}, {10, true}, {9, false}} {
			if ok, err := s.AdvanceStep(ctx, "ldapuser", "totp", c.step); err != nil || ok != c.want {
				t.Errorf("AdvanceStep(%d) = %v, %v; want %v", c.step, ok, err, c.want)
			}
		}
		mustOK(t, s.SetFactors(ctx, "ldapuser", "totp", nil))
		if ok, err := s.AdvanceStep(ctx, "ldapuser", "totp", 99); err != nil || ok {
			t.Errorf("AdvanceStep of a removed factor = %v, %v", ok, err)
		}
		// One more factor of a kind with several, found by its id alone.
		mustOK(t, s.AddFactor(ctx, sqlstore.Factor{User: "ldapuser", Kind: "passkey", ID: "c1", Secret: "{}"}))
		mustOK(t, s.AddFactor(ctx, sqlstore.Factor{User: "ldapuser", Kind: "passkey", ID: "c1", Secret: `{"n":2}`}))
		mustOK(t, s.AddFactor(ctx, sqlstore.Factor{User: "other", Kind: "passkey", ID: "c2", Secret: "{}"}))
		if f, ok, err := s.FactorByID(ctx, "passkey", "c1"); err != nil || !ok || f.User != "ldapuser" || f.Secret != `{"n":2}` {
			t.Errorf("FactorByID = %+v, %v, %v", f, ok, err)
		}
		if _, ok, err := s.FactorByID(ctx, "passkey", "c3"); err != nil || ok {
			t.Errorf("FactorByID of nothing = %v, %v", ok, err)
		}
		if err := s.SetFactors(ctx, "ldapuser", "totp", []sqlstore.Factor{{User: "other", Kind: "totp"}}); !errors.Is(err, sqlstore.ErrFactorInput) {
			t.Errorf("SetFactors with another user's factor = %v", err)
		}
	})
}

// TestFactorsRace: two instances sharing the database offer the same code
// at once; exactly one is accepted, on every backend.
func TestFactorsRace(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		db := newTestDB(t, kind)
		a, b := openStore(t, db.config()), openStore(t, db.config())
		mustOK(t, a.SetFactors(ctx, "alice", "totp", []sqlstore.Factor{{User: "alice", Kind: "totp", Secret: "s"}}))
		mustOK(t, a.SetFactors(ctx, "alice", "recovery", []sqlstore.Factor{{User: "alice", Kind: "recovery", ID: "h"}}))
		for round := range 3 {
			var steps, codes atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				st := []*sqlstore.Store{a, b}[i%2]
				wg.Go(func() {
					if ok, err := st.AdvanceStep(ctx, "alice", "totp", int64(100+round)); err != nil {
						t.Error(err)
					} else if ok {
						steps.Add(1)
					}
					if ok, err := st.UseFactor(ctx, "alice", "recovery", "h"); err != nil {
						t.Error(err)
					} else if ok {
						codes.Add(1)
					}
				})
			}
			wg.Wait()
			want := int32(0)
			if round == 0 {
				want = 1
			}
			if steps.Load() != 1 || codes.Load() != want {
				t.Errorf("round %d: %d steps and %d codes accepted; want 1 and %d", round, steps.Load(), codes.Load(), want)
			}
		}
	})
}

// TestDeleteUserRemovesFactors: a new user of the same name starts without.
func TestDeleteUserRemovesFactors(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, newTestDB(t, "sqlite").config())
	mustOK(t, s.AddUser(ctx, "bob", "pw", nil, ""))
	mustOK(t, s.SetFactors(ctx, "bob", "totp", []sqlstore.Factor{{User: "bob", Kind: "totp", Secret: "s"}}))
	mustOK(t, s.DeleteUser(ctx, "bob"))
	if fs, err := s.Factors(ctx, "bob"); err != nil || len(fs) != 0 {
		t.Errorf("factors after DeleteUser = %v, %v", fs, err)
	}
}
