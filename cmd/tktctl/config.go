package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tkt-sso/tkt/internal/config"
)

// maxConfigInput bounds a configuration read from stdin, like a file.
const maxConfigInput = 4 << 20

func newConfigCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Check tktd configuration files; import Apache mod_auth_tkt settings",
		Args:  cobra.ArbitraryArgs,
		RunE:  helpOrUnknown,
	}
	c.AddCommand(newConfigCheckCmd(s), newConfigImportCmd(s))
	return c
}

func newConfigCheckCmd(s *streams) *cobra.Command {
	var noEnv bool
	c := &cobra.Command{
		Use:   "check FILE",
		Short: "Check a tktd configuration file and list every problem",
		Long: `Check a tktd YAML configuration as tktd serve would read it, with the TKT_...
environment variables applied (unless --no-env), and list every problem at
once, each with its key path. The files it names (secrets, TLS, htpasswd) must
exist and be readable, so run it where tktd runs, as tktd's user. FILE "-"
reads standard input. A TKT_ variable one typo away from a setting's is a
problem, as tktd refuses it too; what tktd would warn about at start (a secret
file group or others may read, a short secret, a TKT_ variable that names no
setting) is printed on stderr as a warning.

Exit status: 0 valid (with a summary on stdout), 1 invalid (the problems on
stderr), 2 usage error.`,
		Example: `  tktctl config check /etc/tkt/tktd.yaml
  TKT_LISTEN=:8443 tktctl config check tktd.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			getenv := s.getenv
			if noEnv {
				getenv = func(string) string { return "" }
			}
			path := args[0]
			var cfg config.Config
			var err error
			if path == "-" {
				var data []byte
				if data, err = readInput(s.in); err != nil {
					return err
				}
				cfg, err = config.Parse(data, getenv)
			} else {
				cfg, err = config.Load(path, getenv)
			}
			var unknownEnv []string
			if !noEnv {
				var typos error
				unknownEnv, typos = config.CheckEnv(s.environList())
				err = errors.Join(err, typos)
			}
			if err != nil {
				probs := config.Problems(err)
				fmt.Fprintf(s.err, "%s: %d problem(s):\n", path, len(probs))
				for _, p := range probs {
					fmt.Fprintf(s.err, "  %v\n", p)
				}
				return &exitError{code: exitInvalid, err: fmt.Errorf("%s is not a valid tktd configuration", path)}
			}
			fmt.Fprintf(s.out, "%s: OK\n", path)
			// What tktd would warn about at start, it says here too.
			for _, w := range cfg.SecretWarnings() {
				fmt.Fprintf(s.err, "%s: warning: %s\n", path, w)
			}
			for _, name := range unknownEnv {
				fmt.Fprintf(s.err, "%s: warning: %s names no setting: tktd ignores it\n", path, name)
			}
			return summarize(s.out, cfg, envOverrides(getenv))
		},
	}
	c.Flags().BoolVar(&noEnv, "no-env", false, "ignore TKT_... environment variables: check the file alone")
	return c
}

// envOverrides lists the TKT_... variables that change a setting.
func envOverrides(getenv func(string) string) []string {
	var out []string
	for _, k := range config.SettingKeys() {
		if name := config.EnvName(k); getenv(name) != "" {
			out = append(out, name)
		}
	}
	return out
}

// backURLs says where a login or logout may send the browser back to:
// the hosts tktd knows to be its own, then the lists, each by its key.
func backURLs(c config.Config) string {
	parts := []string{"back to the portal's own host"}
	hosts, ports := c.OwnRedirects()
	if len(hosts) > 0 {
		parts = append(parts, strings.Join(hosts, ", ")+" (the rules' and the gate's hosts)")
	}
	for _, p := range ports {
		parts = append(parts, "port "+p+" of the portal's host (the gate)")
	}
	if len(c.URLTicketHosts) > 0 {
		parts = append(parts, strings.Join(c.URLTicketHosts, ", ")+" (url_ticket_hosts)")
	}
	if len(c.AllowedRedirects) > 0 {
		parts = append(parts, strings.Join(c.AllowedRedirects, ", ")+" (allowed_redirects)")
	}
	return strings.Join(parts, "; ")
}

// summarize prints what a configuration amounts to, without secrets.
func summarize(w io.Writer, c config.Config, env []string) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "  %s\t"+format+"\n", append([]any{k}, a...)...) }
	scheme := "http"
	if c.TLS.Enabled() {
		scheme = "https, certificate " + c.TLS.CertFile
	}
	row("listen", "%s (%s)", c.Listen, scheme)
	row("data_dir", "%s", c.DataDir)
	binding := "bound to the client IP"
	if c.Ticket.IgnoreIP {
		binding = "not bound to the client IP"
	}
	if l := c.Ticket.MaxLifetime; l > 0 {
		binding += ", refreshed until " + config.FormatDuration(l) + " after the login"
	}
	row("ticket", "digest %s, timeout %s, refresh %v, %s", c.Ticket.Digest, config.FormatDuration(c.Ticket.Timeout), c.Ticket.Refresh, binding)
	secret := c.SecretPath()
	if c.Ticket.SecretFile == "" {
		secret += " (generated on first start)"
	}
	if n := len(c.Ticket.OldSecretFiles); n > 0 {
		secret += fmt.Sprintf(", and %d old secret file(s)", n)
	}
	row("secret", "%s", secret)
	cookie := c.Cookie.Name
	if c.Cookie.Domain != "" {
		cookie += ", domain " + c.Cookie.Domain
	}
	if c.Cookie.Secure {
		cookie += ", secure"
	}
	if c.Cookie.Expires > 0 {
		cookie += ", expires after " + config.FormatDuration(c.Cookie.Expires)
	}
	row("cookie", "%s", cookie)
	row("redirects", "%s", backURLs(c))
	if c.Guest.Enabled {
		row("guest", "enabled, as %s", c.Guest.User)
	}
	if len(c.Stores) == 0 {
		row("stores", "1. sql: SQLite in %s (the default)", c.DataDir)
	}
	for i, st := range c.Stores {
		k := ""
		if i == 0 {
			k = "stores"
		}
		line := fmt.Sprintf("%d. %s", i+1, st.Type)
		if st.Name != "" {
			line += " " + st.Name
		}
		if st.Cache.Enabled {
			line += ", cached"
		}
		row(k, "%s", line)
	}
	mfaLine := "asked of users who enrolled one"
	if c.MFA.Required {
		mfaLine = "required of every user"
	}
	row("mfa", "%s; token %s, issuer %q, factors in %s, key %s", mfaLine, c.MFA.Token, c.MFA.Issuer, c.FactorStoreName(), c.MFAKeyPath())
	if c.Redis.Enabled() {
		outage := c.Redis.OnOutage
		switch {
		case outage == "" && c.Sessions.Enabled:
			outage = "default (revocation open, sessions closed)"
		case outage == "":
			outage = "default (revocation open)"
		}
		row("redis", "%s, key prefix %q, on outage %s after %s", c.Redis.Describe(), c.Redis.KeyPrefix, outage, config.FormatDuration(c.Redis.StaleAfter))
	}
	if c.Sessions.Enabled {
		row("sessions", "on: a record per login in redis, ended at logout (tktctl session list, end)")
	}
	if len(env) > 0 {
		row("environment", "%s", strings.Join(env, ", "))
	}
	return tw.Flush()
}

func newConfigImportCmd(s *streams) *cobra.Command {
	var (
		secretDir string
		write     bool
	)
	c := &cobra.Command{
		Use:   "import-apache FILE",
		Short: "Turn Apache mod_auth_tkt TKTAuth* settings into tktd's YAML",
		Long: `Read an Apache configuration (FILE, or "-" for standard input) and print the
equivalent tktd YAML on stdout: digest, timeout, refresh, IP binding, cookie
name, domain, secure flag and expiry, back argument, guest settings, required
tokens and, from the virtual hosts' ServerName and ServerAlias, the hosts a
login may return to. Each <Location> and <Directory> mod_auth_tkt protects
becomes forward_auth rules with its own tokens, timeouts, URLs, guest and TLS
settings, and Apache's require user, Require ip, Require all denied,
<Limit>/<LimitExcept> and Satisfy All around them, with what parent sections
pass down to them. Notes and warnings go to stderr: the cookie and the portal
have one set of settings where Apache may have one per <Location>.

The import never loosens: a section it cannot reproduce exactly (Require not,
<RequireNone>, Require group/host/env/expr, a parent section Apache merges
over it, ...) becomes a "deny: true" rule and a warning naming it; review and
replace that deny by hand.

The secrets never go into the YAML: it names the files SECRET-DIR/secret
(TKTAuthSecret) and SECRET-DIR/secret.old (TKTAuthSecretOld), SECRET-DIR being
--secret-dir, by default /etc/tkt when run as root and otherwise ./tkt-data
(tktd's data directory, written out as an absolute path). With --write-secrets
the secrets are written there (mode 0600, never over an existing file) before
the YAML is printed, and a failure prints no YAML; otherwise create them
yourself.`,
		Example: `  tktctl config import-apache /etc/apache2/conf-enabled/auth_tkt.conf > tktd.yaml
  tktctl config import-apache --secret-dir /etc/tkt --write-secrets site.conf > /etc/tkt/tktd.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var r io.Reader = s.in
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			if secretDir == "" {
				wd, err := os.Getwd()
				if err != nil {
					return err
				}
				secretDir = defaultSecretDir(os.Geteuid(), wd)
			}
			im, err := config.ImportApache(r, config.ImportOptions{SecretDir: secretDir})
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			for _, n := range im.Notes {
				fmt.Fprintf(s.err, "%s: %s\n", args[0], n)
			}
			// The secrets first: a YAML naming files that could not be
			// written must not end up in tktd.yaml as if all went well.
			if err := placeSecrets(s, im.Secrets, secretDir, write); err != nil {
				return fmt.Errorf("%w; no YAML printed", err)
			}
			_, err = s.out.Write(im.YAML)
			return err
		},
	}
	fl := c.Flags()
	fl.StringVar(&secretDir, "secret-dir", "", "the `DIR` the YAML expects the secret files in (default "+config.DefaultSecretDir+" as root, else ./"+filepath.Base(config.DefaultDataDir)+", tktd's data directory, as an absolute path)")
	fl.BoolVar(&write, "write-secrets", false, "write the secrets found into the secret files (mode 0600; existing files are left alone)")
	return c
}

