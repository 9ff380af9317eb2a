package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc/authsrctest"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// The review measured bcrypt cost 12 among cost 10; the tests keep the
// factor of four between the two at a lower cost, so that their timed
// failures take seconds, not tens of seconds, on a loaded machine. SQLite
// only: the database's round trip is the same for every attempt, and the
// servers' tests run in parallel, which would time each other's hashing.
const commonCost, costlierCost = 8, 10

// timingUsers fills a tkt schema with users at commonCost and returns a
// store configured for it, with admin's hash at costlierCost and legacy's
// a {SHA} one, as an import from an htpasswd file leaves them.
func timingStore(t *testing.T) (*sqlstore.Store, testDB) {
	db := newTestDB(t, "sqlite")
	cfg := db.config()
	cfg.BcryptCost = commonCost
	s := openStore(t, cfg)
	ctx := context.Background()
	for _, u := range []string{"bob", "carol", "dave"} {
		mustOK(t, s.AddUser(ctx, u, "pw-"+u, nil, ""))
	}
	costly := cfg
	costly.BcryptCost = costlierCost
	mustOK(t, openStore(t, costly).AddUser(ctx, "admin", "pw-admin", nil, ""))
	mustExec(t, db.raw(t), "INSERT INTO tkt_users (name, password, data, created_at, updated_at) VALUES (?, ?, '', ?, ?)",
		"legacy", "{SHA}oLisiXhAYHTMampGuEeXZHN8Y1Y=", time.Now(), time.Now()) // pw-legacy
	return s, db
}

// TestTimingCostlierUser replays finding 5: a wrong password for the user
// with the costlier hash takes as long as for an unknown user or anyone
// else, so the time tells neither that the name exists nor whose it is.
// The very first failure too: the store reads which classes its table
// holds before answering it, not after it has met the costlier hash. A
// store has one first failure, so each round times that of a fresh store
// and the costlier user's right after it, and the medians are compared:
// one sample against a median failed on a loaded machine (0.68).
func TestTimingCostlierUser(t *testing.T) {
	var firsts, costlier []time.Duration
	for range authsrctest.TimingRounds {
		s, _ := timingStore(t)
		pair := authsrctest.TimeAttempts(t, s, 1,
			authsrctest.Attempt{Name: "first failure, unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
			authsrctest.Attempt{Name: "costlier user, wrong password", User: "admin", Password: "guess", Want: authsrctest.Invalid})
		firsts, costlier = append(firsts, pair[0].Median), append(costlier, pair[1].Median)
		s.Close()
	}
	first, costly := median(firsts), median(costlier)
	if r := authsrctest.Ratio(first, costly); r < authsrctest.MinRatio {
		t.Errorf("the first failure took %v, %.2f of the costlier user's %v: it did not know the costlier class yet", first, r, costly)
	}

	s, _ := timingStore(t)
	authsrctest.CheckSimilar(t, authsrctest.TimeAttempts(t, s, authsrctest.TimingRounds,
		authsrctest.Attempt{Name: "unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "costlier user, wrong password", User: "admin", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "common user, wrong password", User: "bob", Password: "guess", Want: authsrctest.Invalid},
	)...)
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// TestTimingCheapUser: a {SHA} row among bcrypt rows.
func TestTimingCheapUser(t *testing.T) {
	s, _ := timingStore(t)
	authsrctest.CheckSimilar(t, authsrctest.TimeAttempts(t, s, authsrctest.TimingRounds,
		authsrctest.Attempt{Name: "unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "{SHA} user, wrong password", User: "legacy", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "bcrypt user, wrong password", User: "bob", Password: "guess", Want: authsrctest.Invalid},
	)...)
}

// TestTimingExistingDatabase: an application's database read through
// queries, its hashes costlier than the configured cost. The store can't
// list what the database holds; once it has verified one costlier hash (a
// real user logging in), every failure takes that long.
func TestTimingExistingDatabase(t *testing.T) {
	db := newTestDB(t, "sqlite")
	raw := db.raw(t)
	for _, q := range existingSchema("sqlite") {
		mustExec(t, raw, q)
	}
	for _, u := range []struct {
		name string
		cost int
	}{{"bob", costlierCost}, {"carol", costlierCost}, {"legacy", 0}} {
		h := "{SHA}oLisiXhAYHTMampGuEeXZHN8Y1Y=" // pw-legacy
		if u.cost > 0 {
			var err error
			if h, err = pwhash.Bcrypt("pw-"+u.name, u.cost); err != nil {
				t.Fatal(err)
			}
		}
		mustExec(t, raw, "INSERT INTO app_accounts (login, pw_hash, active) VALUES (?, ?, 1)", u.name, h)
	}
	cfg := db.config()
	cfg.Queries, cfg.BcryptCost = &existingQueries, commonCost
	s := openStore(t, cfg)
	if _, err := s.Authenticate(context.Background(), "carol", "pw-carol"); err != nil {
		t.Fatal(err)
	}
	authsrctest.CheckSimilar(t, authsrctest.TimeAttempts(t, s, authsrctest.TimingRounds,
		authsrctest.Attempt{Name: "unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "bcrypt user, wrong password", User: "bob", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "{SHA} user, wrong password", User: "legacy", Password: "guess", Want: authsrctest.Invalid},
	)...)
}
