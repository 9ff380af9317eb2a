package mfa_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/pquerna/otp"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/mfa/mfatest"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// clock is a settable time for the codes.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newManager(t testing.TB) (*mfa.Manager, *sqlstore.Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 6, 12, 0, 10, 0, time.UTC)}
	m, st := mfatest.New(t, "Example SSO", c.now)
	return m, st, c
}

func code(t *testing.T, k *otp.Key, at time.Time) string {
	t.Helper()
	c, err := mfa.Code(k.Secret(), mfa.Step(at))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	ctx := context.Background()
	m, st, c := newManager(t)
	k, err := m.EnrollTOTP(ctx, "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	if k.Issuer() != "Example SSO" || k.AccountName() != "alice" || k.Period() != 30 || k.Digits() != otp.DigitsSix || k.Algorithm() != otp.AlgorithmSHA1 {
		t.Errorf("key = %s", k.URL())
	}
	if !strings.HasPrefix(k.URL(), "otpauth://totp/Example%20SSO:alice?") || !strings.Contains(k.URL(), "secret="+k.Secret()) {
		t.Errorf("URL = %s", k.URL())
	}
	// The secret is sealed in the database.
	fs, _ := st.Factors(ctx, "alice")
	if len(fs) != 1 || strings.Contains(fs[0].Secret, k.Secret()) || !strings.HasPrefix(fs[0].Secret, "v1:") {
		t.Errorf("stored factor = %+v", fs)
	}

	now := c.t
	step := func(d int) time.Time { return now.Add(time.Duration(d) * mfa.Period) }
	check := func(what, code string, want error) {
		t.Helper()
		method, err := m.Verify(ctx, "alice", code)
		if !errors.Is(err, want) || (err == nil && method != mfa.MethodTOTP) {
			t.Errorf("%s: Verify = %q, %v; want %v", what, method, err, want)
		}
	}
	check("wrong code", mfatest.WrongCode(code(t, k, step(-1)), code(t, k, now), code(t, k, step(1))), mfa.ErrWrongCode)
	check("two steps behind", code(t, k, step(-2)), mfa.ErrWrongCode)
	check("two steps ahead", code(t, k, step(2)), mfa.ErrWrongCode)
	check("one step behind (clock skew)", code(t, k, step(-1)), nil)
	check("the same again", code(t, k, step(-1)), mfa.ErrWrongCode)
	check("now", code(t, k, now), nil)
	check("replayed in the same window", code(t, k, now), mfa.ErrWrongCode)
	c.t = step(1)
	check("replayed in the next window", code(t, k, now), mfa.ErrWrongCode)
	check("one step ahead of the new now", code(t, k, step(2)), nil)
	check("the new now, older than the one accepted", code(t, k, step(1)), mfa.ErrWrongCode)
	check("not six digits", "12345", mfa.ErrWrongCode)

	// Another user has no factor: every code is wrong.
	if _, err := m.Verify(ctx, "bob", code(t, k, c.t)); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("bob: %v", err)
	}
	st2, _ := m.Status(ctx, "alice")
	if !st2.TOTP || st2.PendingTOTP || !st2.Any() {
		t.Errorf("status = %+v", st2)
	}
	if err := m.RemoveTOTP(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if st2, _ := m.Status(ctx, "alice"); st2.Any() {
		t.Errorf("status after remove = %+v", st2)
	}
}

