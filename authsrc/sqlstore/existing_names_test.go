package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// TestExistingNameAsStored: a database whose comparison ignores case
// finds alice's row for "ALICE". A password query that returns the name
// as stored before the hash makes that login alice's (the ticket, her
// second factors and revocations know one alice), and her groups are read
// for "alice", in a table where names compare exactly. With the hash alone
// the login is named as typed, and a MySQL store says so at Open. The
// comparison is MariaDB's utf8mb4_general_ci there, lower() on both sides
// elsewhere.
func TestExistingNameAsStored(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		db := newTestDB(t, kind)
		raw := db.raw(t)
		login, match, exact := "login VARCHAR(256)", "lower(login) = lower(?)", "login VARCHAR(256)"
		if kind == "mariadb" {
			login, match = "login VARCHAR(256) COLLATE utf8mb4_general_ci", "login = ?"
			exact = "login VARCHAR(256) COLLATE utf8mb4_bin"
		}
		mustExec(t, raw, `CREATE TABLE accounts (`+login+` NOT NULL PRIMARY KEY, pw_hash VARCHAR(300), active INTEGER NOT NULL)`)
		mustExec(t, raw, `CREATE TABLE roles (`+exact+` NOT NULL, role_name VARCHAR(100))`)
		ins := rebindFor(kind, "INSERT INTO accounts (login, pw_hash, active) VALUES (?, ?, ?)")
		hash := toolHash(t, "sha512crypt", "pw")
		for _, a := range []struct {
			login any
			on    int
		}{{"alice", 1}, {"bang!bang", 1}, {"off", 0}} {
			mustExec(t, raw, ins, a.login, hash, a.on)
		}
		mustExec(t, raw, rebindFor(kind, "INSERT INTO roles (login, role_name) VALUES (?, ?)"), "alice", "editors")
		open := func(password string) (*sqlstore.Store, string) {
			var logs bytes.Buffer
			cfg := db.config()
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			cfg.Queries = &sqlstore.Queries{
				Password: rebindFor(kind, password),
				Groups:   rebindFor(kind, "SELECT role_name FROM roles WHERE login = ?"),
			}
			return openStore(t, cfg), logs.String()
		}

		named, logs := open("SELECT login, pw_hash FROM accounts WHERE " + match + " AND active = 1")
		if logs != "" {
			t.Errorf("a query that returns the name: logged %q", logs)
		}
		for _, typed := range []string{"alice", "ALICE", "Alice"} {
			id, err := named.Authenticate(context.Background(), typed, "pw")
			if err != nil || id.User != "alice" || !slices.Equal(id.Groups, []string{"editors"}) {
				t.Errorf("Authenticate(%q) = (%+v, %v), want alice with her groups", typed, id, err)
			}
			if id, err := named.Lookup(context.Background(), typed); err != nil || id.User != "alice" {
				t.Errorf("Lookup(%q) = (%+v, %v), want alice", typed, id, err)
			}
		}
		if _, err := named.Authenticate(context.Background(), "ALICE", "PW"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
			t.Errorf("a wrong password for ALICE: %v", err)
		}
		if _, err := named.Authenticate(context.Background(), "OFF", "pw"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
			t.Errorf("a disabled account by another case: %v", err)
		}
		// A stored name no ticket can carry is the store's problem, not a
		// login under another name.
		if _, err := named.Authenticate(context.Background(), "BANG!BANG", "pw"); !errors.Is(err, authsrc.ErrUnavailable) || !strings.Contains(err.Error(), "'!'") {
			t.Errorf("a stored name with '!': %v, want unavailable, saying why", err)
		}

		typedAs, logs := open("SELECT pw_hash FROM accounts WHERE " + match + " AND active = 1")
		if id, err := typedAs.Authenticate(context.Background(), "ALICE", "pw"); err != nil || id.User != "ALICE" || len(id.Groups) != 0 {
			t.Errorf("hash alone: Authenticate(ALICE) = (%+v, %v), want ALICE as typed", id, err)
		}
		if warned := strings.Contains(logs, "returns the hash alone"); warned != (kind == "mariadb") {
			t.Errorf("hash alone on %s: warned %v: %q", kind, warned, logs)
		}
		if kind == "mariadb" {
			if _, logs := open("SELECT pw_hash FROM accounts WHERE login = ? COLLATE utf8mb4_bin"); logs != "" {
				t.Errorf("an exact comparison: logged %q", logs)
			}
		}

		// A query the database refuses, or that returns three columns,
		// stops Open: the first is the database's answer, the second a
		// configuration error.
		cfg := db.config()
		cfg.Queries = &sqlstore.Queries{Password: rebindFor(kind, "SELECT pw_hash FROM no_such_table WHERE login = ?")}
		if s, err := sqlstore.Open(context.Background(), cfg); err == nil || !errors.Is(err, authsrc.ErrUnavailable) || !strings.Contains(err.Error(), "no_such_table") {
			t.Errorf("a missing table: Open = %v, want unavailable naming the table", err)
			if s != nil {
				s.Close()
			}
		}
		cfg.Queries = &sqlstore.Queries{Password: rebindFor(kind, "SELECT login, pw_hash, active FROM accounts WHERE login = ?")}
		if s, err := sqlstore.Open(context.Background(), cfg); err == nil || errors.Is(err, authsrc.ErrUnavailable) || !strings.Contains(err.Error(), "returns 3") {
			t.Errorf("three columns: Open = %v, want a configuration error", err)
			if s != nil {
				s.Close()
			}
		}
	})
}
