package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"golang.org/x/crypto/bcrypt"
)

// DefaultSQLiteFile is the user database's name inside a data directory.
const DefaultSQLiteFile = "users.db"

// Defaults for a zero Config.
const (
	DefaultMaxOpenConns    = 10
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultQueryTimeout    = 5 * time.Second
	DefaultBcryptCost      = bcrypt.DefaultCost
)

// Config selects a database and how to use it. The zero value opens (and
// creates) users.db in the working directory with tkt's own schema.
type Config struct {
	// Driver is "sqlite" (the default), "pgx" (or "postgres") or "mysql"
	// (or "mariadb").
	Driver string
	// DSN is a file path for SQLite (default users.db) and the driver's
	// connection string otherwise: a postgres:// URL or key=value list for
	// pgx, user:pass@tcp(host:3306)/db for MySQL. It may hold a password;
	// no error or Name ever shows it.
	DSN string
	// Queries, when set, reads users from an existing database instead of
	// tkt's own schema; user management is then unavailable.
	Queries *Queries
	// AllowPlain accepts passwords stored in clear text in an existing
	// database. Off by default: an unrecognised hash is then a store error.
	AllowPlain bool

	// Pool limits. Zero means DefaultMaxOpenConns connections, all of them
	// allowed to idle, each reopened after DefaultConnMaxLifetime.
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// QueryTimeout bounds each call's database work, connecting included
	// (default DefaultQueryTimeout). The caller's deadline, if sooner, wins.
	QueryTimeout time.Duration
	// BcryptCost is the cost of new password hashes and of the comparison
	// spent on unknown users (default DefaultBcryptCost). With tkt's own
	// schema, a user whose stored hash is in another scheme or at another
	// cost gets a new one at this cost when they next log in. With Queries,
	// set it to the cost the database's hashes have: failed logins take
	// at least the time of a hash of this cost, and learn costlier ones
	// only as they meet them.
	BcryptCost int
	// Name labels the store in errors; the default is built from the driver
	// and the DSN's host and database, without credentials.
	Name string
	// Logger receives hash upgrades (user name and schemes, never a hash);
	// nil discards them.
	Logger *slog.Logger
}

// Queries reads users from an existing database. Each query takes the user
// name as its one parameter, written `?` or `$1` whatever the driver, and is
// always run with the name bound, never pasted in.
//
// Names are matched as the database compares them: with a case-insensitive
// MySQL collation "ALICE" finds alice's row. A password query that returns
// the name as stored makes that login alice's; one that returns the hash
// alone names it "ALICE", a user apart from alice for tickets, second
// factors, revocations and sessions (Open logs a warning for such a MySQL
// query unless it compares exactly).
type Queries struct {
	// Password returns one row: the name as the database stores it and
	// the password hash (SELECT name, password FROM users WHERE name = ?),
	// or the hash alone, and the user is then named as typed. The name
	// must be one a ticket can carry, and the query must find the user by
	// it too (a refresh asks about the ticket's name). No row means no such
	// user; more than one is a store error. Open runs it once, for the
	// empty name, so that a query the database refuses stops it.
	Password string
	// Groups (optional) returns one group per row.
	Groups string
	// Data (optional) returns at most one row: the ticket's user data.
	Data string
}

// DataDirConfig returns the zero-configuration store: SQLite in
// dir/users.db. It creates dir (mode 0700) if it is missing, since the
// database holds password hashes.
func DataDirConfig(dir string) (Config, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Config{}, fmt.Errorf("sqlstore: data directory: %w", err)
	}
	return Config{Driver: "sqlite", DSN: filepath.Join(dir, DefaultSQLiteFile)}, nil
}

// OpenDataDir opens (creating if needed) the SQLite store in dir.
func OpenDataDir(ctx context.Context, dir string) (*Store, error) {
	cfg, err := DataDirConfig(dir)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg)
}

// withDefaults fills in zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.MaxIdleConns == 0 {
		c.MaxIdleConns = c.MaxOpenConns
	}
	if c.ConnMaxLifetime == 0 {
		c.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = DefaultBcryptCost
	}
	switch {
	case c.MaxOpenConns < 0, c.MaxIdleConns < 0, c.ConnMaxLifetime < 0, c.QueryTimeout < 0:
		return c, fmt.Errorf("sqlstore: pool limits and timeouts must not be negative")
	case c.BcryptCost < bcrypt.MinCost || c.BcryptCost > pwhash.MaxBcryptCost:
		return c, fmt.Errorf("sqlstore: bcrypt cost %d is outside %d..%d", c.BcryptCost, bcrypt.MinCost, pwhash.MaxBcryptCost)
	case c.Queries != nil && strings.TrimSpace(c.Queries.Password) == "":
		return c, fmt.Errorf("sqlstore: queries need at least the password query")
	}
	return c, nil
}
