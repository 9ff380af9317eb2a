package main

import (
	"bufio"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/config"
)

const defaultDataDir = "./tkt-data"

// userDB is how the user commands find the store: tkt's own SQLite file in
// a data directory (the zero-configuration default, shared with tktd), or
// a PostgreSQL/MySQL database given by driver and DSN.
type userDB struct {
	dataDir, driver, dsn string
	cost                 int
	// where names the database open opened, and created says that it
	// made it: user add says both, since a second SQLite file made by
	// mistake in another directory would otherwise go unnoticed.
	where   string
	created bool
}

func (u *userDB) register(fs *pflag.FlagSet) {
	fs.StringVar(&u.dataDir, "data-dir", defaultDataDir, "data directory holding the SQLite user database ("+sqlstore.DefaultSQLiteFile+")")
	fs.StringVar(&u.driver, "driver", "", "database driver: sqlite, postgres (pgx) or mysql (env TKT_DB_DRIVER)")
	fs.StringVar(&u.dsn, "dsn", "", "database connection string, used with --driver (env TKT_DB_DSN)")
	// tktd rehashes a password at its own bcrypt_cost when the user next
	// logs in: a different cost here lasts until then.
	fs.IntVar(&u.cost, "bcrypt-cost", 0, fmt.Sprintf("bcrypt cost of new password hashes (default %d); use tktd's bcrypt_cost, which it rehashes to at the next login", sqlstore.DefaultBcryptCost))
}

// open opens the store. Only `user add` may create a data directory: a
// typo in --data-dir should not show an empty user list.
func (u *userDB) open(cmd *cobra.Command, s *streams, create bool) (*sqlstore.Store, error) {
	driver, dsn := u.driver, u.dsn
	if driver == "" {
		driver = s.getenv("TKT_DB_DRIVER")
	}
	if dsn == "" {
		dsn = s.getenv("TKT_DB_DSN")
	}
	var cfg sqlstore.Config
	switch {
	case driver == "" && dsn == "":
		file := filepath.Join(u.dataDir, sqlstore.DefaultSQLiteFile)
		_, statErr := os.Stat(file)
		if err := userDBState(file, create); err != nil {
			return nil, err
		}
		u.where, u.created = absPath(file), errors.Is(statErr, fs.ErrNotExist)
		var err error
		if cfg, err = sqlstore.DataDirConfig(u.dataDir); err != nil {
			return nil, err
		}
	case driver == "" || dsn == "":
		return nil, usageError("--driver and --dsn (or TKT_DB_DRIVER and TKT_DB_DSN) go together")
	case cmd.Flags().Changed("data-dir"):
		return nil, usageError("--data-dir is for the SQLite default; it can't be combined with --driver/--dsn")
	default:
		cfg = sqlstore.Config{Driver: driver, DSN: dsn}
		u.where = "the " + driver + " database of the DSN" // the DSN itself may hold a password
	}
	if u.cost != 0 {
		cfg.BcryptCost = u.cost
	}
	st, err := sqlstore.Open(cmd.Context(), cfg)
	if err != nil {
		return nil, userErr(err)
	}
	return st, nil
}

// userDBState checks that the SQLite user database at file can be read,
// or is missing and may be created: a database that is there but cannot
// be read (another user's data directory) is not "no user database".
func userDBState(file string, create bool) error {
	f, err := os.Open(file)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrNotExist) && create:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no user database at %s (tktctl user add creates it): %w", file, err)
	case errors.Is(err, fs.ErrPermission):
		return config.Unreadable("the user database", file, err)
	}
	return fmt.Errorf("the user database %s cannot be opened: %w", file, err)
}

