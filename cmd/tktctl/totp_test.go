package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/sqltest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// enrolled is what `user totp enroll` printed: the URI's secret and the
// recovery codes.
func enrolled(t *testing.T, r cliResult) (secret string, codes []string) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("enroll: %+v", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.Out, "\n"), "\n")
	u, err := url.Parse(lines[0])
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("first line %q is not an otpauth://totp/ URI", lines[0])
	}
	q := u.Query()
	if q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("secret") == "" {
		t.Errorf("URI parameters %v", q)
	}
	if len(lines) != 1+mfa.RecoveryCodes || !strings.Contains(r.Err, "shown this once") {
		t.Errorf("want the URI and %d recovery codes (no QR code off a terminal): %+v", mfa.RecoveryCodes, r)
	}
	return q.Get("secret"), lines[1:]
}

// TestUserTOTP enrolls and removes a factor in a data directory, for a
// user of no tkt store (an htpasswd or LDAP user): the printed secret's
// codes and the printed recovery codes are what a login then accepts.
func TestUserTOTP(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := runTktctl(t, nil, "", "user", "totp", "enroll", "ldap-alice", "--data-dir", dir)
	secret, codes := enrolled(t, r)
	if !strings.HasPrefix(r.Out, "otpauth://totp/tkt:ldap-alice?") || !strings.Contains(r.Out, "issuer=tkt") {
		t.Errorf("URI: %q", r.Out)
	}
	if fi, err := os.Stat(filepath.Join(dir, mfa.KeyFileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi, err)
	}
	ctx := context.Background()
	m := dataDirFactors(t, dir)
	code, _ := mfa.Code(secret, mfa.Step(time.Now()))
	if _, err := m.Verify(ctx, "ldap-alice", code); err != nil {
		t.Errorf("the printed secret's code: %v", err)
	}
	if _, err := m.Verify(ctx, "ldap-alice", codes[3]); err != nil {
		t.Errorf("a printed recovery code: %v", err)
	}

	// Enrolling again replaces the secret and the codes.
	r = runTktctl(t, nil, "", "user", "totp", "enroll", "ldap-alice", "--data-dir", dir)
	secret2, _ := enrolled(t, r)
	if secret2 == secret || !strings.Contains(r.Err, "replaced the TOTP factor of ldap-alice") {
		t.Errorf("second enroll: %+v", r)
	}
	if _, err := m.Verify(ctx, "ldap-alice", codes[4]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("an old recovery code after enrolling again: %v", err)
	}

	for _, c := range []struct {
		args   string
		code   int
		out    string
		errHas string
	}{
		{"user totp remove ldap-alice --data-dir " + dir, 0, "removed the TOTP factor and recovery codes of ldap-alice\n", ""},
		{"user totp remove ldap-alice --data-dir " + dir, 1, "", "ldap-alice has no TOTP factor"},
		{"user totp enroll bad!name --data-dir " + dir, 2, "", "'!'"},
		{"user totp enroll", 2, "", "accepts 1 arg"},
		{"user totp frob", 2, "", "unknown command"},
		{"user totp enroll a --config /nonexistent.yaml", 1, "", "/nonexistent.yaml"},
		{"user totp enroll a --config x.yaml --data-dir " + dir, 2, "", "can't be combined with --data-dir"},
	} {
		r := runTktctl(t, nil, "", strings.Fields(c.args)...)
		if r.Code != c.code || (c.out != "" && r.Out != c.out) || !strings.Contains(r.Err, c.errHas) {
			t.Errorf("tktctl %s: %+v; want exit %d, stdout %q, stderr with %q", c.args, r, c.code, c.out, c.errHas)
		}
	}
	if s, _ := m.Status(ctx, "ldap-alice"); s.TOTP || s.Recovery != 0 {
		t.Errorf("status after remove: %+v", s)
	}
}

// TestUserTOTPConfig: with --config the factors go where tktd keeps them,
// the first sql store with tkt's schema (here the real PostgreSQL and
// MariaDB), sealed with mfa.key_file, named by mfa.issuer.
func TestUserTOTPConfig(t *testing.T) {
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			var driver, dsn string
			if kind == "postgres" {
				driver = "postgres"
				dsn, _ = sqltest.Postgres(t)
			} else {
				driver = "mysql"
				dsn, _ = sqltest.MariaDB(t)
			}
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "factors.key")
			if _, err := mfa.EnsureKeyFile(keyFile); err != nil {
				t.Fatal(err)
			}
			cfgFile := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), fmt.Sprintf(
				"data_dir: %s\nmfa: {issuer: Example, key_file: %s}\nstores:\n  - {type: htpasswd, path: %s, lazy: true}\n  - {type: sql, driver: %s, dsn: '%s'}\n",
				filepath.Join(dir, "data"), keyFile, filepath.Join(dir, "users"), driver, dsn), 0o600)
			r := runTktctl(t, nil, "", "user", "totp", "enroll", "bob", "--config", cfgFile)
			secret, _ := enrolled(t, r)
			if !strings.HasPrefix(r.Out, "otpauth://totp/Example:bob?") {
				t.Errorf("URI: %q", r.Out)
			}
			cfg, err := config.Load(cfgFile, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			st, err := config.OpenFactorStore(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			key, _ := cfg.MFAKey()
			m, _ := mfa.New(mfa.Config{Store: st, Key: key})
			code, _ := mfa.Code(secret, mfa.Step(time.Now()))
			if _, err := m.Verify(ctx, "bob", code); err != nil {
				t.Errorf("the code in %s: %v", kind, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "data", sqlstore.DefaultSQLiteFile)); err == nil {
				t.Errorf("the data directory's SQLite file was made though a sql store holds the factors")
			}
		})
	}
}

// TestUserTOTPRemoveKeepsPasskeys: removing TOTP leaves a user's passkeys
// and the recovery codes that stand in for them, and says so.
func TestUserTOTPRemoveKeepsPasskeys(t *testing.T) {
	dir := t.TempDir()
	enrolled(t, runTktctl(t, nil, "", "user", "totp", "enroll", "carol", "--data-dir", dir))
	ctx := context.Background()
	m := dataDirFactors(t, dir)
	if err := m.AddPasskey(ctx, "carol", &webauthn.Credential{ID: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	r := runTktctl(t, nil, "", "user", "totp", "remove", "carol", "--data-dir", dir)
	if r.Code != 0 || !strings.Contains(r.Out, "1 passkey(s) and the recovery codes stay") {
		t.Errorf("remove: %+v", r)
	}
	if s, _ := m.Status(ctx, "carol"); s.TOTP || s.Passkeys != 1 || s.Recovery != mfa.RecoveryCodes {
		t.Errorf("after remove: %+v", s)
	}
}

// dataDirFactors opens the factors tktctl wrote in data directory dir, as
// tktd would, until the test ends.
func dataDirFactors(t *testing.T, dir string) *mfa.Manager {
	t.Helper()
	st, err := sqlstore.OpenDataDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := mfa.ReadKeyFile(filepath.Join(dir, mfa.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mfa.New(mfa.Config{Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
