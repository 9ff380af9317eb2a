package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
)

// revokeTimeout bounds the whole command: Redis answers in milliseconds,
// or is away.
const revokeTimeout = 15 * time.Second

func newRevokeCmd(s *streams) *cobra.Command {
	var (
		all, list  bool
		configPath string
	)
	c := &cobra.Command{
		Use:   "revoke USER... | --all | --list",
		Short: "Refuse, on every tktd instance, the tickets issued so far to users or to everyone",
		Long: `Record a revocation mark in the Redis that tktd instances share: the tickets
of each USER (of every user with --all) issued before now are refused by
/auth, the gate, the portal and the Go middleware, within a second, whatever
their digest (tickets Apache minted too). A ticket issued after the mark, at
the next login, works. --list shows the marks and when they expire: once
every ticket a mark could refuse has timed out (ticket.timeout + max_skew
after it), or never with ticket.timeout 0.

Redis comes from the redis section of the tktd configuration (--config, or
$TKT_CONFIG as for tktd) or from TKT_REDIS_URL; the ticket section gives the
marks' lifetime.

Exit status: 0 recorded (or listed), 1 failure (Redis unreachable, a bad
configuration), 2 usage error.`,
		Example: `  tktctl revoke alice --config /etc/tkt/tktd.yaml
  TKT_REDIS_URL=redis://127.0.0.1:6379/0 tktctl revoke --all
  tktctl revoke --list --config /etc/tkt/tktd.yaml`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, users []string) error {
			switch {
			case list && (all || len(users) > 0):
				return usageError("--list takes neither user names nor --all")
			case all && len(users) > 0:
				return usageError("give user names or --all, not both")
			case !list && !all && len(users) == 0:
				return usageError("name the users whose tickets to revoke, or give --all (--list shows the marks)")
			}
			for _, u := range users {
				if err := ticket.CheckUID(u); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), revokeTimeout)
			defer cancel()
			r, done, err := openRevocations(ctx, s, configPath)
			if err != nil {
				return err
			}
			defer done()
			if list {
				return listMarks(ctx, s.out, r)
			}
			now := time.Now()
			if all {
				m, err := r.RevokeAll(ctx, now)
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "revoked every user's tickets issued up to %s %s\n", stamp(m.At), expiry(m))
				return nil
			}
			for _, u := range users {
				m, err := r.Revoke(ctx, u, now)
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "revoked %s's tickets issued up to %s %s\n", u, stamp(m.At), expiry(m))
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.BoolVar(&all, "all", false, "revoke every user's tickets")
	fl.BoolVar(&list, "list", false, "list the revocation marks and when they expire")
	fl.StringVar(&configPath, "config", "", "the tktd configuration `FILE` (its redis and ticket sections); without it, TKT_REDIS_URL and the other TKT_... variables")
	return c
}

// openRevocations connects to the configured Redis, checks that it
// answers and reads the marks; done closes it.
func openRevocations(ctx context.Context, s *streams, path string) (*shared.Revocations, func(), error) {
	client, err := openShared(ctx, s, path)
	if err != nil {
		return nil, nil, err
	}
	return client.Revocations(ctx), func() { client.Close() }, nil
}

// openShared connects to the Redis of the tktd configuration at path (or
// $TKT_CONFIG, or the TKT_... environment) and checks that it answers.
func openShared(ctx context.Context, s *streams, path string) (*shared.Client, error) {
	cfg, err := loadTktdConfig(s, path)
	if err != nil {
		return nil, err
	}
	sc, err := cfg.Shared(nil)
	if errors.Is(err, config.ErrNoRedis) {
		return nil, usageError("%w; or give the tktd configuration with --config FILE", err)
	}
	if err != nil {
		return nil, err
	}
	client, err := shared.Open(ctx, sc)
	if err != nil {
		return nil, err
	}
	// Open has asked Redis: fail at once, rather than after waiting for
	// a copy that never comes.
	if st := client.Status(); !st.Up {
		client.Close()
		why := st.Err
		if why == nil {
			why = errors.New("no answer")
		}
		return nil, fmt.Errorf("redis unreachable: %s: %w", client, why)
	}
	return client, nil
}

// listMarks prints the marks in force, or says there are none.
func listMarks(ctx context.Context, w io.Writer, r *shared.Revocations) error {
	marks, err := r.Marks(ctx)
	if err != nil {
		return err
	}
	if len(marks) == 0 {
		fmt.Fprintln(w, "no revocation marks")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "WHOSE TICKETS\tISSUED UP TO\tMARK EXPIRES")
	for _, m := range marks {
		who := "user " + m.User
		if m.All {
			who = "all users"
		}
		exp := "never"
		if !m.Expires.IsZero() {
			exp = stamp(m.Expires)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", who, stamp(m.At), exp)
	}
	return tw.Flush()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// expiry says, in parentheses, when a mark expires.
func expiry(m shared.Mark) string {
	if m.Expires.IsZero() {
		return "(the mark never expires: ticket.timeout is 0)"
	}
	return "(the mark expires " + stamp(m.Expires) + ")"
}

// revokeConfigFlag adds --config to a user command that revokes tickets
// after it changed something.
func revokeConfigFlag(c *cobra.Command, path *string) {
	c.Flags().StringVar(path, "config", "", "the tktd configuration `FILE` whose redis section holds the revocations (or TKT_REDIS_URL)")
}

// revokeAfter revokes user's tickets issued so far when Redis is
// configured, after a change (why) that should end them, and says what
// it did. Without Redis it says what that means. A Redis that cannot be
// reached fails the command: the change is made, the revocation is not,
// and the operator must know.
func revokeAfter(ctx context.Context, s *streams, configPath, user, why string) error {
	if configPath == "" && s.getenv("TKT_CONFIG") == "" && s.getenv("TKT_REDIS_URL") == "" && s.getenv("TKT_REDIS_URL_FILE") == "" && s.getenv("TKT_REDIS_ADDRS") == "" {
		fmt.Fprintf(s.err, "tktctl: note: no Redis configured: %s's tickets issued before the %s stay valid until they time out (give --config or TKT_REDIS_URL to revoke them)\n", printable(user), why)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	r, done, err := openRevocations(ctx, s, configPath)
	if errors.Is(err, config.ErrNoRedis) {
		fmt.Fprintf(s.err, "tktctl: note: no Redis configured: %s's tickets issued before the %s stay valid until they time out\n", printable(user), why)
		return nil
	}
	if err != nil {
		return fmt.Errorf("the %s is done, but %s's older tickets were not revoked: %w", why, printable(user), err)
	}
	defer done()
	m, err := r.Revoke(ctx, user, time.Now())
	if err != nil {
		return fmt.Errorf("the %s is done, but %s's older tickets were not revoked: %w", why, printable(user), err)
	}
	fmt.Fprintf(s.out, "revoked %s's tickets issued up to %s %s\n", printable(user), stamp(m.At), expiry(m))
	return nil
}

// loadTktdConfig reads the tktd configuration at path, or at
// $TKT_CONFIG, or from the TKT_... environment alone, as tktd does.
func loadTktdConfig(s *streams, path string) (config.Config, error) {
	if path == "" {
		path = s.getenv("TKT_CONFIG") // as tktd reads it
	}
	name := path
	if name == "" {
		name = "the TKT_... environment"
	}
	return loadConfig(s, path, name, nil)
}
