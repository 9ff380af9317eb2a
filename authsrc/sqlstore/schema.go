package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// tkt's own tables carry a tkt_ prefix so that they can live in a database
// shared with other applications.
//
// Names compare by their bytes: SQLite's and PostgreSQL's default
// comparisons are binary, and the MySQL columns say utf8mb4_bin (its default
// collations would make "Bob" and "bob" one user). utf8mb4_bin still ignores
// trailing blanks, which CheckUserName refuses and Authenticate re-checks.

// migration is one schema version's statements for each dialect.
type migration map[string][]string

// migrations()[i] takes the schema from version i to i+1. Append only: a
// released migration never changes. Each runs in one transaction with its
// version row, so a crash leaves the schema at a whole version; MySQL
// commits DDL implicitly, hence IF NOT EXISTS everywhere, so that a rerun
// after a crash there is harmless too.
func migrations() []migration {
	return []migration{
		{
			"sqlite": {
				`CREATE TABLE IF NOT EXISTS tkt_users (
				name TEXT NOT NULL PRIMARY KEY,
				password TEXT NOT NULL,
				data TEXT NOT NULL DEFAULT '',
				created_at TIMESTAMP NOT NULL,
				updated_at TIMESTAMP NOT NULL)`,
				`CREATE TABLE IF NOT EXISTS tkt_user_groups (
				user_name TEXT NOT NULL REFERENCES tkt_users(name) ON DELETE CASCADE,
				group_name TEXT NOT NULL,
				PRIMARY KEY (user_name, group_name))`,
			},
			"postgres": {
				`CREATE TABLE IF NOT EXISTS tkt_users (
				name VARCHAR(256) NOT NULL PRIMARY KEY,
				password TEXT NOT NULL,
				data TEXT NOT NULL DEFAULT '',
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL)`,
				`CREATE TABLE IF NOT EXISTS tkt_user_groups (
				user_name VARCHAR(256) NOT NULL REFERENCES tkt_users(name) ON DELETE CASCADE,
				group_name VARCHAR(256) NOT NULL,
				PRIMARY KEY (user_name, group_name))`,
			},
			"mysql": {
				`CREATE TABLE IF NOT EXISTS tkt_users (
				name VARCHAR(256) NOT NULL PRIMARY KEY,
				password VARCHAR(255) NOT NULL,
				data TEXT NOT NULL,
				created_at DATETIME(6) NOT NULL,
				updated_at DATETIME(6) NOT NULL
			) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
				`CREATE TABLE IF NOT EXISTS tkt_user_groups (
				user_name VARCHAR(256) NOT NULL,
				group_name VARCHAR(256) NOT NULL,
				PRIMARY KEY (user_name, group_name),
				FOREIGN KEY (user_name) REFERENCES tkt_users(name) ON DELETE CASCADE
			) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
			},
		},
		{
			// Second factors (factors.go), for users of any store: no
			// foreign key to tkt_users, since htpasswd and LDAP users have
			// their factors here too. Keyed by user and kind, so that a
			// kind with several factors (passkeys) gives each its own id.
			"sqlite": {
				`CREATE TABLE IF NOT EXISTS tkt_factors (
				user_name TEXT NOT NULL,
				kind TEXT NOT NULL,
				id TEXT NOT NULL,
				secret TEXT NOT NULL,
				last_step BIGINT NOT NULL DEFAULT 0,
				created_at TIMESTAMP NOT NULL,
				PRIMARY KEY (user_name, kind, id))`,
			},
			"postgres": {
				`CREATE TABLE IF NOT EXISTS tkt_factors (
				user_name VARCHAR(256) NOT NULL,
				kind VARCHAR(32) NOT NULL,
				id VARCHAR(128) NOT NULL,
				secret TEXT NOT NULL,
				last_step BIGINT NOT NULL DEFAULT 0,
				created_at TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (user_name, kind, id))`,
			},
			"mysql": {
				`CREATE TABLE IF NOT EXISTS tkt_factors (
				user_name VARCHAR(256) NOT NULL,
				kind VARCHAR(32) NOT NULL,
				id VARCHAR(128) NOT NULL,
				secret TEXT NOT NULL,
				last_step BIGINT NOT NULL DEFAULT 0,
				created_at DATETIME(6) NOT NULL,
				PRIMARY KEY (user_name, kind, id)
			) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
			},
		},
		{
			// A passkey's credential belongs to one user (AddFactor): a
			// unique index, so that two registrations at once on
			// PostgreSQL or MariaDB cannot both pass AddFactor's check.
			// A credential registered twice before it (that race) is
			// removed from both users first: neither registration can be
			// told to be the rightful one, and each user adds the
			// passkey again. MySQL has no partial index: a generated
			// column that holds only passkeys' ids carries the index.
			"sqlite":   {dropDoublePasskeys, `CREATE UNIQUE INDEX IF NOT EXISTS tkt_factors_passkey_id ON tkt_factors (id) WHERE kind = 'passkey'`},
			"postgres": {dropDoublePasskeys, `CREATE UNIQUE INDEX IF NOT EXISTS tkt_factors_passkey_id ON tkt_factors (id) WHERE kind = 'passkey'`},
			"mysql": {dropDoublePasskeys, `ALTER TABLE tkt_factors
				ADD COLUMN passkey_id VARCHAR(128) AS (CASE WHEN kind = 'passkey' THEN id END) STORED,
				ADD UNIQUE KEY tkt_factors_passkey_id (passkey_id)`},
		},
	}
}

// dropDoublePasskeys removes every registration of a credential that more
// than one row holds (the derived table lets MySQL read the table it
// deletes from).
const dropDoublePasskeys = `DELETE FROM tkt_factors WHERE kind = 'passkey' AND id IN (
	SELECT id FROM (SELECT id FROM tkt_factors WHERE kind = 'passkey' GROUP BY id HAVING COUNT(*) > 1) AS doubles)`

// SchemaVersion is the version of tkt's own schema this package writes:
// len(migrations()).
const SchemaVersion = 3

func versionTable(kind string) string {
	switch kind {
	case "postgres":
		return `CREATE TABLE IF NOT EXISTS tkt_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`
	case "mysql":
		return `CREATE TABLE IF NOT EXISTS tkt_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at DATETIME(6) NOT NULL) ENGINE=InnoDB`
	}
	return `CREATE TABLE IF NOT EXISTS tkt_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`
}

// ErrSchemaTooNew means the database was migrated by a newer tkt: running
// against it could lose data the newer version relies on.
var ErrSchemaTooNew = errors.New("database schema is newer than this tkt")

// migrate brings tkt's schema up to date. It is idempotent and safe to run
// from several processes at once.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	c, err := d.conn(ctx, db)
	if err != nil {
		return err
	}
	defer c.Close()
	unlock, err := d.lockSchema(ctx, c)
	if err != nil {
		return fmt.Errorf("lock schema: %w", err)
	}
	defer unlock()

	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, versionTable(d.kind)); err != nil {
		return fmt.Errorf("create tkt_schema_version: %w", err)
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM tkt_schema_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	have := int(v.Int64)
	ms := migrations()
	if have > len(ms) {
		return fmt.Errorf("%w: version %d, this tkt knows up to %d", ErrSchemaTooNew, have, len(ms))
	}
	insert := rebind("INSERT INTO tkt_schema_version (version, applied_at) VALUES (?, ?)", d.lex, d.dollar)
	for i := have; i < len(ms); i++ {
		for _, stmt := range ms[i][d.kind] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil && !d.ranBefore(err) {
				return fmt.Errorf("migrate to schema version %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, insert, i+1, now()); err != nil {
			return fmt.Errorf("record schema version %d: %w", i+1, err)
		}
	}
	return tx.Commit()
}

// now is the timestamp we store: UTC, at the microsecond precision all
// three databases keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
