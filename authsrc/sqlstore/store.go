// Package sqlstore is the SQL user store: SQLite (the embedded default),
// PostgreSQL and MySQL/MariaDB through one database/sql implementation.
//
// It works in one of two modes. With tkt's own schema (the default) it
// creates and migrates its tables, stores bcrypt hashes, replaces any other
// hash with one at the configured cost when its user logs in (rehash.go)
// and offers the user management tktctl uses. With Config.Queries it reads
// an existing application's database through administrator-written
// queries and verifies whatever hash formats pwhash knows, writing nothing.
//
// In both, every failed login takes as long as the slowest class of hash
// the store holds (floor.go).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// Store is a SQL user store, an authsrc.Source and authsrc.Lookuper. It is
// safe for concurrent use.
type Store struct {
	d        dialect
	c        conns
	q        stmts
	own      bool
	verifier pwhash.Verifier
	cost     int
	timeout  time.Duration
	log      *slog.Logger

	// floor holds failed logins (floor.go); typical is the hash verified
	// for unknown users, an unmatchable bcrypt at the configured cost.
	floor       *pwhash.Floor
	typical     string
	classesMu   sync.Mutex
	nextClasses time.Time // when tkt's table is next read for its classes

	// beforeRehash, when a test sets it, runs between a login's read of
	// a hash and the write of its replacement.
	beforeRehash func()
}

// stmts are the queries Authenticate runs, in the driver's placeholder
// style. In own-schema mode user returns name, hash and data; otherwise
// user returns the hash, or the name as stored and the hash, and data is a
// separate, optional query.
type stmts struct {
	user, groups, data string
}

var _ authsrc.Source = (*Store)(nil)

// Open connects to the database described by cfg, checks that it answers
// and, in own-schema mode, creates or migrates tkt's tables. An unreachable
// database gives an error matching authsrc.ErrUnavailable; a bad Config
// gives one that does not.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	d, err := dialectFor(cfg.Driver)
	if err != nil {
		return nil, err
	}
	s := &Store{
		d:        d,
		own:      cfg.Queries == nil,
		verifier: pwhash.Verifier{AllowPlain: cfg.AllowPlain && cfg.Queries != nil},
		cost:     cfg.BcryptCost,
		timeout:  cfg.QueryTimeout,
		log:      cfg.Logger,
		typical:  pwhash.UnmatchableBcrypt(cfg.BcryptCost),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.floor = pwhash.NewFloor(s.verifier)
	s.floor.Track(s.typical, nil)
	if s.q, err = buildStmts(cfg.Queries, d); err != nil {
		return nil, err
	}
	if s.c, err = d.open(cfg, s.own); err != nil {
		return nil, err
	}
	if cfg.Name != "" {
		s.c.name = cfg.Name
	}
	s.c.r.SetMaxOpenConns(cfg.MaxOpenConns)
	s.c.r.SetMaxIdleConns(cfg.MaxIdleConns)
	s.c.r.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	if s.c.w != nil && s.c.w != s.c.r {
		// SQLite's write handle keeps its single connection (dialect.go).
		s.c.w.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.QueryTimeout)
	defer cancel()
	if s.own {
		err = migrate(ctx, s.c.w, d)
	} else {
		err = s.probe(ctx, cfg.Queries.Password)
	}
	if err != nil {
		s.Close()
		if errors.Is(err, errColumns) {
			return nil, fmt.Errorf("sqlstore: %w", err)
		}
		return nil, s.unavailable(err)
	}
	return s, nil
}

func buildStmts(q *Queries, d dialect) (stmts, error) {
	if q == nil {
		return stmts{
			user:   rebind("SELECT name, password, data FROM tkt_users WHERE name = ?", d.lex, d.dollar),
			groups: rebind("SELECT group_name FROM tkt_user_groups WHERE user_name = ?", d.lex, d.dollar),
		}, nil
	}
	var s stmts
	for _, f := range []struct {
		what string
		in   string
		out  *string
	}{{"password", q.Password, &s.user}, {"groups", q.Groups, &s.groups}, {"data", q.Data, &s.data}} {
		if strings.TrimSpace(f.in) == "" {
			continue
		}
		var err error
		if *f.out, err = bindOne(f.in, d.lex, d.dollar); err != nil {
			return stmts{}, fmt.Errorf("sqlstore: %s query: %w", f.what, err)
		}
	}
	return s, nil
}

// Close closes the database handles.
func (s *Store) Close() error {
	err := s.c.r.Close()
	if s.c.w != nil && s.c.w != s.c.r {
		err = errors.Join(err, s.c.w.Close())
	}
	return err
}