// defaultSecretDir is where import-apache puts the secret files when
// --secret-dir does not say: /etc/tkt for root, who can write there; for
// anyone else tktd's own data directory under wd, where tktd serve looks
// for its secret without a configuration and the user can write.
// Absolute, so that the YAML works from any directory.
func defaultSecretDir(euid int, wd string) string {
	if euid == 0 {
		return config.DefaultSecretDir
	}
	return filepath.Join(wd, filepath.Clean(config.DefaultDataDir))
}

// placeSecrets writes the imported secrets, or says where to put them. It
// never prints a secret.
func placeSecrets(s *streams, secrets []config.ImportedSecret, dir string, write bool) error {
	if len(secrets) == 0 {
		return nil
	}
	if !write {
		for _, sec := range secrets {
			fmt.Fprintf(s.err, "tktctl: put the value of %s (line %d) into %s, mode 0600, or run again with --write-secrets\n", sec.Directive, sec.Line, sec.Path)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, sec := range secrets {
		_, err := writeSecretFile(sec.Path, sec.Value+"\n", false)
		switch {
		case errors.Is(err, errSecretExists):
			fmt.Fprintf(s.err, "tktctl: %s exists and was left alone: make sure it holds the value of %s (line %d)\n", sec.Path, sec.Directive, sec.Line)
		case err != nil:
			return fmt.Errorf("writing %s: %w", sec.Path, err)
		default:
			fmt.Fprintf(s.err, "tktctl: wrote the value of %s (line %d) to %s (mode 0600)\n", sec.Directive, sec.Line, sec.Path)
		}
	}
	return nil
}

// readInput reads a configuration from stdin, bounded.
func readInput(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxConfigInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigInput {
		return nil, fmt.Errorf("standard input holds more than %d bytes: not a configuration", maxConfigInput)
	}
	return b, nil
}
