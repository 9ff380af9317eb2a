package main

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/ticket"
)

// tktdSettings are the --config and --data-dir of mint, verify and
// inspect: take the ticket settings tktd runs with (digest, secrets,
// timeout, refresh, IP binding, prefixes, tokens) instead of mod_auth_tkt's
// defaults, so that a ticket tktd issued checks out as tktd checks it.
type tktdSettings struct {
	config, dataDir string
	loaded          *config.Config // once read
}

func (f *tktdSettings) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.config, "config", "", "take the ticket settings (digest, secrets, timeout, ignore_ip ...) of the tktd configuration `FILE`; flags given as well win")
	fl.StringVar(&f.dataDir, "data-dir", "", "take the ticket settings of tktd run with this data `DIR` (its generated secret, hmac-sha256); with --config, overrides its data_dir")
}

// given reports whether tktd's settings were asked for.
func (f *tktdSettings) given() bool { return f.config != "" || f.dataDir != "" }

// source names where the settings come from, for messages.
func (f *tktdSettings) source() string {
	switch {
	case f.config != "" && f.dataDir != "":
		return f.config + " with data directory " + f.dataDir
	case f.config != "":
		return f.config
	}
	return "tktd's defaults with data directory " + f.dataDir
}

// ticketConfig loads tktd's configuration as tktd would (the file, then
// the TKT_... environment, then --data-dir) and returns its ticket
// settings with the secrets read.
func (f *tktdSettings) ticketConfig(s *streams) (ticket.Config, error) {
	cfg, err := f.load(s)
	if err != nil {
		return ticket.Config{}, err
	}
	tc, err := cfg.TicketConfig(nil)
	if err != nil {
		return ticket.Config{}, fmt.Errorf("the ticket settings of %s: %w", f.source(), err)
	}
	return tc, nil
}

// load reads tktd's configuration once (see ticketConfig).
func (f *tktdSettings) load(s *streams) (config.Config, error) {
	if f.loaded != nil {
		return *f.loaded, nil
	}
	var fs *pflag.FlagSet
	if f.dataDir != "" {
		fs = pflag.NewFlagSet("tktd", pflag.ContinueOnError)
		fs.String("data-dir", "", "")
		fs.Set("data-dir", f.dataDir)
	}
	cfg, err := loadConfig(s, f.config, f.source(), fs)
	if err != nil {
		return config.Config{}, err
	}
	f.loaded = &cfg
	return cfg, nil
}

// cookieName is the name of the ticket's cookie, for a pasted cookie pair
// (pastedValue): tktd's with its settings, else mod_auth_tkt's default.
func (f *tktdSettings) cookieName(s *streams) (string, error) {
	if !f.given() {
		return ticket.DefaultCookieName, nil
	}
	cfg, err := f.load(s)
	if err != nil {
		return "", err
	}
	return cmp.Or(cfg.Cookie.Name, ticket.DefaultCookieName), nil
}

// loadConfig loads the tktd configuration at path (none: the TKT_...
// environment and fs alone), printing each problem on its own line.
func loadConfig(s *streams, path, name string, fs *pflag.FlagSet) (config.Config, error) {
	cfg, err := config.LoadWithFlags(path, s.getenv, fs)
	if err != nil {
		fmt.Fprintf(s.err, "%s: %d problem(s):\n", name, len(config.Problems(err)))
		for _, p := range config.Problems(err) {
			fmt.Fprintf(s.err, "  %v\n", p)
		}
		return config.Config{}, fmt.Errorf("%s is not a valid tktd configuration", name)
	}
	return cfg, nil
}

// withTktdSettings returns the ticket settings a command runs with: with
// --config or --data-dir, tktd's, with the flags the user gave (fl.Changed)
// over them; else flags, the settings from the command's flags, with the
// secrets of the secret flags.
func withTktdSettings(s *streams, tk *tktdSettings, sec *secretFlags, flags ticket.Config, fl *pflag.FlagSet) (ticket.Config, error) {
	out := flags
	if tk.given() {
		tc, err := tk.ticketConfig(s)
		if err != nil {
			return ticket.Config{}, err
		}
		out = tc
		for name, apply := range map[string]func(){
			"digest":      func() { out.Digest = flags.Digest },
			"timeout":     func() { out.Timeout = flags.Timeout },
			"refresh":     func() { out.Refresh = flags.Refresh },
			"max-skew":    func() { out.MaxSkew = flags.MaxSkew },
			"ignore-ip":   func() { out.IgnoreIP = flags.IgnoreIP },
			"ipv4-prefix": func() { out.IPv4Prefix = flags.IPv4Prefix },
			"ipv6-prefix": func() { out.IPv6Prefix = flags.IPv6Prefix },
			"token":       func() { out.Tokens = flags.Tokens },
		} {
			if fl.Changed(name) {
				apply()
			}
		}
		out.AllowWeakSecret = out.AllowWeakSecret || flags.AllowWeakSecret
		if sec.flags.Changed("secret-file") || sec.flags.Changed("secret") {
			if out.Secret, err = sec.current(s); err != nil {
				return ticket.Config{}, err
			}
		}
		if len(sec.oldFiles) > 0 {
			if out.OldSecrets, err = sec.old(s); err != nil {
				return ticket.Config{}, err
			}
		}
		return out, nil
	}
	var err error
	if out.Secret, err = sec.current(s); err != nil {
		return ticket.Config{}, err
	}
	if out.OldSecrets, err = sec.old(s); err != nil {
		return ticket.Config{}, err
	}
	return out, nil
}

// signatureHint says, after a bad signature, what verify tried and what
// to pass instead; "" after any other verdict. A signature fails alike for
// a wrong digest, a wrong client address (it is signed in) and a wrong
// secret, so each is named.
func signatureHint(err error, value string, cfg ticket.Config, client netip.Addr, tk *tktdSettings) string {
	if !errors.Is(err, ticket.ErrBadSignature) {
		return ""
	}
	var b strings.Builder
	addr := "none (--ignore-ip)"
	if !cfg.IgnoreIP {
		addr = client.String()
	}
	fmt.Fprintf(&b, "\n  tried: digest %s, client address %s, the current secret and %d old one(s)", cfg.Digest, addr, len(cfg.OldSecrets))
	if tk.given() {
		fmt.Fprintf(&b, ", from the settings of %s", tk.source())
	}
	if in, err := ticket.Inspect(value); err == nil && len(in.Likely) > 0 && !slices.Contains(in.Likely, cfg.Digest) {
		fmt.Fprintf(&b, "\n  the signature's length fits %s, not %s: pass --digest %s",
			strings.Join(digestNames(in.Likely), " or "), cfg.Digest, strings.Join(digestNames(in.Likely), " or --digest "))
	}
	switch {
	case cfg.IgnoreIP:
	case client.IsUnspecified():
		b.WriteString("\n  a ticket bound to its client's address (tktd binds every ticket it issues, unless ticket.ignore_ip) fails without it: pass --ip ADDRESS, the browser's address")
	default:
		fmt.Fprintf(&b, "\n  a ticket issued to another address than %s fails so: pass the address it was issued to with --ip, or --ignore-ip for an unbound one", client)
	}
	if !tk.given() {
		b.WriteString("\n  for a ticket of tktd, pass --config FILE or --data-dir DIR to take its settings (digest, secret, ...)")
	}
	return b.String()
}
