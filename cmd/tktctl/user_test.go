package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/sqltest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestUserCommands runs a session of user commands against one data
// directory, in order: each step's exit code and output.
func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	dbFile := filepath.Join(t.TempDir(), "env.db")
	steps := []struct {
		args    string
		stdin   string
		env     map[string]string
		code    int
		out     string // exact stdout when set
		errHas  string // in stderr when set
		outHas  string // in stdout when set
		noFlags bool   // don't append --data-dir and --bcrypt-cost
	}{
		{args: "user list", code: 1, errHas: "no user database at " + dir},
		{args: "user add alice --password-stdin -g staff,admins --group staff --data dept=7", stdin: "pw-alice\n", out: "added user alice to " + dir + "/users.db\n", errHas: "note: created the user database " + dir + "/users.db: tktd serve uses it when started in " + filepath.Dir(dir) + ", or with --data-dir " + dir + "\n"},
		{args: "user add alice --password-stdin", stdin: "other-password\n", code: 1, errHas: "already exists"},
		{args: "user add bad!name --password-stdin", stdin: "pw\n", code: 2, errHas: "'!'"},
		{args: "user add dave --password-stdin -g a,b!c", stdin: "password\n", code: 2, errHas: "group name"},
		{args: "user add dave --password-stdin --data=a\x01b", stdin: "password\n", code: 2, errHas: "control character"},
		{args: "user add bob", code: 2, errHas: "not a terminal"},
		{args: "user add bob --password-stdin", stdin: "", code: 1, errHas: "standard input"},
		{args: "user add bob --password-stdin", stdin: "\n", code: 1, errHas: "empty password"},
		{args: "user add bob --password-stdin", stdin: "x\n", code: 1, errHas: "the password is too short: 1 characters, and passwords.min_length asks for at least 8"},
		{args: "user add bob --password-stdin", stdin: "seven-7\n", env: map[string]string{"TKT_PASSWORDS_MIN_LENGTH": "7"}, out: "added user bob to " + dir + "/users.db\n"},
		{args: "user add carol --password-stdin", stdin: "zoë-zoë\n", code: 1, errHas: "7 characters"},
		{args: "user del bob", out: "deleted user bob\n"},
		{args: "user add Zoë --password-stdin", stdin: "pw zoë zoë\r\n", out: "added user Zoë to " + dir + "/users.db\n"},
		{args: "user list", out: "NAME   GROUPS        DATA\nZoë                  \nalice  admins,staff  dept=7\n"},
		{args: "user passwd alice --password-stdin", stdin: "pw-alice-2\nignored\n", out: "changed the password of alice\n"},
		{args: "user passwd alice --password-stdin", stdin: "short\n", code: 1, errHas: "too short: 5 characters"},
		{args: "user passwd ghost --password-stdin", stdin: "pw\n", code: 1, errHas: "no such user"},
		{args: "user group alice --add ops --remove staff,never", out: "alice: admins,ops\n"},
		{args: "user group alice --set ops,x", out: "alice: ops,x\n"},
		{args: "user group Zoë --set=", out: "Zoë: \n"},
		{args: "user group alice", code: 2, errHas: "nothing to do"},
		{args: "user group alice --set a --add b", code: 2, errHas: "can't be combined"},
		{args: "user group ghost --add a", code: 1, errHas: "no such user"},
		{args: "user data alice dept=9", out: "set the data of alice\n"},
		{args: "user del Zoë", out: "deleted user Zoë\n"},
		{args: "user del Zoë", code: 1, errHas: "no such user"},
		{args: "user frobnicate", code: 2, errHas: "unknown command"},
		{args: "user list extra", code: 2},
		{args: "user add", code: 2},
		{args: "user list --driver pgx", code: 2, errHas: "go together"},
		{args: "user list --driver sqlite --dsn x.db", code: 2, errHas: "--data-dir"},
		{args: "user list --bcrypt-cost 99", code: 1, errHas: "bcrypt cost"},
		{args: "user list", noFlags: true, env: map[string]string{"TKT_DB_DRIVER": "oracle", "TKT_DB_DSN": "x"}, code: 1, errHas: "unknown driver"},
		{args: "user add envuser --password-stdin --bcrypt-cost 4", noFlags: true, stdin: "password\n", env: map[string]string{"TKT_DB_DRIVER": "sqlite", "TKT_DB_DSN": dbFile}, out: "added user envuser to the sqlite database of the DSN\n"},
	}
	for _, st := range steps {
		args := strings.Fields(st.args)
		if !st.noFlags {
			args = append(args, "--data-dir", dir, "--bcrypt-cost", "4")
			if strings.Contains(st.args, "--bcrypt-cost") {
				args = args[:len(args)-2]
			}
		}
		r := runTktctl(t, st.env, st.stdin, args...)
		switch {
		case r.Code != st.code:
			t.Errorf("tktctl %s: exit %d, want %d (stderr %q)", st.args, r.Code, st.code, r.Err)
		case st.out != "" && r.Out != st.out:
			t.Errorf("tktctl %s: stdout (-want +got)\n%s", st.args, cmp.Diff(st.out, r.Out))
		case !strings.Contains(r.Err, st.errHas) || !strings.Contains(r.Out, st.outHas):
			t.Errorf("tktctl %s: stderr %q, want it to contain %q", st.args, r.Err, st.errHas)
		}
		if strings.Contains(r.Out+r.Err, "pw-alice") {
			t.Errorf("tktctl %s: a password in the output: %+v", st.args, r)
		}
	}

	// What the commands did is what a login sees.
	s, err := sqlstore.OpenDataDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, err := s.Authenticate(context.Background(), "alice", "pw-alice-2")
	if diff := cmp.Diff(authsrc.Identity{User: "alice", Groups: []string{"ops", "x"}, Data: "dept=9"}, id); err != nil || diff != "" {
		t.Errorf("alice after the session: %v (-want +got)\n%s", err, diff)
	}
	if _, err := s.Authenticate(context.Background(), "alice", "pw-alice"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
		t.Errorf("alice's old password: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, %v; want mode 0700", fi, err)
	}
	env, err := sqlstore.Open(context.Background(), sqlstore.Config{DSN: dbFile})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if _, err := env.Authenticate(context.Background(), "envuser", "password"); err != nil {
		t.Errorf("user added through TKT_DB_DSN: %v", err)
	}
}

