package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// hostileUsers are real accounts whose names would break careless SQL,
// LDAP or file code. None equals an injection string the suite tries, or
// it would log in with its own password.
func hostileUsers() []authsrctest.User {
	long := strings.Repeat("ü", 100) + strings.Repeat("n", authsrc.MaxUserLen-200) // exactly MaxUserLen bytes
	return []authsrctest.User{
		{Name: "alice", Password: "correct horse", Groups: []string{"admins", "staff"}, Data: "uid=1000!x", CheckData: true},
		{Name: "bob", Password: "bobs pässwörd", Groups: []string{}, Data: "", CheckData: true},
		{Name: `*()\,=+<>#;"'`, Password: `p*()\,=+<>#;"'`, Groups: []string{"ops"}},
		{Name: "Zoë Ünïcødé 日本語", Password: "日本語のパスワード", Groups: []string{"ünïcødé", "日本"}, Data: "ü", CheckData: true},
		{Name: "x' OR '1'='1", Password: "sqli-one-pw", Groups: []string{}},
		{Name: "Robert'); DROP TABLE tkt_users;--", Password: "bobby tables", Groups: []string{"students"}},
		{Name: `50%_off \% $1 ? :name`, Password: "wildcards?", Groups: []string{}},
		{Name: long, Password: "long name password", Groups: []string{"g"}},
	}
}

func TestConformance(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		authsrctest.Run(t, func(t *testing.T) authsrctest.Fixture {
			db := newTestDB(t, kind)
			s := openStore(t, db.config())
			users := hostileUsers()
			for _, u := range users {
				if err := s.AddUser(context.Background(), u.Name, u.Password, u.Groups, u.Data); err != nil {
					t.Fatalf("AddUser(%q): %v", u.Name, err)
				}
			}
			return authsrctest.Fixture{Source: s, Users: users, Down: downStore(db, testDB.config), DownTimeout: 5 * time.Second}
		})
	})
}

// downStore returns a store like db's whose database has gone away: for a
// server, a proxy that is stopped after Open; for SQLite, whose database is
// the process's own file, a closed handle.
func downStore(db testDB, config func(testDB) sqlstore.Config) func(t *testing.T) authsrc.Source {
	return func(t *testing.T) authsrc.Source {
		cfg := config(db)
		cfg.QueryTimeout = 2 * time.Second
		if db.via == nil {
			s := openStore(t, cfg)
			s.Close()
			return s
		}
		p := startProxy(t, db.server)
		cfg.DSN = db.via(p.Addr())
		s := openStore(t, cfg)
		if _, err := s.Authenticate(context.Background(), "nobody", "pw"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
			t.Fatalf("through the proxy before it stops: %v", err)
		}
		p.Stop()
		return s
	}
}

// TestOpenUnreachable: a server that isn't there fails Open quickly with an
// unavailable error that does not show the DSN's password.
func TestOpenUnreachable(t *testing.T) {
	addr := testenv.FreeAddr(t)
	tests := []struct{ driver, dsn string }{
		{"pgx", "postgres://tkt:s3cr3tpw@" + addr + "/test?sslmode=disable"},
		{"pgx", "host=127.0.0.1 port=" + addr[strings.LastIndex(addr, ":")+1:] + " user=tkt password=s3cr3tpw dbname=test sslmode=disable"},
		{"mysql", "tkt:s3cr3tpw@tcp(" + addr + ")/test"},
	}
	for _, tt := range tests {
		start := time.Now()
		_, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: tt.driver, DSN: tt.dsn, QueryTimeout: 2 * time.Second})
		if !errors.Is(err, authsrc.ErrUnavailable) {
			t.Errorf("Open(%s, closed port) = %v, want ErrUnavailable", tt.driver, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3tpw") {
			t.Errorf("Open(%s) error shows the password: %v", tt.driver, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Open(%s, closed port) took %v", tt.driver, d)
		}
	}
}

// TestWrongServerPassword: the server itself refuses us; its message must
// not carry our password either.
func TestWrongServerPassword(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			db := newTestDB(t, kind)
			cfg := db.config()
			if kind == "postgres" {
				cfg.DSN = strings.Replace(cfg.DSN, "postgres@", "nosuchrole_tkt:s3cr3tpw@", 1)
			} else {
				cfg.DSN = strings.Replace(cfg.DSN, "root@", "nosuchuser_tkt:s3cr3tpw@", 1)
			}
			_, err := sqlstore.Open(context.Background(), cfg)
			if !errors.Is(err, authsrc.ErrUnavailable) {
				t.Fatalf("Open with a bad database login = %v, want ErrUnavailable", err)
			}
			if strings.Contains(err.Error(), "s3cr3tpw") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
