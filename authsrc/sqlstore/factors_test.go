package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		mustOK(t, s.AddFactor(ctx, sqlstore.Factor{User: "other", Kind: "passkey", ID: "c2", Secret: "{}"}))
		// An id is registered once, to one user.
		for _, user := range []string{"ldapuser", "other"} {
			if err := s.AddFactor(ctx, sqlstore.Factor{User: user, Kind: "passkey", ID: "c1", Secret: "{}"}); !errors.Is(err, sqlstore.ErrFactorExists) {
				t.Errorf("AddFactor of c1 again for %s = %v, want ErrFactorExists", user, err)
			}
		}
		if ok, err := s.SetFactorSecret(ctx, "ldapuser", "passkey", "c1", `{"n":2}`); err != nil || !ok {
			t.Errorf("SetFactorSecret = %v, %v", ok, err)
		}
		if ok, err := s.SetFactorSecret(ctx, "other", "passkey", "c1", `{"n":3}`); err != nil || ok {
			t.Errorf("SetFactorSecret of another user's factor = %v, %v; want nothing changed", ok, err)
		}
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

// TestClaimOnce: a one-time value (a passkey challenge) is claimed once on
// every backend, is no user's factor, and is forgotten after keep.
func TestClaimOnce(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		s := openStore(t, newTestDB(t, kind).config())
		for i, want := range []bool{true, false, false} {
			if ok, err := s.ClaimOnce(ctx, "challenge", "h1", time.Hour); err != nil || ok != want {
				t.Errorf("ClaimOnce(h1) #%d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
		if ok, err := s.ClaimOnce(ctx, "other", "h1", time.Hour); err != nil || !ok {
			t.Errorf("ClaimOnce of another kind = %v, %v; want claimed", ok, err)
		}
		if f, ok, err := s.FactorByID(ctx, "challenge", "h1"); err != nil || !ok || f.User != "" {
			t.Errorf("the claim's row = %+v, %v, %v; want one of no user", f, ok, err)
		}
		if _, err := s.ClaimOnce(ctx, "challenge", "", time.Hour); !errors.Is(err, sqlstore.ErrFactorInput) {
			t.Errorf("ClaimOnce of no id = %v, want ErrFactorInput", err)
		}
		// A claim keeping nothing prunes h1, which can then be claimed anew;
		// the other kind's claim stays.
		time.Sleep(2 * time.Millisecond)
		if ok, err := s.ClaimOnce(ctx, "challenge", "h2", 0); err != nil || !ok {
			t.Fatalf("ClaimOnce(h2) = %v, %v", ok, err)
		}
		if ok, err := s.ClaimOnce(ctx, "challenge", "h1", time.Hour); err != nil || !ok {
			t.Errorf("ClaimOnce(h1) after it was pruned = %v, %v; want claimed", ok, err)
		}
		if ok, err := s.ClaimOnce(ctx, "other", "h1", time.Hour); err != nil || ok {
			t.Errorf("ClaimOnce of the other kind's = %v, %v; want kept, not claimed again", ok, err)
		}
	})
}

// TestFactorsRace: two instances sharing the database offer the same code
// (and passkey challenge) at once, and users register one passkey
// credential at once; exactly one is accepted, on every backend.
func TestFactorsRace(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		db := newTestDB(t, kind)
		a, b := openStore(t, db.config()), openStore(t, db.config())
		mustOK(t, a.SetFactors(ctx, "alice", "totp", []sqlstore.Factor{{User: "alice", Kind: "totp", Secret: "s"}}))
		mustOK(t, a.SetFactors(ctx, "alice", "recovery", []sqlstore.Factor{{User: "alice", Kind: "recovery", ID: "h"}}))
		for round := range 3 {
			var steps, codes, claims, passkeys atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				st := []*sqlstore.Store{a, b}[i%2]
				wg.Go(func() {
					switch err := st.AddFactor(ctx, sqlstore.Factor{User: fmt.Sprint("user", i), Kind: "passkey", ID: fmt.Sprint("cred", round), Secret: "{}"}); {
					case err == nil:
						passkeys.Add(1)
					case !errors.Is(err, sqlstore.ErrFactorExists):
						t.Error(err)
					}
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
					if ok, err := st.ClaimOnce(ctx, "challenge", fmt.Sprint("c", round), time.Hour); err != nil {
						t.Error(err)
					} else if ok {
						claims.Add(1)
					}
				})
			}
			wg.Wait()
			want := int32(0)
			if round == 0 {
				want = 1
			}
			if steps.Load() != 1 || codes.Load() != want || claims.Load() != 1 || passkeys.Load() != 1 {
				t.Errorf("round %d: %d steps, %d codes, %d challenges and %d registrations of one passkey accepted; want 1, %d, 1 and 1",
					round, steps.Load(), codes.Load(), claims.Load(), passkeys.Load(), want)
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