func TestUserListJSON(t *testing.T) {
	dir := t.TempDir()
	for _, a := range [][]string{
		{"user", "add", "b", "--password-stdin", "-g", "g2,g1", "--data", "d"},
		{"user", "add", `a "quoted" \ name`, "--password-stdin"},
	} {
		if r := runTktctl(t, nil, "password\n", append(a, "--data-dir", dir, "--bcrypt-cost", "4")...); r.Code != 0 {
			t.Fatalf("%q: %+v", a, r)
		}
	}
	r := runTktctl(t, nil, "", "user", "list", "--json", "--data-dir", dir)
	var got []sqlstore.UserInfo
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil || r.Code != 0 {
		t.Fatalf("list --json: %+v: %v", r, err)
	}
	for i := range got {
		if time.Since(got[i].Created) > time.Minute || got[i].Updated.IsZero() {
			t.Errorf("%s: created %v, updated %v", got[i].Name, got[i].Created, got[i].Updated)
		}
		got[i].Created, got[i].Updated = time.Time{}, time.Time{}
	}
	want := []sqlstore.UserInfo{{Name: `a "quoted" \ name`, Groups: []string{}}, {Name: "b", Groups: []string{"g1", "g2"}, Data: "d"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list --json (-want +got)\n%s", diff)
	}
	empty := t.TempDir()
	runTktctl(t, nil, "password\n", "user", "add", "x", "--password-stdin", "--data-dir", empty, "--bcrypt-cost", "4")
	runTktctl(t, nil, "", "user", "del", "x", "--data-dir", empty)
	if r := runTktctl(t, nil, "", "user", "list", "--json", "--data-dir", empty); r.Out != "[]\n" {
		t.Errorf("empty list --json = %q, want []", r.Out)
	}
}

// TestUserPostgres: the same commands on tkt's schema in the real
// PostgreSQL, chosen through the environment.
func TestUserPostgres(t *testing.T) {
	dsn, _ := sqltest.Postgres(t)
	env := map[string]string{"TKT_DB_DRIVER": "postgres", "TKT_DB_DSN": dsn}
	if r := runTktctl(t, env, "password\n", "user", "add", "pg-user", "--password-stdin", "-g", "dba", "--bcrypt-cost", "4"); r.Code != 0 {
		t.Fatalf("add: %+v", r)
	}
	if r := runTktctl(t, env, "", "user", "list"); r.Code != 0 || r.Out != "NAME     GROUPS  DATA\npg-user  dba     \n" {
		t.Errorf("list: %+v", r)
	}
	if r := runTktctl(t, env, "", "user", "add", "pg-user", "--password-stdin"); r.Code != 1 {
		t.Errorf("add twice: %+v, want exit 1", r)
	}
}

// A user database that is missing is told apart from one that cannot be
// opened: only the first gets "tktctl user add creates it". The
// permission case runs as another user in cmd/tktd's
// TestE2EUnreadableDataDir; here a real error that is not "missing" (a
// data directory that is a file) and, when not root, a mode.
func TestUserDBState(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none", "users.db")
	if err := userDBState(missing, false); err == nil || !strings.Contains(err.Error(), "tktctl user add creates it") {
		t.Errorf("missing: %v", err)
	}
	if err := userDBState(missing, true); err != nil {
		t.Errorf("missing, to be created: %v", err)
	}
	file := testenv.WriteFile(t, filepath.Join(dir, "file"), "x", 0o600)
	for _, create := range []bool{false, true} {
		err := userDBState(filepath.Join(file, "users.db"), create)
		if err == nil || strings.Contains(err.Error(), "creates it") || !strings.Contains(err.Error(), "cannot be opened") {
			t.Errorf("under a file (create %v): %v", create, err)
		}
	}
	if os.Geteuid() != 0 {
		db := testenv.WriteFile(t, filepath.Join(dir, "users.db"), "", 0)
		r := runTktctl(t, nil, "", "user", "list", "--data-dir", dir)
		if r.Code != 1 || !strings.Contains(r.Err, db) || !strings.Contains(r.Err, "permission denied") || strings.Contains(r.Err, "creates it") {
			t.Errorf("unreadable database: %+v", r)
		}
	}
}

// TestUserPasswordMinLengthConfig: user add and passwd take
// passwords.min_length from tktd's configuration (--config or TKT_CONFIG).
func TestUserPasswordMinLengthConfig(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	conf := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), "passwords: {min_length: 12}\n", 0o600)
	add := []string{"user", "add", "alice", "--password-stdin", "--data-dir", data, "--bcrypt-cost", "4"}
	if r := runTktctl(t, nil, "ten-chars!\n", append(add, "--config", conf)...); r.Code != 1 || !strings.Contains(r.Err, "too short: 10 characters, and passwords.min_length asks for at least 12") {
		t.Errorf("--config: %+v", r)
	}
	if r := runTktctl(t, map[string]string{"TKT_CONFIG": conf}, "ten-chars!\n", add...); r.Code != 1 || !strings.Contains(r.Err, "at least 12") {
		t.Errorf("TKT_CONFIG: %+v", r)
	}
	if r := runTktctl(t, nil, "twelve-chars\n", append(add, "--config", conf)...); r.Code != 0 {
		t.Errorf("long enough: %+v", r)
	}
	passwd := []string{"user", "passwd", "alice", "--password-stdin", "--data-dir", data, "--bcrypt-cost", "4", "--config", conf}
	if r := runTktctl(t, nil, "ten-chars!\n", passwd...); r.Code != 1 || !strings.Contains(r.Err, "at least 12") {
		t.Errorf("passwd: %+v", r)
	}
	bad := testenv.WriteFile(t, filepath.Join(dir, "bad.yaml"), "passwords: {min_length: 0}\n", 0o600)
	if r := runTktctl(t, nil, "twelve-chars\n", append(add, "--config", bad)...); r.Code != 1 || !strings.Contains(r.Err, "passwords.min_length: 0 is outside 1 to 64 (default 8)") {
		t.Errorf("a bad min_length: %+v", r)
	}
}
