package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is what differs between the three databases; everything else is
// one code path over database/sql.
type dialect struct {
	kind   string // "sqlite", "postgres" or "mysql"
	dollar bool   // $1 placeholders
	lex    lexOpts
}

func dialectFor(driver string) (dialect, error) {
	switch strings.ToLower(driver) {
	case "", "sqlite", "sqlite3":
		return dialect{kind: "sqlite"}, nil
	case "pgx", "postgres", "postgresql":
		return dialect{kind: "postgres", dollar: true, lex: lexOpts{dollarQuote: true}}, nil
	case "mysql", "mariadb":
		return dialect{kind: "mysql", lex: lexOpts{backslash: true, hashComment: true, dashSpace: true}}, nil
	}
	return dialect{}, fmt.Errorf("sqlstore: unknown driver %q (want sqlite, pgx or mysql)", driver)
}

// conns is an opened database: r serves logins; w, where not nil, is for
// schema changes and user management.
type conns struct {
	r, w   *sql.DB
	name   string // for errors, without credentials
	secret string // the DSN's password, scrubbed from every error
}

func (d dialect) open(cfg Config, own bool) (conns, error) {
	switch d.kind {
	case "postgres":
		return openPostgres(cfg)
	case "mysql":
		return openMySQL(cfg, own)
	}
	return openSQLite(cfg, own)
}

// openSQLite opens two handles on one file. Logins read through a pool of
// query_only connections; WAL lets them run while a write is in progress.
// Writes go through a separate single connection whose transactions start
// with BEGIN IMMEDIATE: SQLite allows one writer at a time, and a deferred
// transaction that upgrades from read to write can fail with SQLITE_BUSY at
// once, without waiting out busy_timeout. Another process (tktctl while tktd
// runs) is serialised by the same lock and busy_timeout.
//
// An existing database (Queries set) is opened read-only and never switched
// to WAL: it is somebody else's file.
func openSQLite(cfg Config, own bool) (conns, error) {
	path := cfg.DSN
	if path == "" {
		path = DefaultSQLiteFile
	}
	if strings.HasPrefix(path, "file:") || path == ":memory:" {
		return conns{}, fmt.Errorf("sqlstore: the SQLite DSN is a file path, not %q", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return conns{}, fmt.Errorf("sqlstore: %w", err)
	}
	name := "sql sqlite " + abs
	if own {
		// Created here, not by SQLite, so that it is 0600 from its first byte
		// (SQLite gives the -wal and -shm files the database file's mode).
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return conns{}, fmt.Errorf("%s: %w", name, err)
		}
		f.Close()
	} else if _, err := os.Stat(abs); err != nil {
		return conns{}, fmt.Errorf("%s: %w", name, err)
	}

	uri := url.URL{Scheme: "file", Path: abs}
	common := fmt.Sprintf("mode=rw&_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", cfg.QueryTimeout.Milliseconds())
	uri.RawQuery = common + "&_pragma=query_only(1)"
	r, err := sql.Open("sqlite", uri.String())
	if err != nil {
		return conns{}, fmt.Errorf("%s: %w", name, err)
	}
	c := conns{r: r, name: name}
	if own {
		uri.RawQuery = common + "&_pragma=journal_mode(WAL)&_txlock=immediate"
		if c.w, err = sql.Open("sqlite", uri.String()); err != nil {
			r.Close()
			return conns{}, fmt.Errorf("%s: %w", name, err)
		}
		c.w.SetMaxOpenConns(1)
	}
	return c, nil
}

func openPostgres(cfg Config) (conns, error) {
	pc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return conns{}, fmt.Errorf("sqlstore: postgres DSN: %w", err)
	}
	if pc.ConnectTimeout == 0 || pc.ConnectTimeout > cfg.QueryTimeout {
		pc.ConnectTimeout = cfg.QueryTimeout
	}
	db := stdlib.OpenDB(*pc)
	name := fmt.Sprintf("sql postgres %s:%d/%s", pc.Host, pc.Port, pc.Database)
	return conns{r: db, w: db, name: name, secret: pc.Password}, nil
}

