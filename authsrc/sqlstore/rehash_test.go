package sqlstore_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// TestRehashOnLogin: with tkt's own schema, a right password against a
// hash in another scheme or at another cost stores a bcrypt at the
// configured cost, logged with the user and the schemes only; a wrong
// password, a current hash and a password bcrypt can't hold change
// nothing.
func TestRehashOnLogin(t *testing.T) {
	long := strings.Repeat("long password ", 6) // 84 bytes: over bcrypt's 72
	eachKind(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		db := newTestDB(t, kind)
		raw := db.raw(t)
		var logs bytes.Buffer // written by this subtest's logins only
		cfg := db.config()    // bcrypt cost 4
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s := openStore(t, cfg)
		stored := map[string]string{
			"sha":    "{SHA}oLisiXhAYHTMampGuEeXZHN8Y1Y=", // pw-legacy
			"costly": mustHash(t, "pw-costly", 6),
			"cheap":  "$2a" + mustHash(t, "pw-cheap", 4)[3:], // $2a$, but at the configured cost
			"long":   "{SHA}" + sha1b64(long),
		}
		passwords := map[string]string{"sha": "pw-legacy", "costly": "pw-costly", "cheap": "pw-cheap", "long": long}
		for name, h := range stored {
			mustOK(t, s.AddUser(ctx, name, "placeholder", nil, ""))
			mustExec(t, raw, rebindFor(kind, "UPDATE tkt_users SET password = ? WHERE name = ?"), h, name)
		}
		hashOf := func(name string) string {
			var h string
			if err := raw.QueryRow(rebindFor(kind, "SELECT password FROM tkt_users WHERE name = ?"), name).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}

		for name := range stored {
			if _, err := s.Authenticate(ctx, name, "wrong"); !errors.Is(err, authsrc.ErrInvalidCredentials) {
				t.Fatalf("%s, wrong password: %v", name, err)
			}
			if hashOf(name) != stored[name] {
				t.Errorf("%s: a wrong password changed the hash", name)
			}
		}
		for name, pw := range passwords {
			if _, err := s.Authenticate(ctx, name, pw); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for name, want := range map[string]string{"sha": "bcrypt cost 4", "costly": "bcrypt cost 4", "cheap": "", "long": ""} {
			got := hashOf(name)
			switch {
			case want == "" && got != stored[name]:
				t.Errorf("%s: hash replaced (%s), want it kept", name, pwhash.Class(got))
			case want != "" && pwhash.Class(got) != want:
				t.Errorf("%s: hash is %s, want %s", name, pwhash.Class(got), want)
			}
			// The new hash works, and the old one is gone for good.
			if _, err := s.Authenticate(ctx, name, passwords[name]); err != nil {
				t.Errorf("%s after the upgrade: %v", name, err)
			}
		}
		out := logs.String()
		for _, want := range []string{
			`msg="sqlstore: password hash upgraded"`, "user=sha", `from={SHA}`, `to="bcrypt cost 4"`,
			"user=costly", `from="bcrypt cost 6"`,
			`msg="sqlstore: password hash not upgraded"`, "user=long",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %s:\n%s", want, out)
			}
		}
		if n := strings.Count(out, "password hash upgraded"); n != 2 {
			t.Errorf("%d upgrades logged, want 2 (sha and costly, once each):\n%s", n, out)
		}
		for _, secret := range []string{"pw-legacy", "pw-costly", "oLisiXhAYHTMampGuEeXZHN8Y1Y", stored["costly"][7:], "$2y$04$"} {
			if strings.Contains(out, secret) {
				t.Errorf("log shows %q:\n%s", secret, out)
			}
		}
	})
}

// TestNoRehashWithQueries: an application's database is read, never
// written: there is no query to write with.
func TestNoRehashWithQueries(t *testing.T) {
	db := newTestDB(t, "sqlite")
	raw := db.raw(t)
	for _, q := range existingSchema("sqlite") {
		mustExec(t, raw, q)
	}
	const sha = "{SHA}oLisiXhAYHTMampGuEeXZHN8Y1Y="
	mustExec(t, raw, "INSERT INTO app_accounts (login, pw_hash, active) VALUES (?, ?, 1)", "legacy", sha)
	cfg := db.config()
	cfg.Queries = &existingQueries
	s := openStore(t, cfg)
	if _, err := s.Authenticate(context.Background(), "legacy", "pw-legacy"); err != nil {
		t.Fatal(err)
	}
	var h string
	if err := raw.QueryRow("SELECT pw_hash FROM app_accounts WHERE login = 'legacy'").Scan(&h); err != nil || h != sha {
		t.Fatalf("hash now %q, %v; want it untouched", h, err)
	}
}

func mustHash(t testing.TB, password string, cost int) string {
	t.Helper()
	h, err := pwhash.Bcrypt(password, cost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sha1b64(s string) string {
	sum := sha1.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}
