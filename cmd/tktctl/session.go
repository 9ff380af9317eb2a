package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
)

func newSessionCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "session",
		Short: "List and end the server-side sessions tktd records in Redis (sessions.enabled)",
		Args:  cobra.ArbitraryArgs,
		RunE:  helpOrUnknown,
	}
	c.AddCommand(newSessionListCmd(s), newSessionEndCmd(s))
	return c
}

// sessionConfigFlag adds the --config of a session command.
func sessionConfigFlag(c *cobra.Command, path *string) {
	c.Flags().StringVar(path, "config", "", "the tktd configuration `FILE` (its redis and ticket sections); without it, $TKT_CONFIG, or TKT_REDIS_URL and the other TKT_... variables")
}

// withSessions runs f with the sessions of the configured Redis (the tktd
// configuration at path, $TKT_CONFIG or the TKT_... environment), once it
// answered, the whole bounded by revokeTimeout.
func withSessions(ctx context.Context, s *streams, path string, f func(context.Context, *shared.Sessions) error) error {
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	client, err := openShared(ctx, s, path)
	if err != nil {
		return err
	}
	defer client.Close()
	sessions, err := client.Sessions(ctx)
	if err != nil {
		return err
	}
	return f(ctx, sessions)
}

func newSessionListCmd(s *streams) *cobra.Command {
	var (
		asJSON     bool
		configPath string
	)
	c := &cobra.Command{
		Use:   "list [USER]",
		Short: "List the sessions of USER, or of every user",
		Long: `List the server-side sessions in the Redis that tktd instances share: those of
USER, or of every user, that have not expired, by user and login time. Each
has an id (the one its tickets carry, as the token tkt-sid:ID), the login
time, when a ticket of it was last re-issued, and the client's address and
User-Agent at login. --json prints every field, the session's tokens and
data and its expiry too.

Redis comes from the redis section of the tktd configuration (--config, or
$TKT_CONFIG as for tktd) or from TKT_REDIS_URL.

Exit status: 0 listed (none is no failure), 1 failure (Redis unreachable, a
bad configuration), 2 usage error.`,
		Example: `  tktctl session list --config /etc/tkt/tktd.yaml
  tktctl session list alice --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := ""
			if len(args) == 1 {
				user = args[0]
				if err := ticket.CheckUID(user); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			return withSessions(cmd.Context(), s, configPath, func(ctx context.Context, sessions *shared.Sessions) error {
				list, err := sessions.List(ctx, user)
				if err != nil {
					return err
				}
				if asJSON {
					return writeSessionsJSON(s.out, list)
				}
				return writeSessions(s.out, list, user)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the sessions as a JSON array, every field")
	sessionConfigFlag(c, &configPath)
	return c
}

// writeSessions prints the sessions as a table, or says there are none.
func writeSessions(w io.Writer, list []shared.Session, user string) error {
	if len(list) == 0 {
		if user != "" {
			fmt.Fprintf(w, "no sessions of %s\n", printable(user))
		} else {
			fmt.Fprintln(w, "no sessions")
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tCREATED\tLAST SEEN\tCLIENT\tUSER AGENT")
	for _, r := range list {
		// The record keeps what a client sent printable already; a tab
		// would still break the columns.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, printable(r.User), stamp(r.Created), stamp(r.LastSeen),
			orDash(r.Client), orDash(strings.ReplaceAll(r.UserAgent, "\t", " ")))
	}
	return tw.Flush()
}

func writeSessionsJSON(w io.Writer, list []shared.Session) error {
	if list == nil {
		list = []shared.Session{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeEnded says what ending r did.
func writeEnded(w io.Writer, r shared.Session) {
	if r.User == "" {
		fmt.Fprintf(w, "ended session %s (it had no record: expired, ended before, or never recorded); tickets carrying it are refused\n", r.ID)
		return
	}
	fmt.Fprintf(w, "ended session %s of %s (logged in %s from %s); its tickets are refused\n", r.ID, printable(r.User), stamp(r.Created), orDash(r.Client))
}

func newSessionEndCmd(s *streams) *cobra.Command {
	var (
		user       string
		configPath string
	)
	c := &cobra.Command{
		Use:   "end ID... | --user USER",
		Short: "End sessions: every tktd instance refuses their tickets within a second",
		Long: `End server-side sessions by id, or every session of USER: their records go,
and /auth, the gate, the portal and the Go middleware refuse the tickets
that carry them within a second, however long those would still be valid.
An id without a record (expired, ended before, or never recorded: read from
a ticket with tktctl inspect, as the token tkt-sid:ID) is ended all the
same. Apache's mod_auth_tkt checks the signature alone, and goes on
accepting such tickets until they time out; tktctl revoke does not reach it
either.

Redis comes from the redis section of the tktd configuration (--config, or
$TKT_CONFIG as for tktd) or from TKT_REDIS_URL.

Exit status: 0 ended (or nothing to end for --user), 1 failure (Redis
unreachable, a bad configuration), 2 usage error.`,
		Example: `  tktctl session end 3q2-7wAAAAAAAAAAAAAAAA --config /etc/tkt/tktd.yaml
  tktctl session end --user alice`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, ids []string) error {
			switch {
			case user != "" && len(ids) > 0:
				return usageError("give session ids or --user, not both")
			case user == "" && len(ids) == 0:
				return usageError("name the sessions to end (tktctl session list shows them), or give --user USER")
			}
			if user != "" {
				if err := ticket.CheckUID(user); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			for i, id := range ids {
				ids[i] = strings.TrimPrefix(id, ticket.SessionPrefix) // as tktctl inspect shows it
				if err := ticket.CheckSessionID(ids[i]); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			return withSessions(cmd.Context(), s, configPath, func(ctx context.Context, sessions *shared.Sessions) error {
				var ended []shared.Session
				var err error
				if user != "" {
					ended, err = sessions.EndUser(ctx, user)
				} else {
					ended, err = sessions.End(ctx, ids...)
				}
				if err != nil {
					return err
				}
				if user != "" && len(ended) == 0 {
					fmt.Fprintf(s.out, "no sessions of %s to end\n", printable(user))
				}
				for _, r := range ended {
					writeEnded(s.out, r)
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&user, "user", "", "end every session of `USER`")
	sessionConfigFlag(c, &configPath)
	return c
}
