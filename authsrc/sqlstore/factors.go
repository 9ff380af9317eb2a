package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Second factors live in tkt_factors, one row per factor, keyed by user,
// kind and id: a TOTP secret (kind "totp", id ""), one row per unused
// recovery code (kind "recovery", id its hash), and whatever later kinds
// need (passkeys: one row per credential; used passkey challenges, kind
// "challenge" of no user, ClaimOnce). Users of any store have their
// factors here; the package mfa gives the kinds their meaning, this file
// only keeps the rows, with the writes that must be atomic across tktd
// instances sharing the database (UseFactor, AdvanceStep) done as one
// conditional statement each.

// Factor is one row of tkt_factors.
type Factor struct {
	User string
	Kind string
	ID   string
	// Secret is what the kind keeps (a sealed TOTP secret); "" for kinds
	// whose id says it all (recovery code hashes).
	Secret string
	// LastStep is the last TOTP time step accepted, for replay refusal.
	LastStep int64
	// Created is when it was stored: SetFactors takes the caller's time
	// when given (the clock the caller judges ages by), else now.
	Created time.Time
}

// ErrFactorInput is a factor a caller should not have asked to store.
var ErrFactorInput = errors.New("invalid factor")

// Factors returns every factor of user, of every kind.
func (s *Store) Factors(ctx context.Context, user string) ([]Factor, error) {
	if !s.own {
		return nil, ErrNotOwnSchema
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rows, err := s.c.r.QueryContext(ctx, s.sql("SELECT kind, id, secret, last_step, created_at FROM tkt_factors WHERE user_name = ?"), user)
	if err != nil {
		return nil, s.unavailable(err)
	}
	defer rows.Close()
	var fs []Factor
	for rows.Next() {
		f := Factor{User: user}
		if err := rows.Scan(&f.Kind, &f.ID, &f.Secret, &f.LastStep, &f.Created); err != nil {
			return nil, s.unavailable(err)
		}
		f.Created = f.Created.UTC()
		fs = append(fs, f)
	}
	if err := rows.Err(); err != nil {
		return nil, s.unavailable(err)
	}
	return fs, nil
}

// SetFactors replaces user's factors of kind with fs (none: removes them),
// in one transaction. Each of fs must be of that user and kind.
func (s *Store) SetFactors(ctx context.Context, user, kind string, fs []Factor) error {
	if err := checkFactor(user, kind); err != nil {
		return err
	}
	for _, f := range fs {
		if f.User != user || f.Kind != kind || len(f.ID) > 128 {
			return fmt.Errorf("%w: a %s factor of %q among those of kind %s of %q", ErrFactorInput, f.Kind, f.User, kind, user)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "DELETE FROM tkt_factors WHERE user_name = ? AND kind = ?", user, kind); err != nil {
			return err
		}
		t := now()
		for _, f := range fs {
			if _, err := s.exec(ctx, tx, "INSERT INTO tkt_factors (user_name, kind, id, secret, last_step, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				user, kind, f.ID, f.Secret, f.LastStep, cmp.Or(f.Created, t)); err != nil {
				return err
			}
		}
		return nil
	})
}

// MoveFactors makes user's factors of kind from those of kind to, replacing
// what to held, in one transaction: a confirmed enrollment taking the
// place of the previous factor. It reports whether from held any.
func (s *Store) MoveFactors(ctx context.Context, user, from, to string, lastStep int64) (bool, error) {
	if err := errors.Join(checkFactor(user, from), checkFactor(user, to)); err != nil {
		return false, err
	}
	moved := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.sql("SELECT COUNT(*) FROM tkt_factors WHERE user_name = ? AND kind = ?"), user, from).Scan(&n); err != nil || n == 0 {
			return err // nothing to move: to keeps what it has
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM tkt_factors WHERE user_name = ? AND kind = ?", user, to); err != nil {
			return err
		}
		moved = true
		_, err := s.exec(ctx, tx, "UPDATE tkt_factors SET kind = ?, last_step = ? WHERE user_name = ? AND kind = ?", to, lastStep, user, from)
		return err
	})
	return moved, err
}

// UseFactor removes one factor and reports whether it was there: a
// one-time factor (a recovery code) is used once, whichever instance
// asks first.
func (s *Store) UseFactor(ctx context.Context, user, kind, id string) (bool, error) {
	return s.changed(ctx, user, kind, "DELETE FROM tkt_factors WHERE user_name = ? AND kind = ? AND id = ?", user, kind, id)
}

// AdvanceStep records step as the last TOTP time step accepted for user's
// factor of kind, if it is later than the one recorded, and reports
// whether it was: a code of a step already accepted (a replay, here or at
// another instance) is refused by the database itself.
func (s *Store) AdvanceStep(ctx context.Context, user, kind string, step int64) (bool, error) {
	return s.changed(ctx, user, kind, "UPDATE tkt_factors SET last_step = ? WHERE user_name = ? AND kind = ? AND last_step < ?", step, user, kind, step)
}

