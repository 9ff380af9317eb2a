package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tkt-sso/tkt/authsrc/mfa"
)

// minPasskeyPrefix is the shortest passkey id prefix `passkey remove`
// takes: the list shows 16 hex digits, and 8 are as many as anybody reads
// off a screen.
const minPasskeyPrefix = 8

// newUserPasskeyCmd is `tktctl user passkey`: what an administrator does
// for a user who lost a device. Passkeys are made in a browser, at
// /account/security; here they are listed and removed.
func newUserPasskeyCmd(s *streams, db *userDB) *cobra.Command {
	var (
		configPath string
		all        bool
	)
	c := &cobra.Command{
		Use:   "passkey",
		Short: "List or remove a user's passkeys",
		Long: `List or remove a user's passkeys, for a user of any store. Passkeys are made in
the browser, at the portal's /account/security; a user who lost the device
cannot sign in there to remove it, and a stolen one should go at once. The
factors live where tktd keeps them: --data-dir's SQLite file by default or, with
--config, the database tktd uses.`,
		Example: `  tktctl user passkey list alice
  tktctl user passkey remove alice 3f2a9c01d7e4b8aa
  tktctl user passkey remove alice --all --config /etc/tkt/tktd.yaml`,
		Args: cobra.ArbitraryArgs,
		RunE: helpOrUnknown,
	}
	c.PersistentFlags().StringVar(&configPath, "config", "", "the tktd configuration `FILE`: its factor database and mfa.key_file")
	remove := &cobra.Command{
		Use:   "remove USER ID... | USER --all",
		Short: "Remove passkeys of a user by the ids `list` shows (a prefix of 8 or more digits), or all",
		Long: `Remove passkeys of USER by the ids ` + "`tktctl user passkey list`" + ` shows, or a prefix of
at least 8 of their hex digits that names one passkey; --all removes every
one. A user left with neither passkeys nor TOTP loses the recovery codes too:
they stood in for factors that are gone.`,
		Args: cobra.MinimumNArgs(1),
		RunE: withFactors(s, db, &configPath, func(ctx context.Context, m *mfa.Manager, user string, ids []string) error {
			if all == (len(ids) > 0) {
				return usageError("name the passkeys to remove, or --all")
			}
			have, err := m.Passkeys(ctx, user)
			if err != nil {
				return err
			}
			gone, err := passkeysNamed(have, ids, all)
			if err != nil {
				return err
			}
			if len(gone) == 0 {
				return fmt.Errorf("%s has no passkeys", printable(user))
			}
			for _, id := range gone {
				if _, err := m.RemovePasskey(ctx, user, id); err != nil {
					return err
				}
			}
			fmt.Fprintf(s.out, "removed %d passkey(s) of %s\n", len(gone), printable(user))
			st, err := m.Status(ctx, user)
			if err != nil {
				return err
			}
			if !st.Any() && st.Recovery > 0 {
				if err := m.RemoveTOTP(ctx, user); err != nil {
					return err
				}
				fmt.Fprintf(s.out, "%s has no second factor left: the recovery codes are removed too\n", printable(user))
			}
			return nil
		}),
	}
	remove.Flags().BoolVar(&all, "all", false, "remove every passkey of the user")
	c.AddCommand(&cobra.Command{
		Use:   "list USER",
		Short: "List a user's passkeys: id, when added, how the device connects",
		Args:  cobra.ExactArgs(1),
		RunE: withFactors(s, db, &configPath, func(ctx context.Context, m *mfa.Manager, user string, _ []string) error {
			ps, err := m.Passkeys(ctx, user)
			if err != nil {
				return err
			}
			if len(ps) == 0 {
				fmt.Fprintf(s.err, "%s has no passkeys\n", printable(user))
				return nil
			}
			for _, p := range ps {
				var via []string
				for _, tr := range p.Credential.Transport {
					via = append(via, string(tr))
				}
				fmt.Fprintf(s.out, "%s  added %s  %s\n", p.ID[:min(16, len(p.ID))], p.Created.UTC().Format(time.RFC3339), cmp.Or(strings.Join(via, ","), "-"))
			}
			return nil
		}),
	}, remove)
	return c
}

// passkeysNamed resolves the ids or id prefixes given to `passkey remove`
// against the user's passkeys: each must name exactly one.
func passkeysNamed(have []mfa.Passkey, ids []string, all bool) ([]string, error) {
	var out []string
	if all {
		for _, p := range have {
			out = append(out, p.ID)
		}
		return out, nil
	}
	for _, id := range ids {
		id = strings.ToLower(id)
		if len(id) < minPasskeyPrefix {
			return nil, usageError("passkey id %q: give at least %d of its hex digits", id, minPasskeyPrefix)
		}
		var hits []string
		for _, p := range have {
			if strings.HasPrefix(p.ID, id) {
				hits = append(hits, p.ID)
			}
		}
		switch len(hits) {
		case 0:
			return nil, fmt.Errorf("no passkey %s (tktctl user passkey list shows the ids)", printable(id))
		case 1:
			out = append(out, hits[0])
		default:
			return nil, usageError("passkey id %q names %d passkeys: give more digits", id, len(hits))
		}
	}
	return out, nil
}