func TestRecoveryCodes(t *testing.T) {
	ctx := context.Background()
	m, _, _ := newManager(t)
	codes, err := m.NewRecoveryCodes(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != mfa.RecoveryCodes {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || seen[c] || strings.ContainsAny(c, "=ILOU") {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		typed := c
		if i%2 == 1 {
			// As people copy them: lower case, blanks, an O for a 0.
			typed = strings.ReplaceAll(strings.ToLower(strings.ReplaceAll(c, "-", " ")), "0", "o")
		}
		if method, err := m.Verify(ctx, "alice", typed); err != nil || method != mfa.MethodRecovery {
			t.Errorf("code %d first use: %q, %v", i, method, err)
		}
		if _, err := m.Verify(ctx, "alice", c); !errors.Is(err, mfa.ErrWrongCode) {
			t.Errorf("code %d second use: %v", i, err)
		}
	}
	// One user's codes are not another's.
	more, _ := m.NewRecoveryCodes(ctx, "alice")
	if _, err := m.Verify(ctx, "bob", more[0]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("alice's code for bob: %v", err)
	}
	// Regenerating voids the old ones.
	if _, err := m.NewRecoveryCodes(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, "alice", more[1]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("a replaced code: %v", err)
	}
	if s, _ := m.Status(ctx, "alice"); s.Recovery != mfa.RecoveryCodes {
		t.Errorf("status = %+v", s)
	}
}

func TestConfirmTOTP(t *testing.T) {
	ctx := context.Background()
	m, _, c := newManager(t)
	old, _ := m.EnrollTOTP(ctx, "alice", true)
	pending, err := m.EnrollTOTP(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := m.PendingTOTP(ctx, "alice"); err != nil || again.URL() != pending.URL() {
		t.Errorf("PendingTOTP = %v, %v; want %s", again, err, pending.URL())
	}
	// Until confirmed, the old factor is the one that counts.
	if s, _ := m.Status(ctx, "alice"); !s.TOTP || !s.PendingTOTP {
		t.Errorf("status = %+v", s)
	}
	if _, err := m.Verify(ctx, "alice", code(t, pending, c.t)); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("the pending factor's code at login: %v", err)
	}
	if err := m.ConfirmTOTP(ctx, "alice", code(t, old, c.t)); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("confirming with the old factor's code: %v", err)
	}
	confirm := code(t, pending, c.t)
	if err := m.ConfirmTOTP(ctx, "alice", confirm); err != nil {
		t.Fatal(err)
	}
	// The confirming code is used; the old factor is gone.
	if _, err := m.Verify(ctx, "alice", confirm); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("the confirming code again: %v", err)
	}
	c.t = c.t.Add(mfa.Period)
	if _, err := m.Verify(ctx, "alice", code(t, old, c.t)); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("the replaced factor: %v", err)
	}
	if _, err := m.Verify(ctx, "alice", code(t, pending, c.t)); err != nil {
		t.Errorf("the confirmed factor: %v", err)
	}
}