// changed runs one statement and reports whether it hit a row.
func (s *Store) changed(ctx context.Context, user, kind, query string, args ...any) (bool, error) {
	if err := checkFactor(user, kind); err != nil {
		return false, err
	}
	hit := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		hit = n > 0
		return err
	})
	return hit, err
}

func checkFactor(user, kind string) error {
	if err := CheckUserName(user); err != nil {
		return err
	}
	if kind == "" || len(kind) > 32 {
		return fmt.Errorf("%w: kind %q", ErrFactorInput, kind)
	}
	return nil
}

// FactorByID finds the factor of kind with id, whoever's it is: a passkey
// by its credential, at a sign-in that names no user.
func (s *Store) FactorByID(ctx context.Context, kind, id string) (Factor, bool, error) {
	if !s.own {
		return Factor{}, false, ErrNotOwnSchema
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	f := Factor{Kind: kind, ID: id}
	err := s.c.r.QueryRowContext(ctx, s.sql("SELECT user_name, secret, last_step, created_at FROM tkt_factors WHERE kind = ? AND id = ?"), kind, id).
		Scan(&f.User, &f.Secret, &f.LastStep, &f.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return Factor{}, false, nil
	}
	if err != nil {
		return Factor{}, false, s.unavailable(err)
	}
	f.Created = f.Created.UTC()
	return f, true, nil
}

// ErrFactorExists is a factor whose id is taken already: a passkey's
// credential registered before, to this user or another.
var ErrFactorExists = errors.New("factor already registered")

// AddFactor stores one more factor of its user and kind (a passkey beside
// the others; passkeys are the only factors added so). An id the kind has
// already, for any user, is refused with ErrFactorExists: a credential
// registered twice would make FactorByID answer either owner. The check
// gives the reason for a registration made before; for two at the same
// instant on PostgreSQL or MariaDB, the unique index on passkeys' ids
// (schema version 3) refuses the second.
func (s *Store) AddFactor(ctx context.Context, f Factor) error {
	if err := checkFactor(f.User, f.Kind); err != nil {
		return err
	}
	if len(f.ID) > 128 {
		return fmt.Errorf("%w: id of %d bytes", ErrFactorInput, len(f.ID))
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.sql("SELECT COUNT(*) FROM tkt_factors WHERE kind = ? AND id = ?"), f.Kind, f.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %s %s", ErrFactorExists, f.Kind, f.ID)
		}
		_, err := s.exec(ctx, tx, "INSERT INTO tkt_factors (user_name, kind, id, secret, last_step, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			f.User, f.Kind, f.ID, f.Secret, f.LastStep, now())
		if isDuplicate(err) {
			return fmt.Errorf("%w: %s %s", ErrFactorExists, f.Kind, f.ID)
		}
		return err
	})
}

// SetFactorSecret replaces what user's factor of kind with id keeps (a
// passkey's new sign count), and reports whether it was there.
func (s *Store) SetFactorSecret(ctx context.Context, user, kind, id, secret string) (bool, error) {
	return s.changed(ctx, user, kind, "UPDATE tkt_factors SET secret = ? WHERE user_name = ? AND kind = ? AND id = ?", secret, user, kind, id)
}

// ClaimOnce records id as used under kind and reports whether this call
// did: false if it was recorded before, here or by another instance
// sharing the database. The row's primary key makes the second insert
// fail, so the database itself decides. A passkey ceremony's challenge is
// claimed so; its rows belong to no user (user_name "", which no user
// name can be). Rows of kind older than keep are removed on the way.
func (s *Store) ClaimOnce(ctx context.Context, kind, id string, keep time.Duration) (bool, error) {
	if kind == "" || len(kind) > 32 || id == "" || len(id) > 128 {
		return false, fmt.Errorf("%w: a claim of kind %q, id of %d bytes", ErrFactorInput, kind, len(id))
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, "INSERT INTO tkt_factors (user_name, kind, id, secret, last_step, created_at) VALUES ('', ?, ?, '', 0, ?)", kind, id, now())
		if isDuplicate(err) {
			return ErrFactorExists
		}
		return err
	})
	if errors.Is(err, ErrFactorExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Housekeeping, in a transaction of its own so that concurrent claims
	// do not wait on its range locks: a failure leaves the rows to the
	// next claim and must not refuse this one.
	_ = s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, "DELETE FROM tkt_factors WHERE user_name = '' AND kind = ? AND created_at < ?", kind, now().Add(-keep))
		return err
	})
	return true, nil
}
