package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// User management: tkt's own schema only (tktctl user ...).
var (
	ErrUserExists   = errors.New("user already exists")
	ErrUserNotFound = errors.New("no such user")
	ErrNotOwnSchema = errors.New("user management needs tkt's own schema, not an existing database read through queries")
)

// UserInfo is a user as tktctl lists it: everything but the password hash.
type UserInfo struct {
	Name    string    `json:"name"`
	Groups  []string  `json:"groups"`
	Data    string    `json:"data"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// AddUser creates a user with a bcrypt hash of password.
func (s *Store) AddUser(ctx context.Context, name, password string, groups []string, data string) error {
	groups, err := cleanGroups(groups)
	if err == nil {
		err = errors.Join(CheckUserName(name), validNewData(data))
	}
	if err != nil {
		return err
	}
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		t := now()
		_, err := s.exec(ctx, tx, "INSERT INTO tkt_users (name, password, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", name, hash, data, t, t)
		if isDuplicate(err) {
			return fmt.Errorf("%w: %q", ErrUserExists, name)
		}
		if err != nil {
			return err
		}
		return s.insertGroups(ctx, tx, name, groups)
	})
}

// SetPassword replaces a user's password.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.update(ctx, tx, name, "UPDATE tkt_users SET password = ?, updated_at = ? WHERE name = ?", hash, now(), name)
	})
}

// SetData replaces a user's ticket data.
func (s *Store) SetData(ctx context.Context, name, data string) error {
	if err := validNewData(data); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.update(ctx, tx, name, "UPDATE tkt_users SET data = ?, updated_at = ? WHERE name = ?", data, now(), name)
	})
}

// DeleteUser removes a user, their group memberships and second factors.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		// Explicit rather than relying on ON DELETE CASCADE alone: a
		// SQLite connection opened without foreign_keys by some other
		// tool would not cascade.
		if _, err := s.exec(ctx, tx, "DELETE FROM tkt_user_groups WHERE user_name = ?", name); err != nil {
			return err
		}
		// A later user of the same name must not inherit the factors.
		if _, err := s.exec(ctx, tx, "DELETE FROM tkt_factors WHERE user_name = ?", name); err != nil {
			return err
		}
		return s.update(ctx, tx, name, "DELETE FROM tkt_users WHERE name = ?", name)
	})
}

// SetGroups replaces a user's groups.
func (s *Store) SetGroups(ctx context.Context, name string, groups []string) error {
	groups, err := cleanGroups(groups)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.touch(ctx, tx, name); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM tkt_user_groups WHERE user_name = ?", name); err != nil {
			return err
		}
		return s.insertGroups(ctx, tx, name, groups)
	})
}

// UpdateGroups adds and then removes groups in one transaction and returns
// the user's groups afterwards. Adding a group the user has, or removing
// one they haven't, is not an error.
func (s *Store) UpdateGroups(ctx context.Context, name string, add, remove []string) ([]string, error) {
	add, err := cleanGroups(add)
	if err != nil {
		return nil, err
	}
	var result []string
	err = s.write(ctx, func(tx *sql.Tx) error {
		// touch first: it locks the user's row (PostgreSQL, MySQL), so two
		// concurrent edits of one user's groups run one after the other.
		if err := s.touch(ctx, tx, name); err != nil {
			return err
		}
		have, err := s.userGroups(ctx, tx, name)
		if err != nil {
			return err
		}
		var missing []string
		for _, g := range add {
			if !slices.Contains(have, g) {
				missing = append(missing, g)
			}
		}
		if err := s.insertGroups(ctx, tx, name, missing); err != nil {
			return err
		}
		for _, g := range remove {
			if _, err := s.exec(ctx, tx, "DELETE FROM tkt_user_groups WHERE user_name = ? AND group_name = ?", name, g); err != nil {
				return err
			}
		}
		result = sortedSet(slices.DeleteFunc(append(have, missing...), func(g string) bool { return slices.Contains(remove, g) }))
		return nil
	})
	return result, err
}

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (UserInfo, error) {
	users, err := s.users(ctx, &name)
	if err != nil {
		return UserInfo{}, err
	}
	if len(users) == 0 {
		return UserInfo{}, fmt.Errorf("%w: %q", ErrUserNotFound, name)
	}
	return users[0], nil
}

// ListUsers returns every user, sorted by name (byte order, whatever the
// database's collation).
func (s *Store) ListUsers(ctx context.Context) ([]UserInfo, error) {
	return s.users(ctx, nil)
}

func (s *Store) users(ctx context.Context, only *string) ([]UserInfo, error) {
	if !s.own {
		return nil, ErrNotOwnSchema
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	where, args := "", []any(nil)
	if only != nil {
		where, args = " WHERE name = ?", []any{*only}
	}
	list, err := s.queryUsers(ctx, "SELECT name, data, created_at, updated_at FROM tkt_users"+where, args)
	if err != nil {
		return nil, s.unavailable(err)
	}
	byName := make(map[string]*UserInfo, len(list))
	for i := range list {
		byName[list[i].Name] = &list[i]
	}
	where = ""
	if only != nil {
		where = " WHERE user_name = ?"
	}
	rows, err := s.c.r.QueryContext(ctx, s.sql("SELECT user_name, group_name FROM tkt_user_groups"+where), args...)
	if err != nil {
		return nil, s.unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, g string
		if err := rows.Scan(&u, &g); err != nil {
			return nil, s.unavailable(err)
		}
		if ui := byName[u]; ui != nil {
			ui.Groups = append(ui.Groups, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.unavailable(err)
	}
	for i := range list {
		list[i].Groups = sortedSet(append([]string{}, list[i].Groups...))
	}
	slices.SortFunc(list, func(a, b UserInfo) int { return strings.Compare(a.Name, b.Name) })
	return list, nil
}

func (s *Store) queryUsers(ctx context.Context, query string, args []any) ([]UserInfo, error) {
	rows, err := s.c.r.QueryContext(ctx, s.sql(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []UserInfo
	for rows.Next() {
		var u UserInfo
		if err := rows.Scan(&u.Name, &u.Data, &u.Created, &u.Updated); err != nil {
			return nil, err
		}
		u.Created, u.Updated = u.Created.UTC(), u.Updated.UTC()
		list = append(list, u)
	}
	return list, rows.Err()
}

// hash validates and hashes a new password. It runs before the write
// transaction: bcrypt is slow, and SQLite's write lock is shared by all.
func (s *Store) hash(password string) (string, error) {
	if !s.own {
		return "", ErrNotOwnSchema
	}
	if err := validPassword(password); err != nil {
		return "", err
	}
	return pwhash.Bcrypt(password, s.cost)
}

// write runs fn in a write transaction. Errors fn returns that are about
// the request (no such user...) pass through; the rest are the database's.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	if !s.own {
		return ErrNotOwnSchema
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tx, err := s.c.w.BeginTx(ctx, nil)
	if err != nil {
		return s.unavailable(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if errors.Is(err, ErrUserExists) || errors.Is(err, ErrUserNotFound) || errors.Is(err, ErrFactorExists) {
			return err
		}
		return s.unavailable(err)
	}
	if err := tx.Commit(); err != nil {
		return s.unavailable(err)
	}
	return nil
}

func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(ctx, s.sql(query), args...)
}

// update runs a statement that must hit name's row.
func (s *Store) update(ctx context.Context, tx *sql.Tx, name, query string, args ...any) error {
	res, err := s.exec(ctx, tx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %q", ErrUserNotFound, name)
	}
	return nil
}

// touch marks name's row as updated (and locks it), or reports it missing.
func (s *Store) touch(ctx context.Context, tx *sql.Tx, name string) error {
	return s.update(ctx, tx, name, "UPDATE tkt_users SET updated_at = ? WHERE name = ?", now(), name)
}

func (s *Store) insertGroups(ctx context.Context, tx *sql.Tx, name string, groups []string) error {
	for _, g := range groups {
		if _, err := s.exec(ctx, tx, "INSERT INTO tkt_user_groups (user_name, group_name) VALUES (?, ?)", name, g); err != nil {
			return err
		}
	}
	return nil
}

// sql rewrites one of our own ?-style statements for the driver.
func (s *Store) sql(query string) string { return rebind(query, s.d.lex, s.d.dollar) }

// sortedSet sorts and deduplicates in place.
func sortedSet(xs []string) []string {
	slices.Sort(xs)
	return slices.Compact(xs)
}
