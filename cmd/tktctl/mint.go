package main

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tkt-sso/tkt/ticket"
)

// mintJSON is what mint --json prints. Tokens stay the comma-separated
// string that is in the ticket, as verify --json prints them.
type mintJSON struct {
	Cookie string `json:"cookie"`
	Ticket string `json:"ticket"`
	Digest string `json:"digest"`
	User   string `json:"user"`
	IP     string `json:"ip"`
	TS     int64  `json:"ts"`
	Tokens string `json:"tokens"`
	Data   string `json:"data"`
}

const mintLong = `Mint a ticket signed with the shared secret and print its cookie value
(padded standard base64, as mod_auth_tkt and Apache::AuthTkt write it) and a
newline. --raw prints the ticket text instead, --json every part of it.

The digest must be the verifier's TKTAuthDigestType: md5 (mod_auth_tkt's
default), sha256 or sha512 for mod_auth_tkt and its Perl, Python and PHP
libraries; hmac-sha256 is tkt's own, stronger format that only tkt reads.

--config FILE or --data-dir DIR take the digest, secret and prefixes tktd
runs with (the flags, when given, win), so that tktd takes the ticket.

--ip binds the ticket to one client address; the default 0.0.0.0 mints an
unbound ticket, for locations that ignore the IP (TKTAuthIgnoreIP on). Only
hmac-sha256 binds IPv6 addresses and, with --ipv4-prefix/--ipv6-prefix,
networks (the verifier needs the same prefixes). Blanks around the commas of
--tokens are dropped, as Apache::AuthTkt does.

Long-lived service accounts

A ticket carries only the time it was minted; each verifier decides how long
it lives (its timeout: TKTAuthTimeout, 2h by default in mod_auth_tkt and in
tktctl verify). A ticket for a service account is therefore minted like any
other, with --ts left at now, and checked at a location whose timeout is as
long as the account needs:

  tktctl mint --digest sha256 --secret-file /etc/tkt/secret \
      --user svc-backup --tokens backup > /etc/backup/tkt-cookie

  # the protected location (Apache):
  #   TKTAuthTimeout 30d
  #   TKTAuthIgnoreIP on
  #   TKTAuthToken backup
  # or a rule of tktd's forward_auth (for tktd gate, the same keys
  # under gate:), in front of the others, first match wins:
  #   forward_auth:
  #     rules:
  #       - paths: [/backup]
  #         tokens: [backup]
  #         timeout: 30d
  #         refresh: 0
  #         ignore_ip: true
  # or checked by hand:
  tktctl verify --digest sha256 --secret-file /etc/tkt/secret \
      --timeout 720h --token backup - < /etc/backup/tkt-cookie

A script sends it as a cookie, or as a bearer token to tktd's /auth and to
tktd gate, which take "Authorization: Bearer <value>" like the cookie:

  curl -H "Authorization: Bearer $(cat /etc/backup/tkt-cookie)" https://app.example.com/

WARNING: such a ticket is valid until its timestamp plus the verifier's
timeout, wherever that secret and timeout apply, and it cannot be revoked on
its own: the only way to end it early is to rotate the secret, which ends
every ticket signed with it. Give service accounts their own token and a
location of their own with a long timeout (a <Location>, a forward_auth rule,
as above) rather than raising the timeout everywhere, and
never mint a future --ts to stretch a ticket: verifiers refuse tickets more
than 5 minutes ahead of their clock.`

