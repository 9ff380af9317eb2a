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

// passkeyStore is what passkeys need of the store besides FactorStore.
type passkeyStore interface {
	FactorByID(ctx context.Context, kind, id string) (sqlstore.Factor, bool, error)
	AddFactor(ctx context.Context, f sqlstore.Factor) error
}

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
		out = append(out, p)
	}
	return out, nil
}

// AddPasskey stores a new (or a used, with its new sign count) credential
// of user.
func (m *Manager) AddPasskey(ctx context.Context, user string, c *webauthn.Credential) error {
	ps, ok := m.store.(passkeyStore)
	if !ok {
		return ErrNoPasskeys
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return ps.AddFactor(ctx, sqlstore.Factor{User: user, Kind: KindPasskey, ID: PasskeyID(c.ID), Secret: string(b)})
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
