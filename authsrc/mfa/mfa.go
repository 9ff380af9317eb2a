// Package mfa is tkt's second factor: TOTP (RFC 6238, what every
// authenticator app reads) and one-time recovery codes, kept in a
// FactorStore (tkt's SQL schema, sqlstore.Store) for users of any store.
//
// TOTP secrets are sealed with a key of their own (AES-256-GCM, KeyFile),
// recovery codes are kept as hashes, and each accepted TOTP step is
// recorded in the database with a conditional write, so that a code is
// taken once even by several tktd instances sharing the database.
package mfa

import (
	"cmp"
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// Factor kinds, the rows' kind in the store.
const (
	KindTOTP        = "totp"
	KindTOTPPending = "totp_pending" // enrolled, not yet confirmed with a code
	KindRecovery    = "recovery"
)

// FactorStore keeps factors; *sqlstore.Store is one.
type FactorStore interface {
	Factors(ctx context.Context, user string) ([]sqlstore.Factor, error)
	SetFactors(ctx context.Context, user, kind string, fs []sqlstore.Factor) error
	MoveFactors(ctx context.Context, user, from, to string, lastStep int64) (bool, error)
	UseFactor(ctx context.Context, user, kind, id string) (bool, error)
	AdvanceStep(ctx context.Context, user, kind string, step int64) (bool, error)
}

// Config configures a Manager.
type Config struct {
	Store FactorStore
	// Key seals TOTP secrets (KeySize bytes, ReadKeyFile).
	Key []byte
	// Issuer names the service in authenticator apps; default "tkt".
	Issuer string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Manager enrolls, checks and removes users' second factors.
type Manager struct {
	store  FactorStore
	seal   sealer
	issuer string
	now    func() time.Time
}

// New checks c and returns its Manager.
func New(c Config) (*Manager, error) {
	if c.Store == nil {
		return nil, errors.New("mfa: no factor store")
	}
	s, err := newSealer(c.Key)
	if err != nil {
		return nil, err
	}
	m := &Manager{store: c.Store, seal: s, issuer: cmp.Or(c.Issuer, "tkt"), now: c.Now}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Status is what a user has enrolled.
type Status struct {
	TOTP        bool // a confirmed TOTP factor: the login asks for a code
	PendingTOTP bool // an enrollment waiting for its first code
	Recovery    int  // unused recovery codes
	Passkeys    int  // registered passkeys
}

// Any reports whether the user has a second factor the login must ask for.
func (s Status) Any() bool { return s.TOTP || s.Passkeys > 0 }

// Status reads user's factors.
func (m *Manager) Status(ctx context.Context, user string) (Status, error) {
	fs, err := m.store.Factors(ctx, user)
	if err != nil {
		return Status{}, err
	}
	var st Status
	for _, f := range fs {
		switch f.Kind {
		case KindTOTP:
			st.TOTP = true
		case KindTOTPPending:
			st.PendingTOTP = true
		case KindRecovery:
			st.Recovery++
		case KindPasskey:
			st.Passkeys++
		}
	}
	return st, nil
}

// EnrollTOTP makes user a new TOTP secret. Active, it replaces the
// user's factor at once (tktctl, where the administrator hands the URI
// over); otherwise it waits, beside the current one, for ConfirmTOTP.
func (m *Manager) EnrollTOTP(ctx context.Context, user string, active bool) (*otp.Key, error) {
	key, err := newTOTPKey(m.issuer, user, nil)
	if err != nil {
		return nil, err
	}
	kind := KindTOTPPending
	if active {
		kind = KindTOTP
	}
	f := sqlstore.Factor{User: user, Kind: kind, Secret: m.seal.seal(user, KindTOTP, key.Secret()), Created: m.now()}
	if err := m.store.SetFactors(ctx, user, kind, []sqlstore.Factor{f}); err != nil {
		return nil, err
	}
	return key, nil
}

// PendingTTL bounds an enrollment waiting for its first code: past it the
// secret is neither shown again nor confirmed. A secret shown once on a
// page must not lie in wait for whoever later gets hold of the session.
const PendingTTL = 15 * time.Minute

// PendingTOTP is user's enrollment waiting for its first code, for the
// page that shows it again; nil if there is none.
func (m *Manager) PendingTOTP(ctx context.Context, user string) (*otp.Key, error) {
	secret, _, err := m.secret(ctx, user, KindTOTPPending)
	if err != nil || secret == "" {
		return nil, err
	}
	return m.key(user, secret)
}

// key rebuilds the otpauth:// key of a stored secret.
func (m *Manager) key(user, secret string) (*otp.Key, error) {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("user %q: the stored TOTP secret is not base32", user)
	}
	return newTOTPKey(m.issuer, user, b)
}

// ConfirmTOTP activates user's pending enrollment if code is right for it,
// replacing the previous TOTP factor; the code is then used. It answers
// ErrWrongCode otherwise (and when nothing is pending).
func (m *Manager) ConfirmTOTP(ctx context.Context, user, code string) error {
	secret, _, err := m.secret(ctx, user, KindTOTPPending)
	if err != nil {
		return err
	}
	if secret == "" {
		return ErrWrongCode
	}
	step, ok, err := matchStep(secret, code, m.now())
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongCode
	}
	moved, err := m.store.MoveFactors(ctx, user, KindTOTPPending, KindTOTP, step)
	if err != nil {
		return err
	}
	if !moved {
		return ErrWrongCode // confirmed meanwhile, elsewhere
	}
	return nil
}

// RemoveTOTP removes user's TOTP factor, pending or not, and the recovery
// codes that stood in for it, unless passkeys remain for them to stand in
// for.
func (m *Manager) RemoveTOTP(ctx context.Context, user string) error {
	kinds := []string{KindTOTP, KindTOTPPending, KindRecovery}
	st, err := m.Status(ctx, user)
	if err != nil {
		return err
	}
	if st.Passkeys > 0 {
		kinds = kinds[:2]
	}
	var errs []error
	for _, k := range kinds {
		errs = append(errs, m.store.SetFactors(ctx, user, k, nil))
	}
	return errors.Join(errs...)
}

// NewRecoveryCodes replaces user's recovery codes with RecoveryCodes fresh
// ones and returns them: the only time they are seen, since only their
// hashes are kept.
func (m *Manager) NewRecoveryCodes(ctx context.Context, user string) ([]string, error) {
	codes := make([]string, RecoveryCodes)
	fs := make([]sqlstore.Factor, RecoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		fs[i] = sqlstore.Factor{User: user, Kind: KindRecovery, ID: recoveryHash(user, normalizeRecovery(codes[i]))}
	}
	if err := m.store.SetFactors(ctx, user, KindRecovery, fs); err != nil {
		return nil, err
	}
	return codes, nil
}

// ErrWrongCode is a code that is not right: wrong, for another step than
// those within Skew of now, already used, or for a factor the user has
// not got.
var ErrWrongCode = errors.New("wrong code")

// Method says how Verify accepted a code.
type Method string

const (
	MethodTOTP     Method = "totp"
	MethodRecovery Method = "recovery_code"
)

// Verify checks a code user typed: a TOTP code of their confirmed factor
// (within Skew steps of now, and of a step later than any accepted before,
// so never twice), or one of their unused recovery codes, which is then
// used up. It answers ErrWrongCode, or the store's error.
func (m *Manager) Verify(ctx context.Context, user, code string) (Method, error) {
	if looksLikeTOTP(code) {
		secret, last, err := m.secret(ctx, user, KindTOTP)
		if err != nil {
			return "", err
		}
		if secret == "" {
			return "", ErrWrongCode
		}
		step, ok, err := matchStep(secret, code, m.now())
		if err != nil {
			return "", err
		}
		if !ok || step <= last {
			return "", ErrWrongCode
		}
		// The database has the last word: another instance may have taken
		// this step (or a later one) since we read it.
		if ok, err := m.store.AdvanceStep(ctx, user, KindTOTP, step); err != nil || !ok {
			return "", cmp.Or(err, ErrWrongCode)
		}
		return MethodTOTP, nil
	}
	c := normalizeRecovery(code)
	if c == "" {
		return "", ErrWrongCode
	}
	ok, err := m.store.UseFactor(ctx, user, KindRecovery, recoveryHash(user, c))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrWrongCode
	}
	return MethodRecovery, nil
}

// secret opens user's TOTP secret of kind, "" if there is none.
func (m *Manager) secret(ctx context.Context, user, kind string) (string, int64, error) {
	fs, err := m.store.Factors(ctx, user)
	if err != nil {
		return "", 0, err
	}
	for _, f := range fs {
		if f.Kind == kind && kind == KindTOTPPending && m.now().Sub(f.Created) > PendingTTL {
			return "", 0, nil // left too long: enrolling starts over
		}
		if f.Kind == kind {
			s, err := m.seal.open(user, KindTOTP, f.Secret)
			if err != nil {
				return "", 0, fmt.Errorf("user %q: %w", user, err)
			}
			return s, f.LastStep, nil
		}
	}
	return "", 0, nil
}
