package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tkt-sso/tkt/ticket"
)

// mod_auth_tkt's defaults for TKTAuthTimeout and TKTAuthTimeoutRefresh
// (mod_auth_tkt(3)), so that verify judges as an unconfigured Apache does.
const (
	defaultVerifyTimeout = 2 * time.Hour
	defaultVerifyRefresh = 0.5
)

// verifyJSON is what verify --json prints, valid or not. ts and
// secret_index are null when the signature did not check out: nothing in
// the ticket is known then.
type verifyJSON struct {
	Valid       bool   `json:"valid"`
	Reason      string `json:"reason"`
	User        string `json:"user"`
	Tokens      string `json:"tokens"`
	Data        string `json:"data"`
	TS          *int64 `json:"ts"`
	SecretIndex *int   `json:"secret_index"`
	Refresh     bool   `json:"refresh"`
}

const verifyLong = `Verify a ticket's cookie value (or raw ticket text; VALUE - reads one value
from stdin) as a location with the given settings would, and say why it is
refused. Exit status: 0 valid, 1 invalid (the reason on stderr), 2 usage error.
--json prints the verdict on stdout in both cases.

--digest, --timeout, --refresh, --token and the IP flags mirror mod_auth_tkt's
TKTAuthDigestType, TKTAuthTimeout, TKTAuthTimeoutRefresh, TKTAuthToken and
TKTAuthIgnoreIP; the secret flags its TKTAuthSecret and TKTAuthSecretOld.

tktd's tickets: --config FILE (tktd's configuration) or --data-dir DIR (the
data directory of a tktd run without one) take tktd's settings instead:
its digest (hmac-sha256 unless configured), secrets, timeout, refresh,
max_skew, ignore_ip, prefixes and required tokens; the flags above, when
given, win. tktd binds a ticket to the address of the browser it issued it
to, so give that address with --ip.

Guests: a guest's ticket (guest_cookie, the portal's "continue as guest")
carries the token tkt-guest, and is good only where guests are let in:
without --guests it is invalid ("a guest's ticket, and guests are not let
in here"), as at every other location tkt protects.

IP binding: --ip ADDRESS checks the ticket as sent from that client. Without
--ip the client is 0.0.0.0, which matches tickets minted unbound (tktctl
mint's default) exactly as --ignore-ip does; a ticket bound to an address
then fails with a bad signature, so give its --ip. A bad signature says
which digest and address were tried, and what to pass instead.

Time: --timeout defaults to 2h, mod_auth_tkt's default; 0 disables the time
check (and with it the future check). Durations are Go durations (90m, 720h,
1h30m) or plain seconds (7200). Unlike mod_auth_tkt, tickets dated more than
--max-skew ahead of the clock are refused; a negative --max-skew accepts them.
--refresh (default 0.5, as in mod_auth_tkt) only reports, in "refresh", that
a location would re-issue the ticket now; it never makes a ticket invalid.`

