package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// TestExistingRows: what odd rows in somebody else's database mean. A row we
// can't judge is the store's problem (unavailable, with a reason), never a
// wrong password, and never a login.
func TestExistingRows(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		db := newTestDB(t, kind)
		raw := db.raw(t)
		for _, stmt := range existingSchema(kind) {
			mustExec(t, raw, stmt)
		}
		good := toolHash(t, "sha512crypt", "pw")
		ins := rebindFor(kind, "INSERT INTO app_accounts (login, pw_hash, display_name, active) VALUES (?, ?, ?, ?)")
		insRole := rebindFor(kind, "INSERT INTO app_roles (login, role_name) VALUES (?, ?)")
		for _, r := range []struct {
			login string
			hash  any
			data  any
			on    int
		}{
			{"disabled", good, nil, 0},
			{"nullhash", nil, nil, 1},
			{"emptyhash", "", nil, 1},
			{"locked", "!" + good, nil, 1},
			{"garbage", "not-a-hash-at-all", nil, 1},
			{"plain", "pw", nil, 1},
			{"unknownscheme", "$99$abc$def", nil, 1},
			{"badgroup", good, nil, 1},
			{"nuldata", good, "a\x00b", 1},
			{"ok", good, "hello", 1},
		} {
			if kind == "postgres" && r.login == "nuldata" {
				continue // PostgreSQL text can't hold NUL at all
			}
			mustExec(t, raw, ins, r.login, r.hash, r.data, r.on)
		}
		mustExec(t, raw, insRole, "badgroup", "admins,root")

		s := openStore(t, existingConfig(db))
		plainCfg := existingConfig(db)
		plainCfg.AllowPlain = true
		plain := openStore(t, plainCfg)
		multiCfg := existingConfig(db)
		multiCfg.Queries.Password = "SELECT pw_hash FROM app_accounts WHERE login = ? OR login = 'ok'"
		multi := openStore(t, multiCfg)

		tests := []struct {
			name    string
			src     *sqlstore.Store
			user    string
			want    error
			wantMsg string // in the error, when set
		}{
			{"disabled account", s, "disabled", authsrc.ErrInvalidCredentials, ""},
			{"NULL hash", s, "nullhash", authsrc.ErrInvalidCredentials, ""},
			{"empty hash", s, "emptyhash", authsrc.ErrInvalidCredentials, ""},
			{"locked account", s, "locked", authsrc.ErrInvalidCredentials, ""},
			{"garbage hash", s, "garbage", pwhash.ErrUnknownFormat, `user "garbage"`},
			{"plain text refused by default", s, "plain", pwhash.ErrUnknownFormat, "unknown"},
			{"unknown crypt scheme", s, "unknownscheme", authsrc.ErrUnavailable, "unknown"},
			{"group that can't be a token", s, "badgroup", sqlstore.ErrInvalidName, "admins,root"},
			{"data with NUL", s, "nuldata", sqlstore.ErrInvalidData, ""},
			{"plain text when allowed", plain, "plain", nil, ""},
			{"two rows for one name", multi, "disabled", authsrc.ErrUnavailable, "more than one row"},
		}
		for _, tt := range tests {
			if kind == "postgres" && tt.user == "nuldata" {
				continue
			}
			id, err := tt.src.Authenticate(context.Background(), tt.user, "pw")
			t.Logf("%s: %v", tt.name, err)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: Authenticate = (%+v, %v), want %v", tt.name, id, err, tt.want)
				continue
			}
			if errors.Is(err, pwhash.ErrUnknownFormat) && !errors.Is(err, authsrc.ErrUnavailable) {
				t.Errorf("%s: %v is not an unavailable error", tt.name, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("%s: error %q does not say %q", tt.name, err, tt.wantMsg)
			}
			if err != nil && strings.Contains(err.Error(), good[:20]) {
				t.Errorf("%s: error %q shows the hash", tt.name, err)
			}
		}
		id, err := s.Authenticate(context.Background(), "ok", "pw")
		if err != nil || id.User != "ok" || id.Data != "hello" || len(id.Groups) != 0 {
			t.Errorf("ok: Authenticate = (%+v, %v)", id, err)
		}

		// User management is for tkt's own schema only.
		if err := s.AddUser(context.Background(), "new", "pw", nil, ""); !errors.Is(err, sqlstore.ErrNotOwnSchema) {
			t.Errorf("AddUser on an existing database = %v, want ErrNotOwnSchema", err)
		}
		if _, err := s.ListUsers(context.Background()); !errors.Is(err, sqlstore.ErrNotOwnSchema) {
			t.Errorf("ListUsers on an existing database = %v, want ErrNotOwnSchema", err)
		}
	})
}

// TestOpenQueries: a query without exactly one placeholder is refused at
// Open, before any connection, with a message saying so.
func TestOpenQueries(t *testing.T) {
	tests := []struct {
		driver string
		q      sqlstore.Queries
		ok     bool
	}{
		{"sqlite", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = ?"}, true},
		{"pgx", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = $1"}, true},
		{"sqlite", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = 'bob'"}, false},
		{"sqlite", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = ? OR m = ?"}, false},
		{"pgx", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = $2"}, false},
		{"pgx", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = $1 OR m = $1"}, false},
		{"sqlite", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = ?", Groups: "SELECT g FROM ug"}, false},
		{"sqlite", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = ?", Data: "SELECT d FROM u WHERE n = ? AND x = ?"}, false},
		{"mysql", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = ? AND q = 'it''s?'"}, true},
		{"mysql", sqlstore.Queries{Password: "SELECT p FROM u WHERE n = 'unterminated ?"}, false},
		{"sqlite", sqlstore.Queries{Password: "  "}, false},
	}
	for _, tt := range tests {
		// Nothing listens at this DSN: a config error must come first.
		dsn := "postgres://u@127.0.0.1:1/x"
		switch tt.driver {
		case "mysql":
			dsn = "u@tcp(127.0.0.1:1)/x"
		case "sqlite":
			dsn = t.TempDir() + "/missing.db"
		}
		q := tt.q
		_, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: tt.driver, DSN: dsn, Queries: &q})
		isConfigErr := err != nil && !errors.Is(err, authsrc.ErrUnavailable) && !strings.Contains(err.Error(), "no such file")
		if isConfigErr == tt.ok {
			t.Errorf("Open(%s, %+v) = %v, want config error: %v", tt.driver, tt.q, err, !tt.ok)
		}
	}
}

func TestOpenConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []sqlstore.Config{
		{Driver: "oracle", DSN: "x"},
		{Driver: "sqlite", DSN: ":memory:"},
		{Driver: "sqlite", DSN: "file:x.db?mode=ro"},
		{Driver: "sqlite", DSN: dir + "/no/such/dir/users.db"},
		{Driver: "sqlite", DSN: dir + "/a.db", BcryptCost: 3},
		{Driver: "sqlite", DSN: dir + "/b.db", BcryptCost: 40},
		{Driver: "sqlite", DSN: dir + "/c.db", QueryTimeout: -1},
		{Driver: "pgx", DSN: "postgres://u:p@[::1/x"},
		{Driver: "mysql", DSN: "no slash here"},
	}
	for _, cfg := range tests {
		if s, err := sqlstore.Open(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded, want an error", cfg)
		}
	}
}
