package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// KindPasskey is a passkey's rows: one per credential, its id the hash of
// the credential id (credential ids run to 1023 bytes; a key column does
// not), its secret the credential as go-webauthn keeps it (a public key:
// nothing to seal).
const KindPasskey = "passkey"

// Passkey is one of a user's passkeys.
type Passkey struct {
	ID         string // the row's id, what Remove takes
	Created    time.Time
	Credential webauthn.Credential
}

// KindChallenge is a passkey ceremony's challenge once used: one row of
// no user per challenge, its id the challenge's hash (UseChallenge).
const KindChallenge = "challenge"

// passkeyStore is what passkeys need of the store besides FactorStore.
type passkeyStore interface {
	FactorByID(ctx context.Context, kind, id string) (sqlstore.Factor, bool, error)
	AddFactor(ctx context.Context, f sqlstore.Factor) error
	SetFactorSecret(ctx context.Context, user, kind, id, secret string) (bool, error)
	ClaimOnce(ctx context.Context, kind, id string, keep time.Duration) (bool, error)
}

// ErrPasskeyExists is a credential registered already, to this user or
// another: a passkey belongs to one user, once.
var ErrPasskeyExists = errors.New("mfa: the passkey is registered already")

// ErrNoSuchPasskey is a credential that is not (any longer) the user's.
var ErrNoSuchPasskey = errors.New("mfa: no such passkey")

// ErrNoPasskeys: the factor store keeps no passkeys (it is not tkt's SQL
// schema).
var ErrNoPasskeys = errors.New("mfa: the factor store cannot keep passkeys")

// PasskeyID is the row id of a credential id.
func PasskeyID(credentialID []byte) string {
	sum := sha256.Sum256(credentialID)
	return hex.EncodeToString(sum[:])
}

// Passkeys lists user's passkeys.
func (m *Manager) Passkeys(ctx context.Context, user string) ([]Passkey, error) {
	fs, err := m.store.Factors(ctx, user)
	if err != nil {
		return nil, err
	}
	var out []Passkey
	for _, f := range fs {
		if f.Kind != KindPasskey {
			continue
		}
		p := Passkey{ID: f.ID, Created: f.Created}
		if err := json.Unmarshal([]byte(f.Secret), &p.Credential); err != nil {
			return nil, fmt.Errorf("user %q: passkey %s: %w", user, f.ID, err)
		}
		// A clone warning is the verdict on one assertion, refused then and
		// never stored since; one stored by an older tkt must not refuse
		// every later assertion of the passkey.
		p.Credential.Authenticator.CloneWarning = false
		out = append(out, p)
	}
	return out, nil
}

// AddPasskey stores a new credential of user; ErrPasskeyExists if its
// id is registered already, to anyone.
func (m *Manager) AddPasskey(ctx context.Context, user string, c *webauthn.Credential) error {
	ps, secret, err := m.passkeyRow(c)
	if err != nil {
		return err
	}
	err = ps.AddFactor(ctx, sqlstore.Factor{User: user, Kind: KindPasskey, ID: PasskeyID(c.ID), Secret: secret})
	if errors.Is(err, sqlstore.ErrFactorExists) {
		return ErrPasskeyExists
	}
	return err
}

// UpdatePasskey stores a used credential of user with its new sign count;
// ErrNoSuchPasskey if user has it no more.
func (m *Manager) UpdatePasskey(ctx context.Context, user string, c *webauthn.Credential) error {
	ps, secret, err := m.passkeyRow(c)
	if err != nil {
		return err
	}
	hit, err := ps.SetFactorSecret(ctx, user, KindPasskey, PasskeyID(c.ID), secret)
	if err == nil && !hit {
		err = ErrNoSuchPasskey
	}
	return err
}

// passkeyRow is the store that keeps passkeys and c as its row keeps it.
func (m *Manager) passkeyRow(c *webauthn.Credential) (passkeyStore, string, error) {
	ps, ok := m.store.(passkeyStore)
	if !ok {
		return nil, "", ErrNoPasskeys
	}
	b, err := json.Marshal(c)
	return ps, string(b), err
}

// UseChallenge records a passkey ceremony's challenge as used and reports
// whether it was not before, at any instance sharing the factor database:
// an assertion captured once cannot sign anybody in again. Records older
// than keep (longer than any ceremony lives) are removed.
func (m *Manager) UseChallenge(ctx context.Context, challenge string, keep time.Duration) (bool, error) {
	ps, ok := m.store.(passkeyStore)
	if !ok {
		return false, ErrNoPasskeys
	}
	sum := sha256.Sum256([]byte("tkt passkey challenge\x00" + challenge))
	return ps.ClaimOnce(ctx, KindChallenge, hex.EncodeToString(sum[:]), keep)
}

// RemovePasskey removes one of user's passkeys by its row id; false if
// there was none.
func (m *Manager) RemovePasskey(ctx context.Context, user, id string) (bool, error) {
	return m.store.UseFactor(ctx, user, KindPasskey, id)
}

// PasskeyOwner is the user a credential id belongs to ("" for none): a
// sign-in with a passkey names no user until the passkey does.
func (m *Manager) PasskeyOwner(ctx context.Context, credentialID []byte) (string, error) {
	ps, ok := m.store.(passkeyStore)
	if !ok {
		return "", ErrNoPasskeys
	}
	f, found, err := ps.FactorByID(ctx, KindPasskey, PasskeyID(credentialID))
	if err != nil || !found {
		return "", err
	}
	return f.User, nil
}

// PasskeyUser is user as WebAuthn sees them: a user handle derived from
// the name (so that a passkey names its user without a table of handles),
// and their credentials.
type PasskeyUser struct {
	Name        string
	Credentials []webauthn.Credential
}

// UserHandle is the WebAuthn user handle of a user name.
func UserHandle(name string) []byte {
	sum := sha256.Sum256([]byte("tkt passkey user\x00" + name))
	return sum[:]
}

func (u PasskeyUser) WebAuthnID() []byte                         { return UserHandle(u.Name) }
func (u PasskeyUser) WebAuthnName() string                       { return u.Name }
func (u PasskeyUser) WebAuthnDisplayName() string                { return u.Name }
func (u PasskeyUser) WebAuthnCredentials() []webauthn.Credential { return u.Credentials }

// PasskeyUser is user with their passkeys, for a ceremony.
func (m *Manager) PasskeyUser(ctx context.Context, user string) (PasskeyUser, error) {
	ps, err := m.Passkeys(ctx, user)
	if err != nil {
		return PasskeyUser{}, err
	}
	u := PasskeyUser{Name: user}
	for _, p := range ps {
		u.Credentials = append(u.Credentials, p.Credential)
	}
	return u, nil
}
