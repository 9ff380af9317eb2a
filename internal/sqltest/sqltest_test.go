package sqltest_test

import (
	"database/sql"
	"testing"

	"github.com/tkt-sso/tkt/internal/sqltest"
)

// TestIsolated checks that each helper gives a usable, empty, private
// place: a table made there is not visible from another test's.
func TestIsolated(t *testing.T) {
	for _, tc := range []struct {
		name, driver string
		open         func(testing.TB) (string, string)
	}{
		{"postgres", "pgx", sqltest.Postgres},
		{"mariadb", "mysql", sqltest.MariaDB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn1, name1 := tc.open(t)
			dsn2, name2 := tc.open(t)
			if name1 == name2 {
				t.Fatalf("both got %q", name1)
			}
			db1, db2 := open(t, tc.driver, dsn1), open(t, tc.driver, dsn2)
			if _, err := db1.Exec("CREATE TABLE probe (x INT)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db1.Exec("SELECT x FROM probe"); err != nil {
				t.Errorf("own table: %v", err)
			}
			if _, err := db2.Exec("SELECT x FROM probe"); err == nil {
				t.Errorf("table of %s visible from %s", name1, name2)
			}
		})
	}
}

func open(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