// userErr makes a bad name or data a usage error (exit 2); the rest (user
// exists, no such user, database down) exit 1.
func userErr(err error) error {
	if errors.Is(err, sqlstore.ErrInvalidName) || errors.Is(err, sqlstore.ErrInvalidData) {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}

// withStore is the body every user subcommand shares: open, run, close.
func withStore(s *streams, db *userDB, create bool, fn func(*cobra.Command, *sqlstore.Store, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		st, err := db.open(cmd, s, create)
		if err != nil {
			return err
		}
		defer st.Close()
		return userErr(fn(cmd, st, args))
	}
}

func newUserCmd(s *streams) *cobra.Command {
	db := &userDB{}
	c := &cobra.Command{
		Use:   "user",
		Short: "Manage users in tkt's own user store",
		Long: `Manage the users of tkt's own user store: by default the SQLite database
` + defaultDataDir + "/" + sqlstore.DefaultSQLiteFile + ` that tktd serves with no configuration, or a PostgreSQL or
MySQL/MariaDB database holding tkt's schema (--driver and --dsn, or the
environment variables TKT_DB_DRIVER and TKT_DB_DSN).

Passwords are read from the terminal without echo, or with --password-stdin
as one line from standard input.`,
		Example: `  tktctl user add alice --group staff
  printf '%s\n' "$PW" | tktctl user passwd alice --password-stdin
  tktctl user group alice --add admins --remove staff
  tktctl user list --json
  TKT_DB_DRIVER=postgres TKT_DB_DSN=postgres://tkt@db/tkt tktctl user list`,
		Args: cobra.ArbitraryArgs,
		RunE: helpOrUnknown,
	}
	db.register(c.PersistentFlags())
	c.AddCommand(newUserAddCmd(s, db), newUserPasswdCmd(s, db), newUserDelCmd(s, db),
		newUserListCmd(s, db), newUserGroupCmd(s, db), newUserDataCmd(s, db), newUserTOTPCmd(s, db), newUserPasskeyCmd(s, db))
	return c
}

func newUserAddCmd(s *streams, db *userDB) *cobra.Command {
	var (
		groups     []string
		data       string
		fromStdin  bool
		configPath string
	)
	c := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user",
		Args:  cobra.ExactArgs(1),
		PreRunE: func(_ *cobra.Command, args []string) error {
			// Refuse a bad name before asking for a password.
			return userErr(sqlstore.CheckUserName(args[0]))
		},
		RunE: withStore(s, db, true, func(cmd *cobra.Command, st *sqlstore.Store, args []string) error {
			rules, err := passwordRules(s, configPath)
			if err != nil {
				return err
			}
			pw, err := readPassword(s, fromStdin, rules)
			if err != nil {
				return err
			}
			if err := st.AddUser(cmd.Context(), args[0], pw, groups, data); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "added user %s to %s\n", printable(args[0]), db.where)
			if db.created {
				dir := filepath.Dir(db.where)
				fmt.Fprintf(s.err, "tktctl: note: created the user database %s: tktd serve uses it when started in %s, or with --data-dir %s\n",
					db.where, filepath.Dir(dir), dir)
			}
			return nil
		}),
	}
	c.Flags().StringVar(&configPath, "config", "", "the tktd configuration `FILE` whose passwords.min_length applies (default $TKT_CONFIG)")
	c.Flags().StringSliceVarP(&groups, "group", "g", nil, "group (ticket token) of the user; repeat or separate with commas")
	c.Flags().StringVar(&data, "data", "", "user data carried in the user's tickets")
	passwordStdinFlag(c.Flags(), &fromStdin)
	return c
}

func newUserPasswdCmd(s *streams, db *userDB) *cobra.Command {
	var fromStdin bool
	var configPath string
	c := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password, and revoke the tickets issued before",
		Long: `Set a user's password. With Redis configured (the redis section of --config, or
TKT_REDIS_URL), the user's tickets issued before are revoked on every tktd
instance, as "tktctl revoke NAME" does: whoever held the old password, or a
ticket got with it, has to log in again. The password must be as long as
passwords.min_length of --config (default 8 characters).`,
		Args: cobra.ExactArgs(1),
		RunE: withStore(s, db, false, func(cmd *cobra.Command, st *sqlstore.Store, args []string) error {
			// Look the user up first so nobody types a password twice for
			// a name that isn't there.
			if _, err := st.User(cmd.Context(), args[0]); err != nil {
				return err
			}
			rules, err := passwordRules(s, configPath)
			if err != nil {
				return err
			}
			pw, err := readPassword(s, fromStdin, rules)
			if err != nil {
				return err
			}
			if err := st.SetPassword(cmd.Context(), args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "changed the password of %s\n", printable(args[0]))
			return revokeAfter(cmd.Context(), s, configPath, args[0], "password change")
		}),
	}
	passwordStdinFlag(c.Flags(), &fromStdin)
	revokeConfigFlag(c, &configPath)
	return c
}

func newUserDelCmd(s *streams, db *userDB) *cobra.Command {
	var configPath string
	c := &cobra.Command{
		Use:     "del NAME",
		Aliases: []string{"delete", "rm"},
		Short:   "Delete a user, and revoke their tickets",
		Long: `Delete a user. With Redis configured (the redis section of --config, or
TKT_REDIS_URL), the user's tickets are revoked on every tktd instance at
once; without, they stay valid until they time out (a refresh asks the
store and is refused, so they do not slide on).`,
		Args: cobra.ExactArgs(1),
		RunE: withStore(s, db, false, func(cmd *cobra.Command, st *sqlstore.Store, args []string) error {
			if err := st.DeleteUser(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "deleted user %s\n", printable(args[0]))
			return revokeAfter(cmd.Context(), s, configPath, args[0], "deletion")
		}),
	}
	revokeConfigFlag(c, &configPath)
	return c
}

