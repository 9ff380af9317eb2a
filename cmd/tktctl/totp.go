package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/config"
)

// newUserTOTPCmd is `tktctl user totp`: a user's TOTP factor, for users of
// any store (htpasswd and LDAP users' factors live in tkt's database too).
func newUserTOTPCmd(s *streams, db *userDB) *cobra.Command {
	var configPath string
	c := &cobra.Command{
		Use:   "totp",
		Short: "Enroll or remove a user's TOTP second factor",
		Long: `Enroll or remove a user's TOTP second factor (RFC 6238: SHA-1, 30 s, 6 digits,
what every authenticator app reads). The user may be in any of tktd's stores,
htpasswd and LDAP included: the factors live in tkt's own database, the SQLite
file of --data-dir (` + defaultDataDir + "/" + sqlstore.DefaultSQLiteFile + ` by default) or, with --config, the
database tktd uses for them (the first sql store with tkt's schema, else the
data directory's file). TOTP secrets are sealed with the key in mfa.key (in
the data directory, or mfa.key_file), created when missing.`,
		Example: `  tktctl user totp enroll alice              # the otpauth:// URI, a QR code, ten recovery codes
  tktctl user totp enroll alice --config /etc/tkt/tktd.yaml
  tktctl user totp remove alice`,
		Args: cobra.ArbitraryArgs,
		RunE: helpOrUnknown,
	}
	c.PersistentFlags().StringVar(&configPath, "config", "", "the tktd configuration `FILE`: its factor database, mfa.issuer and mfa.key_file")
	c.AddCommand(
		&cobra.Command{
			Use:   "enroll USER",
			Short: "Give a user a new TOTP secret (replacing theirs) and ten recovery codes",
			Long: `Give USER a new TOTP secret, replacing the one they had, and ten new one-time
recovery codes. Prints the otpauth:// URI on standard output (and, on a
terminal, a QR code for an authenticator app to scan), then the recovery codes,
one a line: they are shown this once, only their hashes are kept.`,
			Args: cobra.ExactArgs(1),
			RunE: withFactors(s, db, &configPath, func(ctx context.Context, m *mfa.Manager, user string, _ []string) error {
				before, err := m.Status(ctx, user)
				if err != nil {
					return err
				}
				key, err := m.EnrollTOTP(ctx, user, true)
				if err != nil {
					return err
				}
				codes, err := m.NewRecoveryCodes(ctx, user)
				if err != nil {
					return err
				}
				fmt.Fprintln(s.out, key.URL())
				if isTerminal(s.out) {
					q, err := qrcode.New(key.URL(), qrcode.Medium)
					if err != nil {
						return err
					}
					fmt.Fprint(s.out, q.ToSmallString(false))
				}
				if before.TOTP {
					fmt.Fprintf(s.err, "replaced the TOTP factor of %s\n", printable(user))
				}
				fmt.Fprintf(s.err, "recovery codes of %s, each good for one sign-in instead of a code; they are shown this once:\n", printable(user))
				for _, c := range codes {
					fmt.Fprintln(s.out, c)
				}
				return nil
			}),
		},
		&cobra.Command{
			Use:   "remove USER",
			Short: "Remove a user's TOTP factor and recovery codes (kept while passkeys remain)",
			Args:  cobra.ExactArgs(1),
			RunE: withFactors(s, db, &configPath, func(ctx context.Context, m *mfa.Manager, user string, _ []string) error {
				st, err := m.Status(ctx, user)
				if err != nil {
					return err
				}
				if !st.TOTP && !st.PendingTOTP && st.Recovery == 0 {
					return fmt.Errorf("%s has no TOTP factor", printable(user))
				}
				if err := m.RemoveTOTP(ctx, user); err != nil {
					return err
				}
				if st.Passkeys > 0 {
					// The codes stand in for the passkeys now.
					fmt.Fprintf(s.out, "removed the TOTP factor of %s (%d passkey(s) and the recovery codes stay: tktctl user passkey remove %s --all, or the user at /account/security)\n", printable(user), st.Passkeys, printable(user))
					return nil
				}
				fmt.Fprintf(s.out, "removed the TOTP factor and recovery codes of %s\n", printable(user))
				return nil
			}),
		},
	)
	return c
}

// withFactors opens the factor database and key, from --config or from the
// user commands' --data-dir (--driver/--dsn), and runs fn for the user
// args[0] and the rest of args.
func withFactors(s *streams, db *userDB, configPath *string, fn func(ctx context.Context, m *mfa.Manager, user string, rest []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		user := args[0]
		if err := sqlstore.CheckUserName(user); err != nil {
			return userErr(err)
		}
		var (
			st     *sqlstore.Store
			key    []byte
			issuer = config.DefaultMFAIssuer
			err    error
		)
		if *configPath != "" {
			for _, f := range []string{"data-dir", "driver", "dsn"} {
				if cmd.Flags().Changed(f) {
					return usageError("--config names the factor database; it can't be combined with --%s", f)
				}
			}
			cfg, err := loadTktdConfig(s, *configPath)
			if err != nil {
				return err
			}
			if key, err = cfg.MFAKey(); err != nil {
				return err
			}
			issuer = cfg.MFA.Issuer
			if st, err = config.OpenFactorStore(cmd.Context(), cfg, nil); err != nil {
				return err
			}
		} else {
			// The SQLite file is created for users of other stores: their
			// factors are all tkt keeps of them.
			if st, err = db.open(cmd, s, true); err != nil {
				return err
			}
			if key, err = mfa.EnsureKeyFile(filepath.Join(db.dataDir, mfa.KeyFileName)); err != nil {
				st.Close()
				return err
			}
		}
		defer st.Close()
		m, err := mfa.New(mfa.Config{Store: st, Key: key, Issuer: issuer})
		if err != nil {
			return err
		}
		return userErr(fn(cmd.Context(), m, user, args[1:]))
	}
}

// isTerminal reports whether w is a terminal (a QR code is for eyes and
// cameras, not for a pipe).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
