package sqlstore

import (
	"context"
	"maps"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// Every failed login takes as long as verifying the slowest class of hash
// the store holds (pwhash.Floor), so that the time tells neither that a
// name exists nor whose hash is costlier or cheaper than the rest.
//
// Which classes that is: with tkt's own schema, the configured cost (what
// tktctl writes) and the classes the table holds, read at the first failed
// login and again every classRescan, so that the floor comes down once
// rehashing on login has replaced the last costly hash. An application's
// database read through queries can't be listed: the floor starts at the
// configured cost and learns each slower class the first time one of its
// hashes is verified. Set bcrypt_cost to what that database holds, or the
// first login against a costlier hash still stands out.

// classRescan is how often, at most, tkt's table is read again for the
// classes of hash it holds: a full read of one column, done on a failed
// login's path, so rarely.
const classRescan = 10 * time.Minute

// invalid holds a failed login until the floor has passed since start,
// when the password check began, and returns ErrInvalidCredentials.
func (s *Store) invalid(ctx context.Context, start time.Time) error {
	s.trackClasses(ctx)
	s.floor.Wait(ctx, start)
	return authsrc.ErrInvalidCredentials
}

// trackClasses tells the floor which classes of hash tkt's table holds,
// if it last looked classRescan ago. A read that fails (the database is
// slow or down; the login will say so) is tried again a minute later,
// not at every failure.
func (s *Store) trackClasses(ctx context.Context) {
	if !s.own {
		return
	}
	s.classesMu.Lock()
	defer s.classesMu.Unlock()
	if time.Now().Before(s.nextClasses) {
		return
	}
	samples, err := s.hashClasses(ctx)
	if err != nil {
		s.nextClasses = time.Now().Add(time.Minute)
		return
	}
	s.floor.Track(s.typical, maps.Values(samples))
	s.nextClasses = time.Now().Add(classRescan)
}

// hashClasses reads every stored hash and keeps one of each class.
func (s *Store) hashClasses(ctx context.Context) (map[string]string, error) {
	rows, err := s.c.r.QueryContext(ctx, "SELECT password FROM tkt_users")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	samples := map[string]string{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		if c := pwhash.Class(h); samples[c] == "" {
			samples[c] = h
		}
	}
	return samples, rows.Err()
}