func newUserListCmd(s *streams, db *userDB) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List users with their groups and data",
		Args:  cobra.NoArgs,
		RunE: withStore(s, db, false, func(cmd *cobra.Command, st *sqlstore.Store, _ []string) error {
			users, err := st.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if users == nil {
					users = []sqlstore.UserInfo{}
				}
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(users)
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tGROUPS\tDATA")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", printable(u.Name), strings.Join(u.Groups, ","), printable(u.Data))
			}
			return tw.Flush()
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newUserGroupCmd(s *streams, db *userDB) *cobra.Command {
	var add, remove, set []string
	c := &cobra.Command{
		Use:   "group NAME",
		Short: "Change a user's groups",
		Long: `Change a user's groups (the tokens in their tickets): --add and --remove
change them, --set replaces them all (--set '' removes every group). The
resulting groups are printed.`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			changed := func(n string) bool { return cmd.Flags().Changed(n) }
			switch {
			case changed("set") && (changed("add") || changed("remove")):
				return usageError("--set replaces all groups; it can't be combined with --add or --remove")
			case !changed("set") && !changed("add") && !changed("remove"):
				return usageError("nothing to do: give --add, --remove or --set")
			}
			return nil
		},
		RunE: withStore(s, db, false, func(cmd *cobra.Command, st *sqlstore.Store, args []string) error {
			name := args[0]
			groups, err := []string(nil), error(nil)
			if cmd.Flags().Changed("set") {
				if err = st.SetGroups(cmd.Context(), name, set); err == nil {
					var u sqlstore.UserInfo
					u, err = st.User(cmd.Context(), name)
					groups = u.Groups
				}
			} else {
				groups, err = st.UpdateGroups(cmd.Context(), name, add, remove)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "%s: %s\n", printable(name), strings.Join(groups, ","))
			return nil
		}),
	}
	c.Flags().StringSliceVar(&add, "add", nil, "group to add; repeat or separate with commas")
	c.Flags().StringSliceVar(&remove, "remove", nil, "group to remove; repeat or separate with commas")
	c.Flags().StringSliceVar(&set, "set", nil, "the user's groups, replacing all others")
	return c
}

func newUserDataCmd(s *streams, db *userDB) *cobra.Command {
	return &cobra.Command{
		Use:   "data NAME DATA",
		Short: "Set the user data carried in a user's tickets ('' clears it)",
		Args:  cobra.ExactArgs(2),
		RunE: withStore(s, db, false, func(cmd *cobra.Command, st *sqlstore.Store, args []string) error {
			if err := st.SetData(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "set the data of %s\n", printable(args[0]))
			return nil
		}),
	}
}

func passwordStdinFlag(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "password-stdin", false, "read the password from the first line of standard input")
}

// readPassword reads a new password: one line of stdin with
// --password-stdin (for scripts), else twice from the terminal without
// echo. Without a terminal and without the flag, we refuse rather than
// read a password that is echoed or came from who knows where.
func readPassword(s *streams, fromStdin bool, rules config.Passwords) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(s.in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		pw = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	} else {
		f, ok := s.in.(interface{ Fd() uintptr })
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usageError("standard input is not a terminal: give the password on standard input with --password-stdin")
		}
		fd := int(f.Fd())
		first, err := prompt(s, fd, "New password: ")
		if err != nil {
			return "", err
		}
		again, err := prompt(s, fd, "Retype the new password: ")
		if err != nil {
			return "", err
		}
		if subtle.ConstantTimeCompare([]byte(first), []byte(again)) != 1 {
			return "", errors.New("the passwords do not match")
		}
		pw = first
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	if err := rules.CheckPassword(pw); err != nil {
		return "", fmt.Errorf("%w (set in tktd's configuration, given with --config)", err)
	}
	return pw, nil
}

// passwordRules are the passwords settings of the tktd configuration at
// path (or $TKT_CONFIG) and the TKT_ environment, as tktd reads them; with
// no file, the defaults and the environment.
func passwordRules(s *streams, path string) (config.Passwords, error) {
	if path == "" {
		path = s.getenv("TKT_CONFIG")
	}
	cfg, err := config.Load(path, s.getenv)
	if err != nil {
		name := path
		if name == "" {
			name = "the TKT_... environment"
		}
		return config.Passwords{}, fmt.Errorf("%s is not a valid tktd configuration: %w", name, err)
	}
	return cfg.Passwords, nil
}

// absPath is path made absolute, or path itself when the working
// directory is gone.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

func prompt(s *streams, fd int, msg string) (string, error) {
	fmt.Fprint(s.err, msg)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(s.err)
	if err != nil {
		return "", fmt.Errorf("reading the password from the terminal: %w", err)
	}
	return string(b), nil
}

// printable quotes a string that holds anything a terminal might act on.
// User names can't (CheckUserName); data from another tool might.
func printable(v string) string {
	if strings.IndexFunc(v, func(r rune) bool { return !strconv.IsPrint(r) && r != ' ' }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}
