package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/sqltest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

func htpasswdLine(t testing.TB, user, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return user + ":" + string(h) + "\n"
}

// TestBuildSource chains the data directory's SQLite store and an
// htpasswd file behind a cache, as a configuration says, and checks what
// tktd does with them: log in, reload, probe readiness, close.
func TestBuildSource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	users := testenv.WriteFile(t, filepath.Join(dir, "users"), htpasswdLine(t, "bob", "bob-pw"), 0o644)
	groups := testenv.WriteFile(t, filepath.Join(dir, "groups"), "staff: bob\n", 0o644)
	c := Defaults()
	c.DataDir = filepath.Join(dir, "data")
	c.Stores = []Store{
		{Type: StoreSQL, SQL: &SQLStore{BcryptCost: bcrypt.MinCost}},
		{Type: StoreHtpasswd, Name: "files", Cache: Cache{Enabled: true}, Htpasswd: &HtpasswdStore{Path: users, GroupPath: groups, CheckInterval: -1}},
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// alice lives in the SQLite store that tktctl user add writes.
	sc, err := sqlstore.DataDirConfig(c.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	sc.BcryptCost = bcrypt.MinCost
	admin, err := sqlstore.Open(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.AddUser(ctx, "alice", "alice-pw", []string{"admins"}, "uid=1"); err != nil {
		t.Fatal(err)
	}
	admin.Close()

	var hits atomic.Int32
	st, err := BuildSource(ctx, c, BuildConfig{CacheHooks: func(store string) cache.Hooks {
		if store != "files" {
			t.Errorf("cache hooks for %q, want only the cached store", store)
		}
		return cache.Hooks{OnHit: func() { hits.Add(1) }}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if diff := cmp.Diff([]string{"sqlite " + filepath.Join(c.DataDir, "users.db"), "files"}, st.Names()); diff != "" {
		t.Errorf("names (-want +got)\n%s", diff)
	}

	tests := []struct {
		user, password string
		want           authsrc.Identity
		err            error
	}{
		{"alice", "alice-pw", authsrc.Identity{User: "alice", Groups: []string{"admins"}, Data: "uid=1"}, nil},
		{"bob", "bob-pw", authsrc.Identity{User: "bob", Groups: []string{"staff"}}, nil},
		{"bob", "bob-pw", authsrc.Identity{User: "bob", Groups: []string{"staff"}}, nil}, // from the cache
		{"bob", "wrong", authsrc.Identity{}, authsrc.ErrInvalidCredentials},
		{"carol", "x", authsrc.Identity{}, authsrc.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		got, err := st.Source.Authenticate(ctx, tt.user, tt.password)
		if !errors.Is(err, tt.err) || err == nil != (tt.err == nil) {
			t.Errorf("%s/%s: err %v, want %v", tt.user, tt.password, err, tt.err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s/%s (-want +got)\n%s", tt.user, tt.password, diff)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("%d cache hits, want 1", hits.Load())
	}
	if err := st.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}

	// bob's password changes in the file: Reload takes it in at once,
	// cache included (CheckInterval -1: only Reload reads the file).
	testenv.WriteFile(t, filepath.Join(dir, "users"), htpasswdLine(t, "bob", "new-pw"), 0o644)
	if err := st.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Source.Authenticate(ctx, "bob", "bob-pw"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
		t.Errorf("old password after reload: %v", err)
	}
	if _, err := st.Source.Authenticate(ctx, "bob", "new-pw"); err != nil {
		t.Errorf("new password after reload: %v", err)
	}
	// A broken file keeps the last good one, and says so.
	testenv.WriteFile(t, filepath.Join(dir, "users"), "bob:not-a-hash\n", 0o644)
	if err := st.Reload(); err == nil {
		t.Error("Reload of a broken file succeeded")
	}
	if _, err := st.Source.Authenticate(ctx, "bob", "new-pw"); err != nil {
		t.Errorf("after a bad reload: %v", err)
	}
}

// TestBuildSourceHtpasswdGone replays finding 6's other half: with its
// htpasswd file deleted, a store read as not ready while its logins kept
// working from memory. One meaning now: it serves, so it is ready, and
// Degraded (and the log, once) says it serves from memory.
func TestBuildSourceHtpasswdGone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	users := testenv.WriteFile(t, filepath.Join(dir, "users"), htpasswdLine(t, "bob", "bob-pw"), 0o644)
	c := Defaults()
	c.DataDir = filepath.Join(dir, "data")
	c.Stores = []Store{{Type: StoreHtpasswd, Name: "files", Htpasswd: &HtpasswdStore{Path: users, CheckInterval: time.Nanosecond}}}
	var logs bytes.Buffer
	st, err := BuildSource(ctx, c, BuildConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := st.Degraded(); err != nil {
		t.Fatalf("Degraded with the file there: %v", err)
	}

	if err := os.Remove(users); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a login's reload attempt fails, and changes nothing
		if err := st.Check(ctx); err != nil {
			t.Errorf("Check with the file gone: %v, want ready: logins work", err)
		}
		if _, err := st.Source.Authenticate(ctx, "bob", "bob-pw"); err != nil {
			t.Errorf("login with the file gone: %v", err)
		}
		var se *StoreError
		if err := st.Degraded(); !errors.As(err, &se) || se.Store != "files" || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Degraded with the file gone: %v, want files, not found", err)
		}
	}
	if n := strings.Count(logs.String(), "serves from memory"); n != 1 {
		t.Errorf("%d log lines say the store serves from memory, want 1:\n%s", n, &logs)
	}

	testenv.WriteFile(t, filepath.Join(dir, "users"), htpasswdLine(t, "bob", "bob-pw"), 0o644)
	if err := st.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Degraded(); err != nil {
		t.Errorf("Degraded with the file back: %v", err)
	}
	if !strings.Contains(logs.String(), "serve from their files again") {
		t.Errorf("no log line when the file came back:\n%s", &logs)
	}
}

// TestBuildSourceLazyReadiness: a store that never loaded its file is not
// ready, as its logins are unavailable, and the probe itself loads the
// file once it appears: no login reaches a store that isn't ready.
func TestBuildSourceLazyReadiness(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	c := Defaults()
	c.DataDir = filepath.Join(dir, "data")
	c.Stores = []Store{{Type: StoreHtpasswd, Name: "later", Htpasswd: &HtpasswdStore{Path: users, Lazy: true, CheckInterval: time.Nanosecond}}}
	st, err := BuildSource(ctx, c, BuildConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(ctx); !errors.Is(err, authsrc.ErrUnavailable) {
		t.Fatalf("Check before the file exists: %v, want unavailable", err)
	}
	testenv.WriteFile(t, filepath.Join(dir, "users"), htpasswdLine(t, "bob", "bob-pw"), 0o644)
	old := time.Now().Add(-time.Hour) // settled: not being written
	os.Chtimes(users, old, old)
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check once the file exists: %v", err)
	}
	if _, err := st.Source.Authenticate(ctx, "bob", "bob-pw"); err != nil {
		t.Fatal(err)
	}
}

// TestBuildSourceLDAPReadiness replays finding 6 against real slapd
// servers: readiness used to be a TCP connect, so a slapd stopped with
// SIGSTOP (the kernel still accepts its connections) read as ready while
// every login failed after 3 s. Now it reads as not ready within the
// probe's deadline, the directory that fails over to a live server reads
// as ready, and the hung one doesn't make the others look down.
func TestBuildSourceLDAPReadiness(t *testing.T) {
	ctx := context.Background()
	live := slapdtest.Start(t, slapdtest.Config{LDIF: "dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n"})
	hung := slapdtest.Start(t, slapdtest.Config{})
	c := Defaults()
	c.DataDir = t.TempDir()
	store := func(name string, urls ...string) Store {
		l := &LDAPStore{}
		l.URLs, l.BaseDN = urls, live.BaseDN
		l.BindDN, l.BindPassword = live.AdminDN, live.AdminPassword // the root DN stands in for a service account
		return Store{Type: StoreLDAP, Name: name, LDAP: l}
	}
	c.Stores = []Store{
		store("down", "ldap://"+testenv.FreeAddr(t)),
		store("hung", hung.URL),
		store("failover", "ldap://"+testenv.FreeAddr(t), live.URL),
	}
	c.Stores[1].LDAP.BindDN, c.Stores[1].LDAP.BindPassword = hung.AdminDN, hung.AdminPassword
	st, err := BuildSource(ctx, c, BuildConfig{})
	if err != nil {
		t.Fatal(err) // ldap.New does not connect: a directory down at start is no error
	}
	defer st.Close()
	if err := st.Check(ctx); err == nil || !strings.Contains(err.Error(), "down") {
		t.Fatalf("before the freeze: %v, want only down unready", err)
	}
	if err := hung.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Thaw() })
	time.Sleep(time.Second) // the last probe's answer is good for a second

	const probe = 3 * time.Second // what tktd's /readyz gives the check
	pctx, cancel := context.WithTimeout(ctx, probe)
	defer cancel()
	start := time.Now()
	err = st.Check(pctx)
	took := time.Since(start)
	t.Logf("Check with slapd frozen: %v after %v", err, took)
	var names []string
	for _, p := range Problems(err) {
		var se *StoreError
		if errors.As(p, &se) {
			names = append(names, se.Store)
		}
	}
	if diff := cmp.Diff([]string{"down", "hung"}, names); diff != "" {
		t.Errorf("unready stores (-want +got)\n%s\n(%v)", diff, err)
	}
	if took > probe+time.Second {
		t.Errorf("Check took %v, past the probe's %v", took, probe)
	}
	// And logins agree: the hung directory fails them.
	lctx, lcancel := context.WithTimeout(ctx, time.Second)
	defer lcancel()
	if _, err := st.Source.Authenticate(lctx, "alice", "pw"); !errors.Is(err, authsrc.ErrUnavailable) {
		t.Errorf("login with a directory down and one hung: %v, want unavailable", err)
	}
}

func TestBuildSourceErrors(t *testing.T) {
	c := Defaults()
	c.DataDir = t.TempDir()
	c.Stores = []Store{{Type: StoreHtpasswd, Htpasswd: &HtpasswdStore{Path: filepath.Join(c.DataDir, "missing")}}}
	if _, err := BuildSource(context.Background(), c, BuildConfig{}); err == nil {
		t.Error("a missing htpasswd file (not lazy) opened")
	}
	c.Stores[0].Htpasswd.Lazy = true
	st, err := BuildSource(context.Background(), c, BuildConfig{})
	if err != nil {
		t.Fatalf("lazy: %v", err)
	}
	defer st.Close()
	if _, err := st.Source.Authenticate(context.Background(), "a", "b"); !errors.Is(err, authsrc.ErrUnavailable) {
		t.Errorf("lazy store without its file: %v, want unavailable", err)
	}
	c.Stores = []Store{{Type: StoreSQL, SQL: &SQLStore{Driver: "postgres", DSN: "postgres://nobody@" + testenv.FreeAddr(t) + "/x?connect_timeout=1"}}}
	if _, err := BuildSource(context.Background(), c, BuildConfig{}); !errors.Is(err, authsrc.ErrUnavailable) {
		t.Errorf("unreachable database: %v, want unavailable", err)
	}
}

// TestBuildSourcePostgres reads the DSN from dsn_file and checks readiness
// against the real server.
func TestBuildSourcePostgres(t *testing.T) {
	ctx := context.Background()
	dsn, _ := sqltest.Postgres(t)
	dir := t.TempDir()
	dsnFile := testenv.WriteFile(t, filepath.Join(dir, "dsn"), dsn+"\n", 0o600)
	y := fmt.Sprintf("data_dir: %s\nstores:\n  - type: sql\n    driver: postgres\n    dsn_file: %s\n    bcrypt_cost: 4\n", dir, dsnFile)
	c, err := Parse([]byte(y), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	st, err := BuildSource(ctx, c, BuildConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	if _, err := st.Source.Authenticate(ctx, "nobody", "pw"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
		t.Errorf("unknown user: %v", err)
	}
}

// TestBuildSourceRehash: rehash and bcrypt_cost reach the htpasswd store:
// a {SHA} password is bcrypt at the configured cost after its login.
func TestBuildSourceRehash(t *testing.T) {
	dir := t.TempDir()
	users := testenv.WriteFile(t, filepath.Join(dir, "users"), "alice:{SHA}g2YDYHBhl9R/ddqtGep+ipAO4aU=\n", 0o640) // alice-pw
	// Written long ago: the store leaves a file just written alone for a
	// moment, in case its writer isn't done.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(users, old, old); err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	c.DataDir = filepath.Join(dir, "data")
	c.Stores = []Store{{Type: StoreHtpasswd, Htpasswd: &HtpasswdStore{Path: users, Rehash: true, BcryptCost: bcrypt.MinCost}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := BuildSource(context.Background(), c, BuildConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Source.Authenticate(context.Background(), "alice", "alice-pw"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "alice:$2y$04$") {
		t.Errorf("file after the login: %q, want alice at bcrypt cost 4", data)
	}
}