// TestSealedToUser: a sealed secret copied into another user's row does
// not open there, and another key opens none.
func TestSealedToUser(t *testing.T) {
	ctx := context.Background()
	m, st, _ := newManager(t)
	if _, err := m.EnrollTOTP(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	fs, _ := st.Factors(ctx, "alice")
	f := fs[0]
	f.User = "mallory"
	if err := st.SetFactors(ctx, "mallory", mfa.KindTOTP, []sqlstore.Factor{f}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, "mallory", "123456"); err == nil || errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("Verify with a copied secret = %v; want the store's error", err)
	}
	other, _ := mfa.New(mfa.Config{Store: st, Key: make([]byte, mfa.KeySize)})
	if _, err := other.Verify(ctx, "alice", "123456"); err == nil || !strings.Contains(err.Error(), "factor key") {
		t.Errorf("Verify with another key = %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", mfa.KeyFileName)
	k1, err := mfa.EnsureKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 || len(k1) != mfa.KeySize {
		t.Errorf("mode %v, %d bytes", fi.Mode(), len(k1))
	}
	if k2, err := mfa.EnsureKeyFile(path); err != nil || string(k2) != string(k1) {
		t.Errorf("second EnsureKeyFile = %x, %v", k2, err)
	}
	os.Chmod(path, 0o644)
	if _, err := mfa.ReadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, err := mfa.ReadKeyFile(path); err == nil || !strings.Contains(err.Error(), "hex digits") {
		t.Errorf("bad key: %v", err)
	}
}

// TestPasskeys keeps a user's passkeys beside their TOTP factor: listed,
// found by credential, removed one by one; removing TOTP keeps the
// recovery codes while a passkey remains.
func TestPasskeys(t *testing.T) {
	ctx := context.Background()
	m, _, _ := newManager(t)
	for _, id := range []string{"cred-1", "cred-2"} {
		if err := m.AddPasskey(ctx, "alice", &webauthn.Credential{ID: []byte(id), PublicKey: []byte("pk-" + id)}); err != nil {
			t.Fatal(err)
		}
	}
	m.EnrollTOTP(ctx, "alice", true)
	m.NewRecoveryCodes(ctx, "alice")
	ps, err := m.Passkeys(ctx, "alice")
	if err != nil || len(ps) != 2 || string(ps[0].Credential.PublicKey) == "" {
		t.Fatalf("Passkeys = %+v, %v", ps, err)
	}
	if owner, err := m.PasskeyOwner(ctx, []byte("cred-2")); err != nil || owner != "alice" {
		t.Errorf("PasskeyOwner = %q, %v", owner, err)
	}
	if owner, err := m.PasskeyOwner(ctx, []byte("nobody's")); err != nil || owner != "" {
		t.Errorf("PasskeyOwner of an unknown credential = %q, %v", owner, err)
	}
	if err := m.RemoveTOTP(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Status(ctx, "alice"); s.TOTP || s.Passkeys != 2 || s.Recovery != mfa.RecoveryCodes || !s.Any() {
		t.Errorf("after removing TOTP: %+v", s)
	}
	if gone, err := m.RemovePasskey(ctx, "alice", mfa.PasskeyID([]byte("cred-1"))); err != nil || !gone {
		t.Errorf("RemovePasskey = %v, %v", gone, err)
	}
	if gone, _ := m.RemovePasskey(ctx, "bob", mfa.PasskeyID([]byte("cred-2"))); gone {
		t.Error("bob removed alice's passkey")
	}
	if u, _ := m.PasskeyUser(ctx, "alice"); len(u.Credentials) != 1 || string(u.WebAuthnID()) != string(mfa.UserHandle("alice")) {
		t.Errorf("PasskeyUser = %+v", u)
	}
	// A used passkey's sign count is stored; one removed is no more.
	used := &webauthn.Credential{ID: []byte("cred-2"), PublicKey: []byte("pk-cred-2")}
	used.Authenticator.SignCount = 5
	if err := m.UpdatePasskey(ctx, "alice", used); err != nil {
		t.Errorf("UpdatePasskey = %v", err)
	}
	if ps, _ := m.Passkeys(ctx, "alice"); len(ps) != 1 || ps[0].Credential.Authenticator.SignCount != 5 {
		t.Errorf("after UpdatePasskey: %+v", ps)
	}
	for _, user := range []string{"alice", "bob"} {
		if err := m.UpdatePasskey(ctx, user, &webauthn.Credential{ID: []byte("cred-1")}); !errors.Is(err, mfa.ErrNoSuchPasskey) {
			t.Errorf("UpdatePasskey of a removed passkey for %s = %v, want ErrNoSuchPasskey", user, err)
		}
	}
	if err := m.AddPasskey(ctx, "bob", used); !errors.Is(err, mfa.ErrPasskeyExists) {
		t.Errorf("AddPasskey of alice's credential for bob = %v, want ErrPasskeyExists", err)
	}
}

// TestUseChallenge: a passkey ceremony's challenge is used once.
func TestUseChallenge(t *testing.T) {
	ctx := context.Background()
	m, _, _ := newManager(t)
	for i, c := range []struct {
		challenge string
		want      bool
	}{{"ch-1", true}, {"ch-1", false}, {"ch-2", true}, {"ch-1", false}} {
		if fresh, err := m.UseChallenge(ctx, c.challenge, time.Hour); err != nil || fresh != c.want {
			t.Errorf("#%d UseChallenge(%s) = %v, %v; want %v", i+1, c.challenge, fresh, err, c.want)
		}
	}
}
