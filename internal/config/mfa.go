package config

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/ticket"
)

// MFA configures the second factor (TOTP, recovery codes). Users who have
// enrolled one are asked for a code after the password, whatever these
// say; Required asks every user to enroll.
type MFA struct {
	// Required sends every user without a second factor to enrollment
	// right after the password: no ticket without one.
	Required bool `koanf:"required"`
	// Issuer names the portal in authenticator apps ("tkt").
	Issuer string `koanf:"issuer"`
	// Token is added to the tickets of logins that gave a second factor,
	// so that validators can demand one (TKTAuthToken mfa); a store group
	// of that name never grants it.
	Token string `koanf:"token"`
	// KeyFile holds the key that seals TOTP secrets in the database;
	// empty means DataDir/mfa.key, generated on first use. Instances that
	// share a SQL database need the same file.
	KeyFile string `koanf:"key_file"`
}

// Defaults of the mfa section.
const (
	DefaultMFAIssuer = "tkt"
	DefaultMFAToken  = "mfa"
)

func (c Config) validateMFA(p *problems) {
	m := c.MFA
	if m.Required && c.Basic.IssueTicket {
		// HTTP Basic asks no code: its ticket would be a login with the
		// password alone, which required forbids (and a ticket, unlike a
		// script's single request, opens the security page).
		p.add("basic.issue_ticket", "hands a ticket to the password alone, which mfa.required forbids: turn one of them off")
	}
	if err := ticket.CheckRequiredToken(m.Token); err != nil {
		p.wrap("mfa.token", err)
	}
	switch {
	case strings.TrimSpace(m.Issuer) == "":
		p.add("mfa.issuer", "empty: authenticator apps show it beside the code (default %q)", DefaultMFAIssuer)
	case strings.ContainsAny(m.Issuer, ":") || strings.ContainsFunc(m.Issuer, func(r rune) bool { return r < ' ' || r == 0x7f }):
		p.add("mfa.issuer", "%q holds a ':' or a control character, which otpauth:// labels cannot carry", m.Issuer)
	case len(m.Issuer) > 64:
		p.add("mfa.issuer", "longer than 64 bytes")
	}
	if m.KeyFile != "" {
		if _, err := mfa.ReadKeyFile(m.KeyFile); err != nil {
			p.add("mfa.key_file", "%v (tktctl user totp enroll --config creates a missing one; or leave it empty for %s in data_dir)", err, mfa.KeyFileName)
		}
	}
}

// MFAKeyPath is the factor key's file: MFA.KeyFile, or mfa.key in DataDir.
func (c Config) MFAKeyPath() string {
	if c.MFA.KeyFile != "" {
		return c.MFA.KeyFile
	}
	return filepath.Join(c.DataDir, mfa.KeyFileName)
}

// MFAKey reads the factor key, creating the data directory's default one
// when missing; an explicit key_file must exist.
func (c Config) MFAKey() ([]byte, error) {
	if c.MFA.KeyFile != "" {
		return mfa.ReadKeyFile(c.MFA.KeyFile)
	}
	key, err := mfa.EnsureKeyFile(c.MFAKeyPath())
	if errors.Is(err, fs.ErrPermission) {
		return nil, &FieldError{Key: "mfa.key_file", Err: err}
	}
	return key, err
}

// factorStore is where the users' second factors live, whatever store
// holds the users: the first store with tkt's own SQL schema, else the
// SQLite file in DataDir. An existing database read through queries is
// never written to.
func (c Config) factorStore() (*SQLStore, string) {
	if st, ok := c.ownSchemaStore(); ok {
		return st.SQL, st.Name
	}
	return &SQLStore{}, ""
}

// ownSchemaStore is the first store with tkt's own SQL schema, if any.
func (c Config) ownSchemaStore() (Store, bool) {
	for _, st := range c.Stores {
		if st.SQL != nil && st.SQL.Queries == nil {
			return st, true
		}
	}
	return Store{}, false
}

// FactorsOptional reports whether tktd may run without second factors
// when their storage cannot be made (a data directory it may not
// create or write, as under a service user whose working directory is
// /): nothing asks for them (mfa.required, mfa.key_file), and they would
// live in the data directory's SQLite file, which does not exist yet, so
// no user can have one that a login would then skip.
func (c Config) FactorsOptional() bool {
	if c.MFA.Required || c.MFA.KeyFile != "" {
		return false
	}
	if _, ok := c.ownSchemaStore(); ok {
		return false
	}
	_, err := os.Lstat(filepath.Join(c.DataDir, sqlstore.DefaultSQLiteFile))
	return errors.Is(err, fs.ErrNotExist)
}

// OpenFactorStore opens the database of the users' second factors (see
// factorStore), migrating tkt's schema there.
func OpenFactorStore(ctx context.Context, c Config, log *slog.Logger) (*sqlstore.Store, error) {
	st, name := c.factorStore()
	return openSQL(ctx, c, st, name, log)
}

// FactorStoreName describes the factors' database without credentials,
// for logs and tktctl.
func (c Config) FactorStoreName() string {
	st, name := c.factorStore()
	if l := (Store{Type: StoreSQL, Name: name, SQL: st}).label(c.DataDir); l != "" {
		return l
	}
	return "sql " + st.Driver + " (the first sql store with tkt's schema)"
}
