package sqlstore_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc/authsrctest"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// An "existing application" database: its own table and column names, a
// flag that disables accounts, roles in a second table, hashes written by
// other tools.
func existingSchema(kind string) []string {
	return []string{
		`CREATE TABLE app_accounts (login VARCHAR(256) NOT NULL PRIMARY KEY, pw_hash VARCHAR(300), display_name VARCHAR(200), active INTEGER NOT NULL)`,
		`CREATE TABLE app_roles (login VARCHAR(256) NOT NULL, role_name VARCHAR(100))`,
	}
}

// The queries use every placeholder spelling we accept, and a `?` inside a
// literal and a comment that must not count as one.
var existingQueries = sqlstore.Queries{
	Password: "SELECT pw_hash FROM app_accounts WHERE login = ? AND active = 1",
	Groups:   "SELECT role_name FROM app_roles WHERE login = $1 AND (role_name IS NULL OR role_name <> 'what?') /* one role a row? */ ORDER BY role_name",
	Data:     "SELECT display_name FROM app_accounts WHERE login = ?1",
}

// toolHash hashes password with a real tool in the given scheme.
func toolHash(t testing.TB, scheme, password string) string {
	t.Helper()
	var cmd *exec.Cmd
	switch scheme {
	case "md5crypt", "sha256crypt", "sha512crypt", "apr1":
		flag := map[string]string{"md5crypt": "-1", "sha256crypt": "-5", "sha512crypt": "-6", "apr1": "-apr1"}[scheme]
		cmd = exec.Command("openssl", "passwd", flag, password)
	case "bcrypt", "sha1":
		flag := map[string]string{"bcrypt": "-nbB", "sha1": "-nbs"}[scheme]
		cmd = exec.Command("htpasswd", flag, "-C", "4", "u", password)
		if scheme == "sha1" {
			cmd = exec.Command("htpasswd", flag, "u", password)
		}
	case "argon2id":
		cmd = exec.Command("argon2", "saltsaltsalt", "-id", "-t", "1", "-m", "8", "-p", "1", "-e")
		cmd.Stdin = strings.NewReader(password)
	case "scrypt", "pbkdf2-sha256":
		cmd = exec.Command("python3", "-c", `
import base64, hashlib, os, sys
p, salt = os.environ["P"].encode(), os.urandom(16)
b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
if sys.argv[1] == "scrypt":
    print("$scrypt$ln=8,r=8,p=1$" + b64(salt) + "$" + b64(hashlib.scrypt(p, salt=salt, n=256, r=8, p=1, dklen=32)))
else:
    ab64 = lambda b: b64(b).replace("+", ".")
    print("$pbkdf2-sha256$1000$" + ab64(salt) + "$" + ab64(hashlib.pbkdf2_hmac("sha256", p, salt, 1000)))
`, scheme)
		cmd.Env = append(os.Environ(), "P="+password)
	default:
		t.Fatalf("no tool for %s", scheme)
	}
	out, err := cmd.Output()
	if errors.Is(err, exec.ErrNotFound) {
		needServer(t, "%s not installed (apache2-utils, openssl, argon2, python3): %v", cmd.Path, err)
	}
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "u:")
}

var toolSchemes = []string{"bcrypt", "sha1", "apr1", "md5crypt", "sha256crypt", "sha512crypt", "argon2id", "scrypt", "pbkdf2-sha256"}

// existingDB fills a fresh database with the application's tables and
// returns the accounts as the conformance suite should find them.
func existingDB(t *testing.T, kind string) (testDB, []authsrctest.User) {
	db := newTestDB(t, kind)
	raw := db.raw(t)
	for _, stmt := range existingSchema(kind) {
		mustExec(t, raw, stmt)
	}
	users := hostileUsers()
	for i, scheme := range toolSchemes {
		users = append(users, authsrctest.User{Name: "user-" + scheme, Password: fmt.Sprintf("pw %d ü", i), Groups: []string{}, CheckData: true})
	}
	ins := rebindFor(kind, "INSERT INTO app_accounts (login, pw_hash, display_name, active) VALUES (?, ?, ?, 1)")
	insRole := rebindFor(kind, "INSERT INTO app_roles (login, role_name) VALUES (?, ?)")
	for i, u := range users {
		var data any // NULL display_name must read as no data
		if u.Data != "" {
			data = u.Data
		}
		mustExec(t, raw, ins, u.Name, toolHash(t, toolSchemes[i%len(toolSchemes)], u.Password), data)
		for _, g := range u.Groups {
			mustExec(t, raw, insRole, u.Name, g)
		}
		// Rows the groups query must skip.
		mustExec(t, raw, insRole, u.Name, nil)
		mustExec(t, raw, insRole, u.Name, "what?")
	}
	return db, users
}

func rebindFor(kind, q string) string {
	if kind != "postgres" {
		return q
	}
	for i := 1; strings.Contains(q, "?"); i++ {
		q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
	}
	return q
}

func existingConfig(db testDB) sqlstore.Config {
	cfg := db.config()
	q := existingQueries
	cfg.Queries = &q
	return cfg
}

func TestExistingConformance(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		authsrctest.Run(t, func(t *testing.T) authsrctest.Fixture {
			db, users := existingDB(t, kind)
			s := openStore(t, existingConfig(db))
			return authsrctest.Fixture{Source: s, Users: users, Down: downStore(db, existingConfig), DownTimeout: 5 * time.Second}
		})
	})
}