func newMintCmd(s *streams) *cobra.Command {
	var (
		sec                    secretFlags
		tk                     tktdSettings
		digest                 = ticket.MD5
		user, ip, tokens, data string
		authTime               string
		ts                     int64
		raw, asJSON            bool
		v4prefix, v6prefix     int
	)
	c := &cobra.Command{
		Use:   "mint --user USER [flags]",
		Short: "Mint a ticket and print its cookie value",
		Long:  mintLong,
		Example: `  TKT_SECRET=... tktctl mint --user alice
  tktctl mint --data-dir tkt-data --user alice --ip 127.0.0.1      # for tktd serve's data directory
  tktctl mint --secret-file secret --digest sha256 --user alice --ip 192.0.2.7 --tokens admin,finance --data 'uid=42'
  tktctl mint --config /etc/tkt/tktd.yaml --user alice --auth-time now     # passes rules with max_auth_age
  tktctl mint --secret-file secret --digest hmac-sha256 --user bob --ip 2001:db8::7 --ipv6-prefix 64 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if raw && asJSON {
				return usageError("--raw and --json exclude each other")
			}
			if !cmd.Flags().Changed("user") {
				return usageError("--user is required")
			}
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				return usageError("--ip: %w", err)
			}
			if !cmd.Flags().Changed("ts") {
				ts = time.Now().Unix()
			}
			tc, err := withTktdSettings(s, &tk, &sec, ticket.Config{
				Digest: digest, AllowWeakSecret: sec.allowWeak, IPv4Prefix: v4prefix, IPv6Prefix: v6prefix,
			}, cmd.Flags())
			if err != nil {
				return err
			}
			digest = tc.Digest
			m := ticket.Minter{Digest: tc.Digest, Secret: tc.Secret, AllowWeakSecret: tc.AllowWeakSecret, IPv4Prefix: tc.IPv4Prefix, IPv6Prefix: tc.IPv6Prefix}
			t := ticket.Ticket{UID: user, Tokens: normalizeTokens(tokens), Data: data, Time: time.Unix(ts, 0)}
			if authTime != "" {
				at, err := parseAuthTime(authTime, t.Time)
				if err != nil {
					return usageError("--auth-time: %w", err)
				}
				t = t.Authenticated(at)
			}
			text, err := m.Mint(t, addr)
			if err != nil {
				return mintError(err)
			}
			switch {
			case raw:
				_, err = fmt.Fprintln(s.out, text)
			case asJSON:
				err = emitJSON(s, mintJSON{
					Cookie: ticket.Encode(text), Ticket: text, Digest: digest.String(),
					User: user, IP: addr.String(), TS: ts, Tokens: string(t.Tokens), Data: data,
				})
			default:
				_, err = fmt.Fprintln(s.out, ticket.Encode(text))
			}
			return err
		},
	}
	sec.register(c, false)
	tk.register(c)
	fl := c.Flags()
	fl.Var(digestFlag{&digest}, "digest", "digest type: md5, sha256, sha512 or hmac-sha256 (must match the verifier's)")
	fl.StringVar(&user, "user", "", "the `USER` id (REMOTE_USER); required")
	fl.StringVar(&ip, "ip", "0.0.0.0", "client `ADDRESS` to bind the ticket to; 0.0.0.0 (or ::) means unbound")
	fl.Int64Var(&ts, "ts", 0, "ticket time in `UNIX` seconds (default now)")
	fl.StringVar(&tokens, "tokens", "", "comma-separated `TOKENS` (REMOTE_USER_TOKENS)")
	fl.StringVar(&data, "data", "", "user `DATA` (REMOTE_USER_DATA)")
	fl.StringVar(&authTime, "auth-time", "", "the login's time, which rules with max_auth_age check: `now` (the ticket's --ts), UNIX seconds or RFC 3339")
	fl.BoolVar(&raw, "raw", false, "print the ticket text instead of the cookie value")
	fl.BoolVar(&asJSON, "json", false, "print cookie, ticket and inputs as JSON")
	fl.IntVar(&v4prefix, "ipv4-prefix", 0, "hmac-sha256: bind to the IPv4 network of this prefix length (`BITS`, e.g. 24) instead of the address")
	fl.IntVar(&v6prefix, "ipv6-prefix", 0, "hmac-sha256: bind to the IPv6 network of this prefix length (`BITS`, e.g. 64) instead of the address")
	return c
}

// parseAuthTime reads --auth-time: "now" (the ticket's own time), UNIX
// seconds or an RFC 3339 time, no later than the ticket: a login cannot
// come after the ticket it gave.
func parseAuthTime(v string, ticketTime time.Time) (time.Time, error) {
	at := ticketTime
	if v != "now" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			at = time.Unix(secs, 0)
		} else if at, err = time.Parse(time.RFC3339, v); err != nil {
			return time.Time{}, fmt.Errorf("%q is not now, UNIX seconds or an RFC 3339 time", v)
		}
	}
	switch {
	case at.Unix() < 0 || at.Unix() > math.MaxUint32:
		return time.Time{}, fmt.Errorf("%q is out of a ticket's range (1970 to 2106)", v)
	case at.After(ticketTime):
		return time.Time{}, fmt.Errorf("%s is after the ticket's time %s", at.UTC().Format(time.RFC3339), ticketTime.UTC().Format(time.RFC3339))
	}
	return at, nil
}

// normalizeTokens drops blanks around commas as Apache::AuthTkt does, so
// "a, b" mints the bytes Perl mints. Anything else stays as given and Mint
// refuses what could not be read back.
func normalizeTokens(s string) ticket.Tokens {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return ticket.JoinTokens(parts...)
}

// mintError maps Mint's refusals to exit codes: content that can't form a
// ticket, an unknown digest or an address the digest can't bind are the
// caller's input (exit 2); anything else is a failure (exit 1).
func mintError(err error) error {
	for _, target := range []error{ticket.ErrInvalid, ticket.ErrUnknownDigest, ticket.ErrIPMismatch, ticket.ErrNoSecret} {
		if errors.Is(err, target) {
			return &exitError{code: exitUsage, err: fmt.Errorf("mint: %w", err)}
		}
	}
	return &exitError{code: exitInvalid, err: fmt.Errorf("mint: %w", err)}
}

// digestFlag is a --digest flag that accepts only known digest names, so a
// typo is a flag error (exit 2) before anything runs.
type digestFlag struct{ d *ticket.Digest }

func (f digestFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f digestFlag) Set(v string) error {
	d, err := ticket.ParseDigest(v)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (f digestFlag) Type() string { return "DIGEST" }
