package sqlstore_test

import (
	"context"
	"database/sql"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/sqltest"
)

// testDB is an empty database (a PostgreSQL schema, a MariaDB database, a
// SQLite file) that belongs to one test and is dropped when it ends.
type testDB struct {
	kind   string // sqlite, postgres, mariadb
	driver string
	dsn    string
	// via returns the DSN reaching the same database through addr (a
	// proxy); nil for SQLite.
	via func(addr string) string
	// server is the real server's address; "" for SQLite.
	server string
}

var kinds = []string{"sqlite", "postgres", "mariadb"}

// eachKind runs test against every backend, in parallel.
func eachKind(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, kind)
		})
	}
}

func newTestDB(t testing.TB, kind string) testDB {
	t.Helper()
	switch kind {
	case "postgres":
		return newPostgresDB(t)
	case "mariadb":
		return newMariaDB(t)
	}
	return testDB{kind: "sqlite", driver: "sqlite", dsn: filepath.Join(t.TempDir(), "users.db")}
}

// newPostgresDB and newMariaDB take an isolated schema or database on the
// real server from sqltest, which drops it when the test ends.
func newPostgresDB(t testing.TB) testDB {
	dsn, schema := sqltest.Postgres(t)
	via := func(a string) string { return sqltest.PostgresDSN(a, schema) }
	return testDB{kind: "postgres", driver: "pgx", dsn: dsn, via: via, server: sqltest.PostgresAddr()}
}

func newMariaDB(t testing.TB) testDB {
	dsn, db := sqltest.MariaDB(t)
	via := func(a string) string { return sqltest.MariaDBDSN(a, db) }
	return testDB{kind: "mariadb", driver: "mysql", dsn: dsn, via: via, server: sqltest.MySQLAddr()}
}

// raw opens the test database directly, for the fixtures a test writes
// with plain SQL (an "existing" application's tables).
func (d testDB) raw(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%.60s: %v", query, err)
	}
}

// config is a Config for d with a low bcrypt cost, so tests run fast.
func (d testDB) config() sqlstore.Config {
	return sqlstore.Config{Driver: d.driver, DSN: d.dsn, BcryptCost: 4, QueryTimeout: 3 * time.Second}
}

func openStore(t testing.TB, cfg sqlstore.Config) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// proxy forwards TCP to a real server until Stop, which closes the
// listener and every connection: to the store behind it, the database
// has gone down.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  bool
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go p.serve(target)
	t.Cleanup(p.Stop)
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) serve(target string) {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, s) {
			return
		}
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	p.conns = append(p.conns, cs...)
	return true
}

func (p *proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