// Name is the store's label in errors and logs.
func (s *Store) Name() string { return s.c.name }

// Authenticate implements authsrc.Source.
func (s *Store) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	if err := authsrc.CheckInput(ctx, user, password); err != nil {
		return authsrc.Identity{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	name, hash, data, found, err := s.userRow(ctx, user)
	if err != nil {
		return authsrc.Identity{}, s.unavailable(err)
	}
	start := time.Now()
	if !found {
		s.floor.Unknown(password)
		return authsrc.Identity{}, s.invalid(ctx, start)
	}
	ok, err := s.floor.Verify(hash, password)
	if err != nil {
		// Never a wrong password: the row holds something we can't check,
		// and the admin needs to hear about it. pwhash's errors don't
		// contain the hash.
		return authsrc.Identity{}, s.unavailable(fmt.Errorf("user %q: %w", user, err))
	}
	if !ok {
		return authsrc.Identity{}, s.invalid(ctx, start)
	}
	if s.own {
		s.rehash(ctx, name, hash, password)
	}
	return s.identity(ctx, name, data)
}

// identity completes the Identity of the user whose row gave name (as
// the database stores it) and, in own-schema mode, data, with the groups
// and data queries, which are asked about that name rather than the one
// typed: with a comparison that ignores case, "ALICE" found alice's row,
// and alice's groups may be kept where names compare exactly.
func (s *Store) identity(ctx context.Context, name, data string) (authsrc.Identity, error) {
	id := authsrc.Identity{User: name, Data: data}
	var err error
	if id.Groups, err = s.userGroups(ctx, s.c.r, name); err != nil {
		return authsrc.Identity{}, s.unavailable(fmt.Errorf("user %q: groups: %w", name, err))
	}
	if s.q.data != "" {
		if id.Data, err = s.existingData(ctx, name); err != nil {
			return authsrc.Identity{}, s.unavailable(fmt.Errorf("user %q: data: %w", name, err))
		}
	}
	return id, nil
}

// userRow finds user's row. found is false for no row and for a row without
// a usable hash (NULL or empty), which no password can match.
func (s *Store) userRow(ctx context.Context, user string) (name, hash, data string, found bool, err error) {
	rows, err := s.c.r.QueryContext(ctx, s.q.user, user)
	if err != nil {
		return "", "", "", false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return "", "", "", false, rows.Err()
	}
	var h []byte
	if s.own {
		err = rows.Scan(&name, &h, &data)
		// Not redundant: MariaDB's utf8mb4_bin is a PAD SPACE collation,
		// so "alice " finds alice's row there. CheckUserName keeps blanks
		// off the ends of stored names; this keeps them off typed ones.
		found = err == nil && name == user
	} else {
		name, err = s.scanExisting(rows, user, &h)
		found = err == nil
	}
	if err != nil {
		return "", "", "", false, err
	}
	if rows.Next() {
		// Two rows for one name: a query or collation that matches more
		// than it should. Refuse rather than pick one.
		return "", "", "", false, fmt.Errorf("password query returned more than one row for user %q", user)
	}
	if err := rows.Err(); err != nil {
		return "", "", "", false, err
	}
	return name, string(h), data, found && len(h) > 0, nil
}

// userGroups reads a user's groups; they become ticket tokens, so one that
// can't be a token (possible in an existing database) fails the login
// rather than corrupting the ticket or being dropped unseen.
func (s *Store) userGroups(ctx context.Context, q querier, user string) ([]string, error) {
	if s.q.groups == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, s.q.groups, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var groups []string
	for rows.Next() {
		var g sql.NullString
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		if !g.Valid {
			continue
		}
		if err := CheckGroupName(g.String); err != nil {
			return nil, err
		}
		groups = append(groups, g.String)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return sortedSet(groups), nil
}

func (s *Store) existingData(ctx context.Context, user string) (string, error) {
	rows, err := s.c.r.QueryContext(ctx, s.q.data, user)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var data sql.NullString
	if rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return "", err
		}
		if rows.Next() {
			return "", errors.New("data query returned more than one row")
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return data.String, validData(data.String)
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// unavailable wraps a database failure for the portal: it names the store
// and never shows the DSN's password, even if a driver put it in a message.
func (s *Store) unavailable(err error) error {
	return authsrc.Unavailable(s.c.name, scrub(err, s.c.secret))
}

// scrub hides secret in err's message.
func scrub(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), secret, "xxxxx"), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

// Unwrap keeps errors.Is working (context.DeadlineExceeded, driver codes).
func (e *scrubbedError) Unwrap() error { return e.err }
