package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// TestMigrations: the schema is created on first open, left alone on the
// next (data intact), created once when several processes start together,
// and a schema from a newer tkt is refused.
func TestMigrations(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		db := newTestDB(t, kind)

		// Several processes starting at once on an empty database.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := sqlstore.Open(ctx, db.config())
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			mustOK(t, err)
		}

		s := openStore(t, db.config())
		mustOK(t, s.AddUser(ctx, "keep", "pw", []string{"g"}, "d"))
		s.Close()
		s = openStore(t, db.config())
		if _, err := s.Authenticate(ctx, "keep", "pw"); err != nil {
			t.Errorf("user lost on re-open: %v", err)
		}

		raw := db.raw(t)
		var n, v int
		mustOK(t, raw.QueryRow("SELECT COUNT(*), MAX(version) FROM tkt_schema_version").Scan(&n, &v))
		if n != sqlstore.SchemaVersion || v != sqlstore.SchemaVersion {
			t.Errorf("tkt_schema_version has %d rows, max %d; want %d", n, v, sqlstore.SchemaVersion)
		}

		mustExec(t, raw, rebindFor(kind, "INSERT INTO tkt_schema_version (version, applied_at) VALUES (?, ?)"), 99, "2030-01-01 00:00:00")
		if _, err := sqlstore.Open(ctx, db.config()); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
			t.Errorf("Open on a newer schema = %v, want ErrSchemaTooNew", err)
		}
	})
}

// TestSQLiteFile: the zero-configuration database is private to its owner
// and runs in WAL mode.
func TestSQLiteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tkt-data")
	s, err := sqlstore.OpenDataDir(context.Background(), dir)
	mustOK(t, err)
	defer s.Close()
	mustOK(t, s.AddUser(context.Background(), "u", "pw", nil, ""))

	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, sqlstore.DefaultSQLiteFile): 0o600} {
		fi, err := os.Stat(path)
		mustOK(t, err)
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
	raw := testDB{driver: "sqlite", dsn: filepath.Join(dir, sqlstore.DefaultSQLiteFile)}.raw(t)
	var mode string
	mustOK(t, raw.QueryRow("PRAGMA journal_mode").Scan(&mode))
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

// TestExistingSQLiteUntouched: an application's SQLite file is opened read
// only: not switched to WAL, not given our tables.
func TestExistingSQLiteUntouched(t *testing.T) {
	db, _ := existingDB(t, "sqlite")
	s := openStore(t, existingConfig(db))
	if _, err := s.Authenticate(context.Background(), "alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	raw := db.raw(t)
	var mode string
	var n int
	mustOK(t, raw.QueryRow("PRAGMA journal_mode").Scan(&mode))
	mustOK(t, raw.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'tkt_%'").Scan(&n))
	if mode == "wal" || n != 0 {
		t.Errorf("existing database changed: journal_mode %q, %d tkt tables", mode, n)
	}
}

// TestMigratePasskeyIndex: schema version 3 comes to a version 2 database
// that the registration race left with one credential under two users:
// both go (neither can be told to be the rightful one), every other
// factor stays, and from then on the database refuses a second
// registration itself. On MariaDB a migration cut short after its ALTER
// TABLE, which commits at once, runs again without failing on it.
func TestMigratePasskeyIndex(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		db := newTestDB(t, kind)
		openStore(t, db.config()).Close()
		raw := db.raw(t)
		undo := "DROP INDEX tkt_factors_passkey_id"
		if kind == "mariadb" {
			undo = "ALTER TABLE tkt_factors DROP INDEX tkt_factors_passkey_id, DROP COLUMN passkey_id"
		}
		mustExec(t, raw, undo)
		mustExec(t, raw, "DELETE FROM tkt_schema_version WHERE version = 3")
		ins := rebindFor(kind, "INSERT INTO tkt_factors (user_name, kind, id, secret, last_step, created_at) VALUES (?, ?, ?, '{}', 0, ?)")
		for _, r := range [][3]string{
			{"alice", "passkey", "double"}, {"mallory", "passkey", "double"}, {"alice", "passkey", "single"},
			{"bob", "recovery", "h"}, {"carol", "recovery", "h"}, {"bob", "passkey", "other"},
		} {
			mustExec(t, raw, ins, r[0], r[1], r[2], "2026-01-01 00:00:00")
		}

		s := openStore(t, db.config())
		var left []string
		rows, err := raw.Query("SELECT user_name, kind, id FROM tkt_factors ORDER BY user_name, kind, id")
		mustOK(t, err)
		for rows.Next() {
			var u, k, id string
			mustOK(t, rows.Scan(&u, &k, &id))
			left = append(left, u+" "+k+" "+id)
		}
		mustOK(t, rows.Err())
		rows.Close()
		if want := []string{"alice passkey single", "bob passkey other", "bob recovery h", "carol recovery h"}; !slices.Equal(left, want) {
			t.Errorf("after the migration: %q, want %q", left, want)
		}
		// The index itself refuses, without AddFactor's check.
		if _, err := raw.Exec(ins, "mallory", "passkey", "single", "2026-01-01 00:00:00"); err == nil {
			t.Error("a second registration of a credential was inserted")
		}
		if err := s.AddFactor(ctx, sqlstore.Factor{User: "mallory", Kind: "passkey", ID: "single"}); !errors.Is(err, sqlstore.ErrFactorExists) {
			t.Errorf("AddFactor of alice's credential for mallory: %v", err)
		}
		s.Close()

		mustExec(t, raw, "DELETE FROM tkt_schema_version WHERE version = 3")
		openStore(t, db.config()).Close()
		var v int
		mustOK(t, raw.QueryRow("SELECT MAX(version) FROM tkt_schema_version").Scan(&v))
		if v != 3 {
			t.Errorf("schema version %d after the migration ran again", v)
		}
	})
}