func newVerifyCmd(s *streams) *cobra.Command {
	var (
		sec                secretFlags
		tk                 tktdSettings
		digest             = ticket.MD5
		ip                 string
		ignoreIP, asJSON   bool
		guests             bool
		timeout            = seconds(defaultVerifyTimeout)
		maxSkew            = seconds(ticket.DefaultMaxSkew)
		refresh            = defaultVerifyRefresh
		now                int64
		tokens             []string
		v4prefix, v6prefix int
	)
	c := &cobra.Command{
		Use:   "verify [flags] VALUE",
		Short: "Verify a ticket with the shared secret",
		Long:  verifyLong,
		Example: `  tktctl verify --data-dir tkt-data --ip 127.0.0.1 "$COOKIE"     # a ticket of tktd serve
  tktctl verify --config /etc/tkt/tktd.yaml --ip 192.0.2.7 "$COOKIE"
  tktctl verify --secret-file secret "$COOKIE"
  tktctl verify --secret-file secret --digest sha256 --ip 192.0.2.7 --timeout 8h --token admin --json "$COOKIE"
  printf '%s\n' "$COOKIE" | tktctl verify --secret-file secret --old-secret-file secret.old -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if fl.Changed("ip") && ignoreIP {
				return usageError("--ip and --ignore-ip exclude each other")
			}
			if maxSkew == 0 {
				return usageError("--max-skew 0 is not supported: give a positive duration, or a negative one to accept any future time")
			}
			at := time.Now()
			if fl.Changed("now") {
				at = time.Unix(now, 0)
			}
			cookie, err := tk.cookieName(s)
			if err != nil {
				return err
			}
			value, err := readValueArg(s, args[0], cookie)
			if err != nil {
				return err
			}
			cfg := ticket.Config{
				Digest: digest, Timeout: time.Duration(timeout), Refresh: refresh,
				MaxSkew: time.Duration(maxSkew), IgnoreIP: ignoreIP,
				IPv4Prefix: v4prefix, IPv6Prefix: v6prefix, Tokens: splitRequired(tokens),
				AllowWeakSecret: sec.allowWeak, Guests: guests,
			}
			if cfg, err = withTktdSettings(s, &tk, &sec, cfg, fl); err != nil {
				return err
			}
			var client netip.Addr
			if !cfg.IgnoreIP {
				if client, err = netip.ParseAddr(ip); err != nil {
					return usageError("--ip: %w", err)
				}
			}
			v, err := ticket.NewVerifier(cfg)
			if err != nil {
				return usageError("%w", err)
			}
			r, verr := v.Verify(value, client, at)
			if asJSON {
				if err := emitJSON(s, verdictJSON(r, verr)); err != nil {
					return err
				}
			} else if verr == nil {
				printVerdict(s, r)
			}
			if verr != nil {
				return &exitError{code: exitInvalid, err: fmt.Errorf("invalid: %w%s", verr, signatureHint(verr, value, cfg, client, &tk))}
			}
			return nil
		},
	}
	sec.register(c, true)
	tk.register(c)
	fl := c.Flags()
	fl.Var(digestFlag{&digest}, "digest", "digest type: md5, sha256, sha512 or hmac-sha256 (TKTAuthDigestType)")
	fl.StringVar(&ip, "ip", "0.0.0.0", "client `ADDRESS` the ticket is presented from; 0.0.0.0 matches unbound tickets")
	fl.BoolVar(&ignoreIP, "ignore-ip", false, "do not bind to the client address (TKTAuthIgnoreIP on)")
	fl.Var(&timeout, "timeout", "ticket lifetime after its time (TKTAuthTimeout; mod_auth_tkt's default 2h); 0 disables the time check")
	fl.Var(&maxSkew, "max-skew", "refuse tickets dated further ahead of the clock than this; negative accepts any")
	fl.Float64Var(&refresh, "refresh", refresh, "report the ticket as due for refresh when less than this `FRACTION` (0 to 1) of its timeout is left (TKTAuthTimeoutRefresh; mod_auth_tkt's default 0.5); 0 never")
	fl.Int64Var(&now, "now", 0, "check as of this `UNIX` time (default now)")
	fl.StringArrayVar(&tokens, "token", nil, "require this `TOKEN` (any one of the required tokens admits); repeat or separate with commas")
	fl.BoolVar(&guests, "guests", false, "accept a guest's ticket (token tkt-guest), as a location that lets guests in does; without it such a ticket is invalid")
	fl.BoolVar(&asJSON, "json", false, "print the verdict as JSON on stdout (valid or not)")
	fl.IntVar(&v4prefix, "ipv4-prefix", 0, "hmac-sha256: tickets are bound to IPv4 networks of this prefix length (`BITS`)")
	fl.IntVar(&v6prefix, "ipv6-prefix", 0, "hmac-sha256: tickets are bound to IPv6 networks of this prefix length (`BITS`)")
	return c
}

// splitRequired turns repeated and comma-separated --token values into the
// list of required tokens; NewVerifier refuses invalid ones.
func splitRequired(flags []string) []string {
	var out []string
	for _, f := range flags {
		for t := range strings.SplitSeq(f, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// verdictJSON reports what Verify found. A Result comes with expired,
// future and missing-token errors (the signature was good), so the user is
// known for those; ticket.Parse refuses empty user ids, so an empty UID
// means no signature checked out.
func verdictJSON(r ticket.Result, err error) verifyJSON {
	out := verifyJSON{Valid: err == nil}
	if err != nil {
		out.Reason = err.Error()
	}
	if r.UID == "" {
		return out
	}
	ts, idx := r.Time.Unix(), r.SecretIndex
	out.User, out.Tokens, out.Data = r.UID, string(r.Tokens), r.Data
	out.TS, out.SecretIndex, out.Refresh = &ts, &idx, r.Refresh
	return out
}

func printVerdict(s *streams, r ticket.Result) {
	fmt.Fprintf(s.out, "valid ticket for %q\n", r.UID)
	printTokens(s, r.Tokens)
	printField(s, "data", strconv.Quote(r.Data))
	printField(s, "time", formatTicketTime(r.Time))
	secret := "current"
	if r.SecretIndex > 0 {
		secret = fmt.Sprintf("old secret %d (--old-secret-file #%d): re-issue it with the current secret", r.SecretIndex, r.SecretIndex)
	}
	printField(s, "secret", secret)
	refresh := "not due"
	if r.Refresh {
		refresh = "due: re-issue the ticket with a new time"
	}
	printField(s, "refresh", refresh)
}

// seconds is a duration flag that takes Go durations ("90m", "720h") and,
// like mod_auth_tkt's directives, plain seconds ("7200").
type seconds time.Duration

func (d *seconds) String() string {
	if *d == 0 {
		return "0"
	}
	return time.Duration(*d).String()
}

func (d *seconds) Set(v string) error {
	p, err := parseSeconds(v)
	if err != nil {
		return err
	}
	*d = seconds(p)
	return nil
}

func (d *seconds) Type() string { return "DUR" }

// parseSeconds reads a Go duration or an integer number of seconds.
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(time.Duration(1<<63-1)/time.Second) || n < int64(-time.Duration(1<<63-1)/time.Second) {
			return 0, fmt.Errorf("%s seconds is out of range", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is neither a duration (90m, 2h) nor a number of seconds", v)
	}
	return d, nil
}
