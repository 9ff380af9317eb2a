// Package sqltest gives tests an isolated database on the real PostgreSQL
// and MariaDB servers: a fresh PostgreSQL schema or MariaDB database with a
// random name, dropped when the test ends, so tests of several packages can
// run at once against the same servers.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the drivers the DSNs are for
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// PostgresAddr and MySQLAddr are the real servers' addresses:
// TKT_TEST_POSTGRES_ADDR and TKT_TEST_MYSQL_ADDR, or the local defaults.
func PostgresAddr() string { return envOr("TKT_TEST_POSTGRES_ADDR", "127.0.0.1:5432") }
func MySQLAddr() string    { return envOr("TKT_TEST_MYSQL_ADDR", "127.0.0.1:3306") }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// UniqueName is prefix plus 12 random hex digits: a schema or database
// name no other test uses.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Postgres creates a schema for the test in database "test" and returns
// its name and a pgx DSN (driver "pgx") whose search_path is that schema.
func Postgres(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	addr := PostgresAddr()
	schema = UniqueName("tkt_test_")
	admin := adminDB(tb, "pgx", PostgresDSN(addr, ""), "PostgreSQL at "+addr+" (user postgres without a password, database test; TKT_TEST_POSTGRES_ADDR moves it)")
	mustExec(tb, admin, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { mustExec(tb, admin, "DROP SCHEMA "+schema+" CASCADE") })
	return PostgresDSN(addr, schema), schema
}

// PostgresDSN is the DSN of database "test" at addr with search_path
// schema (none when empty).
func PostgresDSN(addr, schema string) string {
	dsn := fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&connect_timeout=2", addr)
	if schema != "" {
		dsn += "&search_path=" + schema
	}
	return dsn
}

// MariaDB creates a database (utf8mb4) for the test and returns its name
// and a go-sql-driver DSN (driver "mysql") for it.
func MariaDB(tb testing.TB) (dsn, db string) {
	tb.Helper()
	addr := MySQLAddr()
	db = UniqueName("tkt_test_")
	admin := adminDB(tb, "mysql", MariaDBDSN(addr, "test"), "MariaDB at "+addr+" (user root without a password, database test; TKT_TEST_MYSQL_ADDR moves it)")
	mustExec(tb, admin, "CREATE DATABASE "+db+" CHARACTER SET utf8mb4")
	tb.Cleanup(func() { mustExec(tb, admin, "DROP DATABASE "+db) })
	return MariaDBDSN(addr, db), db
}

// MariaDBDSN is the DSN of database db at addr as root.
func MariaDBDSN(addr, db string) string {
	return fmt.Sprintf("root@tcp(%s)/%s?timeout=2s", addr, db)
}

// adminDB connects to a server for setup, skipping the test (failing it in
// CI) if it is down.
func adminDB(tb testing.TB, driver, dsn, what string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		testenv.Need(tb, what, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustExec(tb testing.TB, db *sql.DB, query string) {
	tb.Helper()
	if _, err := db.Exec(query); err != nil {
		tb.Fatalf("%.60s: %v", query, err)
	}
}