func openMySQL(cfg Config, own bool) (conns, error) {
	mc, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		return conns{}, fmt.Errorf("sqlstore: mysql DSN: %w", err)
	}
	if mc.Timeout == 0 || mc.Timeout > cfg.QueryTimeout {
		mc.Timeout = cfg.QueryTimeout
	}
	if own {
		// Our schema has DATETIME columns, and "no such user" is told by
		// the number of rows an UPDATE matched, not the number it changed.
		mc.ParseTime = true
		mc.ClientFoundRows = true
	}
	// The driver prints connection trouble to stderr on its own ("[mysql]
	// ... broken pipe") and then returns or retries the same error; the
	// error reaches our caller, who logs it properly (slog), once.
	mc.Logger = &mysql.NopLogger{}
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return conns{}, fmt.Errorf("sqlstore: mysql DSN: %w", err)
	}
	db := sql.OpenDB(connector)
	name := fmt.Sprintf("sql mysql %s/%s", mc.Addr, mc.DBName)
	return conns{r: db, w: db, name: name, secret: mc.Passwd}, nil
}

// isDuplicate reports a primary-key or unique violation.
func isDuplicate(err error) bool {
	var se *sqlite.Error
	var pe *pgconn.PgError
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &se):
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	case errors.As(err, &pe):
		return pe.Code == "23505"
	case errors.As(err, &me):
		return me.Number == 1062
	}
	return false
}

// conn takes a connection of db for a migration. A new SQLite file is
// switched to WAL as its write connection opens, and that switch fails
// with SQLITE_BUSY at once, without waiting out busy_timeout, while
// another process (tktd and tktctl started together) migrates the same
// new file: it is tried again until ctx ends. (TestMigrations failed so
// about once in 30 runs.)
func (d dialect) conn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		c, err := db.Conn(ctx)
		var se *sqlite.Error
		if err == nil || d.kind != "sqlite" || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// ranBefore reports whether a migration statement failed only because it
// ran before: MySQL commits DDL at once, so a migration cut short after
// an ALTER TABLE but before its version row runs the ALTER again, which
// finds its column (1060) or key (1061) there. Other databases roll the
// whole migration back, or take IF NOT EXISTS.
func (d dialect) ranBefore(err error) bool {
	var me *mysql.MySQLError
	return d.kind == "mysql" && errors.As(err, &me) && (me.Number == 1060 || me.Number == 1061)
}

// lockSchema keeps two processes (tktd instances starting together) from
// migrating at once. SQLite needs nothing: its migration transaction is
// BEGIN IMMEDIATE, which already excludes every other writer. The returned
// function releases the lock.
func (d dialect) lockSchema(ctx context.Context, c *sql.Conn) (func(), error) {
	switch d.kind {
	case "postgres":
		// Session-level, so it spans the transaction; keyed by schema so
		// tests in separate schemas do not queue behind each other.
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('tkt_schema:' || current_schema()))"); err != nil {
			return nil, err
		}
		return func() {
			c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('tkt_schema:' || current_schema()))")
		}, nil
	case "mysql":
		var got sql.NullInt64
		secs := 10
		if dl, ok := ctx.Deadline(); ok {
			secs = max(1, int(time.Until(dl).Seconds()))
		}
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK(LEFT(CONCAT('tkt_schema:', DATABASE()), 64), ?)", secs).Scan(&got); err != nil {
			return nil, err
		}
		if got.Int64 != 1 {
			return nil, errors.New("timed out waiting for another process to finish migrating the schema")
		}
		return func() {
			c.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(LEFT(CONCAT('tkt_schema:', DATABASE()), 64))")
		}, nil
	}
	return func() {}, nil
}
