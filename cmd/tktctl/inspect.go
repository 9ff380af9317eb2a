package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tkt-sso/tkt/ticket"
)

// maxStdinValue bounds what VALUE - reads: a cookie is at most a few KiB.
const maxStdinValue = 1 << 20

// inspectJSON is what inspect --json prints. "verified" is always false and
// is there so that no script mistakes the output for a verdict.
type inspectJSON struct {
	Verified bool     `json:"verified"`
	Digest   string   `json:"digest"`
	Likely   []string `json:"likely"`
	Time     string   `json:"time"`
	TS       int64    `json:"ts"`
	User     string   `json:"user"`
	Tokens   string   `json:"tokens"`
	Data     string   `json:"data"`
	Ticket   string   `json:"ticket"`
	// With --config or --data-dir: tktd's digest, whether the ticket's
	// length fits it, and when tktd's timeout ends the ticket.
	TktdDigest string `json:"tktd_digest,omitempty"`
	DigestFits *bool  `json:"digest_fits,omitempty"`
	Expires    string `json:"expires,omitempty"`
}

func newInspectCmd(s *streams) *cobra.Command {
	var (
		asJSON bool
		tk     tktdSettings
	)
	c := &cobra.Command{
		Use:   "inspect [--json] [--config FILE | --data-dir DIR] VALUE",
		Short: "Decode a ticket WITHOUT checking it (no secret needed)",
		Long: `Decode a cookie value (or raw ticket text; VALUE - reads one value from stdin)
and show its parts: the digest and the digest types its length fits, the time
(UTC and Unix), the user id, tokens and data.

Nothing is verified: anyone can write a ticket that decodes to any user. Use
tktctl verify, with the secret, to know whether a ticket is genuine. Exit
status 1 when VALUE is not a ticket.

With --config FILE or --data-dir DIR (tktd's settings), it also says whether
the ticket's length fits tktd's digest and when tktd's timeout ends it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cookie, err := tk.cookieName(s)
			if err != nil {
				return err
			}
			value, err := readValueArg(s, args[0], cookie)
			if err != nil {
				return err
			}
			in, err := ticket.Inspect(value)
			if err != nil {
				return &exitError{code: exitInvalid, err: fmt.Errorf("inspect: %w", err)}
			}
			out := inspectionJSON(in)
			if tk.given() {
				tc, err := tk.ticketConfig(s)
				if err != nil {
					return err
				}
				out.withTktd(tc, in)
			}
			if asJSON {
				return emitJSON(s, out)
			}
			printInspection(s, in)
			if out.DigestFits != nil {
				fits := "fits the ticket's length"
				if !*out.DigestFits {
					fits = "does NOT fit the ticket's length: tktd did not sign it, or signs with another digest now"
				}
				printField(s, "tktd", "digest "+out.TktdDigest+" "+fits)
				printField(s, "expires", out.Expires)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, `print the parts as JSON (with "verified": false)`)
	tk.register(c)
	return c
}

// withTktd adds what tktd's ticket settings tc say about the ticket in:
// whether its length fits their digest, and when their timeout ends it.
func (j *inspectJSON) withTktd(tc ticket.Config, in ticket.Inspection) {
	fits := slices.Contains(in.Likely, tc.Digest)
	j.TktdDigest, j.DigestFits = tc.Digest.String(), &fits
	if tc.Timeout <= 0 {
		j.Expires = "never (ticket.timeout 0)"
		return
	}
	j.Expires = in.Time.Add(tc.Timeout).UTC().Format(time.RFC3339) + " (ticket.timeout " + tc.Timeout.String() + ")"
}

func inspectionJSON(in ticket.Inspection) inspectJSON {
	return inspectJSON{
		Digest: in.Digest, Likely: digestNames(in.Likely),
		Time: in.Time.UTC().Format(time.RFC3339), TS: in.Time.Unix(),
		User: in.UID, Tokens: string(in.Tokens), Data: in.Data, Ticket: in.Raw,
	}
}

// printInspection quotes the user's fields: a ticket is untrusted input and
// must not be able to send escape sequences to the terminal.
func printInspection(s *streams, in ticket.Inspection) {
	fmt.Fprintln(s.out, "UNVERIFIED ticket (no secret was checked)")
	printField(s, "digest", fmt.Sprintf("%s (%d hex digits: %s)", in.Digest, len(in.Digest), strings.Join(digestNames(in.Likely), " or ")))
	printField(s, "time", formatTicketTime(in.Time))
	printField(s, "uid", strconv.Quote(in.UID))
	printTokens(s, in.Tokens)
	printField(s, "data", strconv.Quote(in.Data))
}

// printTokens prints the tokens as signed (what Apache passes on) and,
// apart, what tkt's reserved tokens among them say: when the user last
// signed in interactively, and the server-side session.
func printTokens(s *streams, t ticket.Tokens) {
	printField(s, "tokens", strconv.Quote(string(t)))
	if at, ok := t.AuthTime(); ok {
		printField(s, "login", formatTicketTime(at))
	}
	if sid, _ := t.Session(); sid != "" {
		printField(s, "session", strconv.Quote(sid))
	}
}

func digestNames(ds []ticket.Digest) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// printField prints one aligned "label: value" line of human output.
func printField(s *streams, label, value string) {
	fmt.Fprintf(s.out, "%-8s %s\n", label+":", value)
}

func formatTicketTime(t time.Time) string {
	return fmt.Sprintf("%s (unix %d)", t.UTC().Format(time.RFC3339), t.Unix())
}

// readValueArg returns a command's VALUE argument; "-" reads it from stdin,
// trimmed, so that tickets stay out of the process list and shell history.
// A pasted cookie pair or Cookie header gives its ticket (pastedValue;
// cookie is the cookie's name).
func readValueArg(s *streams, arg, cookie string) (string, error) {
	if arg != "-" {
		return pastedValue(arg, cookie), nil
	}
	b, err := io.ReadAll(io.LimitReader(s.in, maxStdinValue+1))
	if err != nil {
		return "", fmt.Errorf("reading stdin: %w", err)
	}
	if len(b) > maxStdinValue {
		return "", usageError("stdin holds more than %d bytes: not a ticket", maxStdinValue)
	}
	v := strings.TrimSpace(string(b))
	switch {
	case v == "":
		return "", usageError("stdin is empty: want one ticket value")
	case strings.ContainsAny(v, "\r\n"):
		return "", usageError("stdin holds more than one line: want one ticket value")
	}
	return pastedValue(v, cookie), nil
}

// emitJSON writes v as one line of JSON. HTML escaping is off: the output
// goes to scripts, and "<" in user data should read as "<".
func emitJSON(s *streams, v any) error {
	enc := json.NewEncoder(s.out)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
