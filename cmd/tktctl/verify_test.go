package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

const (
	testSecret = "verify test secret, with blanks "
	testTS     = 1700000000
)

func at(offset time.Duration) string { return strconv.FormatInt(testTS+int64(offset/time.Second), 10) }

func ptr[T any](v T) *T { return &v }

// mintCookie mints through the CLI, so that the round trip covers both ends.
func mintCookie(t testing.TB, args ...string) string {
	t.Helper()
	r := runTktctl(t, nil, "", append([]string{"mint", "--secret", testSecret, "--ts", strconv.Itoa(testTS)}, args...)...)
	if r.Code != 0 || r.Err != "" {
		t.Fatalf("mint %v: %+v", args, r)
	}
	return strings.TrimSuffix(r.Out, "\n")
}

func decodeVerdict(t testing.TB, out string) verifyJSON {
	t.Helper()
	var v verifyJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("verify --json printed %q: %v", out, err)
	}
	return v
}

// mint → verify for every digest type, with binding, tokens and data.
func TestMintVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		digest, ip string
		extra      []string
	}{
		{"md5", "192.0.2.7", nil},
		{"sha256", "192.0.2.7", nil},
		{"sha512", "192.0.2.7", nil},
		{"hmac-sha256", "192.0.2.7", nil},
		{"hmac-sha256", "2001:db8::7", nil},
		{"hmac-sha256", "2001:db8::7", []string{"--ipv6-prefix", "64"}},
		{"hmac-sha256", "192.0.2.7", []string{"--ipv4-prefix", "24"}},
		{"md5", "0.0.0.0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.digest+"/"+tt.ip+strings.Join(tt.extra, ""), func(t *testing.T) {
			cookie := mintCookie(t, append([]string{"--digest", tt.digest, "--user", "Jürgen", "--ip", tt.ip,
				"--tokens", "finance,admin", "--data", "uid=42!x y"}, tt.extra...)...)
			args := append([]string{"verify", "--secret", testSecret, "--digest", tt.digest, "--ip", tt.ip,
				"--now", at(time.Minute), "--token", "admin", "--json"}, tt.extra...)
			r := runTktctl(t, nil, "", append(args, cookie)...)
			want := verifyJSON{Valid: true, User: "Jürgen", Tokens: "finance,admin", Data: "uid=42!x y",
				TS: ptr[int64](testTS), SecretIndex: ptr(0)}
			if diff := cmp.Diff(want, decodeVerdict(t, r.Out)); diff != "" || r.Code != 0 || r.Err != "" {
				t.Errorf("exit %d, stderr %q, verdict (-want +got)\n%s", r.Code, r.Err, diff)
			}
			// A neighbour inside the bound network passes, one outside fails.
			if len(tt.extra) > 0 {
				near, far := "192.0.2.200", "192.0.3.7"
				if strings.Contains(tt.ip, ":") {
					near, far = "2001:db8::ffff", "2001:db8:0:1::7"
				}
				args[6] = near
				if r := runTktctl(t, nil, "", append(args, cookie)...); r.Code != 0 {
					t.Errorf("same network %s: %+v", near, r)
				}
				args[6] = far
				if r := runTktctl(t, nil, "", append(args, cookie)...); r.Code != exitInvalid {
					t.Errorf("other network %s: %+v", far, r)
				}
			}
		})
	}
}

func TestVerifyVerdicts(t *testing.T) {
	bound := mintCookie(t, "--user", "alice", "--ip", "127.0.0.1", "--tokens", "finance,admin", "--data", "d")
	unbound := mintCookie(t, "--user", "bob")
	sha := mintCookie(t, "--user", "alice", "--digest", "sha256")
	rawBob := mintCookie(t, "--user", "bob", "--raw")
	oldFile := testenv.WriteFile(t, filepath.Join(t.TempDir(), "old"), testSecret+"\n", 0o600)

	alice := func(valid bool, reason string) verifyJSON {
		return verifyJSON{Valid: valid, Reason: reason, User: "alice", Tokens: "finance,admin", Data: "d",
			TS: ptr[int64](testTS), SecretIndex: ptr(0)}
	}
	// due marks a verdict as due for refresh: under the default --refresh
	// 0.5, once less than half the timeout is left.
	due := func(v verifyJSON) verifyJSON { v.Refresh = true; return v }
	bobOK := verifyJSON{Valid: true, User: "bob", TS: ptr[int64](testTS), SecretIndex: ptr(0)}
	unknown := func(reason string) verifyJSON { return verifyJSON{Reason: reason} }
	const badSig = "bad ticket signature (another secret, altered content, or minted for another client address)"

	tests := []struct {
		name   string
		args   []string
		value  string
		code   int
		errOut string // exact stderr
		want   verifyJSON
	}{
		{"valid", []string{"--ip", "127.0.0.1", "--now", at(time.Minute)}, bound, 0, "", alice(true, "")},
		{"last second of the default 2h", []string{"--ip", "127.0.0.1", "--now", at(2 * time.Hour)}, bound, 0, "", due(alice(true, ""))},
		{"default refresh not due", []string{"--ip", "127.0.0.1", "--now", at(time.Hour)}, bound, 0, "", alice(true, "")},
		{"default refresh due", []string{"--ip", "127.0.0.1", "--now", at(time.Hour + time.Second)}, bound, 0, "", due(alice(true, ""))},
		{"refresh off", []string{"--ip", "127.0.0.1", "--refresh", "0", "--now", at(2 * time.Hour)}, bound, 0, "", alice(true, "")},
		{"expired", []string{"--ip", "127.0.0.1", "--now", at(3 * time.Hour)}, bound, 1,
			"tktctl: invalid: ticket expired 3600s ago\n", alice(false, "ticket expired 3600s ago")},
		{"timeout in seconds", []string{"--ip", "127.0.0.1", "--timeout", "60", "--now", at(61 * time.Second)}, bound, 1,
			"tktctl: invalid: ticket expired 1s ago\n", alice(false, "ticket expired 1s ago")},
		{"timeout 0 never expires", []string{"--ip", "127.0.0.1", "--timeout", "0", "--now", at(87600 * time.Hour)}, bound, 0, "", alice(true, "")},
		{"long timeout", []string{"--ip", "127.0.0.1", "--timeout", "720h", "--now", at(719 * time.Hour)}, bound, 0, "", due(alice(true, ""))},
		{"future", []string{"--ip", "127.0.0.1", "--now", at(-time.Hour)}, bound, 1,
			"tktctl: invalid: ticket time is in the future: issued 3600s ahead of this server's clock\n",
			alice(false, "ticket time is in the future: issued 3600s ahead of this server's clock")},
		{"future within skew", []string{"--ip", "127.0.0.1", "--now", at(-4 * time.Minute)}, bound, 0, "", alice(true, "")},
		{"wider skew", []string{"--ip", "127.0.0.1", "--max-skew", "2h", "--now", at(-time.Hour)}, bound, 0, "", alice(true, "")},
		{"skew check off", []string{"--ip", "127.0.0.1", "--max-skew", "-1s", "--now", at(-1000 * time.Hour)}, bound, 0, "", alice(true, "")},
		{"wrong secret", []string{"--secret", "another secret of thirty-two b..", "--ip", "127.0.0.1", "--now", at(0)}, bound, 1,
			"tktctl: invalid: " + badSig + "\n", unknown(badSig)},
		{"other client", []string{"--ip", "10.0.0.1", "--now", at(0)}, bound, 1, "tktctl: invalid: " + badSig + "\n", unknown(badSig)},
		{"bound ticket without --ip", []string{"--now", at(0)}, bound, 1, "tktctl: invalid: " + badSig + "\n", unknown(badSig)},
		{"bound ticket with --ignore-ip", []string{"--ignore-ip", "--now", at(0)}, bound, 1, "tktctl: invalid: " + badSig + "\n", unknown(badSig)},
		{"unbound ticket without --ip", []string{"--now", at(0)}, unbound, 0, "", bobOK},
		{"unbound ticket with --ignore-ip", []string{"--ignore-ip", "--now", at(0)}, unbound, 0, "", bobOK},
		{"unbound ticket where the ip binds", []string{"--ip", "127.0.0.1", "--now", at(0)}, unbound, 1,
			"tktctl: invalid: ticket does not match the client address: the ticket is not bound to an address but this location binds tickets to the client address\n",
			unknown("ticket does not match the client address: the ticket is not bound to an address but this location binds tickets to the client address")},
		{"token present", []string{"--ip", "127.0.0.1", "--now", at(0), "--token", "admin"}, bound, 0, "", alice(true, "")},
		{"any token", []string{"--ip", "127.0.0.1", "--now", at(0), "--token", "x", "--token", "finance"}, bound, 0, "", alice(true, "")},
		{"comma tokens", []string{"--ip", "127.0.0.1", "--now", at(0), "--token", "x,admin"}, bound, 0, "", alice(true, "")},
		{"missing token", []string{"--ip", "127.0.0.1", "--now", at(0), "--token", "Admin"}, bound, 1,
			"tktctl: invalid: ticket lacks a required token\n", alice(false, "ticket lacks a required token")},
		{"old secret", []string{"--secret", "the new secret, of thirty-two b..", "--old-secret-file", oldFile, "--ip", "127.0.0.1", "--now", at(0)}, bound, 0, "",
			verifyJSON{Valid: true, User: "alice", Tokens: "finance,admin", Data: "d", TS: ptr[int64](testTS), SecretIndex: ptr(1)}},
		{"refresh due", []string{"--ip", "127.0.0.1", "--timeout", "1h", "--refresh", "0.25", "--now", at(46 * time.Minute)}, bound, 0, "", due(alice(true, ""))},
		{"refresh not due", []string{"--ip", "127.0.0.1", "--timeout", "1h", "--refresh", "0.25", "--now", at(44 * time.Minute)}, bound, 0, "", alice(true, "")},
		{"sha256 ticket at md5", []string{"--now", at(0)}, sha, 1, "tktctl: invalid: " + badSig + "\n", unknown(badSig)},
		{"sha256 ticket at sha256", []string{"--digest", "SHA256", "--now", at(0)}, sha, 0, "",
			verifyJSON{Valid: true, User: "alice", TS: ptr[int64](testTS), SecretIndex: ptr(0)}},
		{"raw ticket text", []string{"--now", at(0)}, rawBob, 0, "", bobOK},
		{"tampered", []string{"--now", at(0)}, strings.Replace(rawBob, "bob", "bot", 1), 1, "tktctl: invalid: " + badSig + "\n", unknown(badSig)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify", "--secret", testSecret}, tt.args...)
			// A bad signature goes on with what was tried and what to pass
			// (TestVerifyBadSignatureHints).
			sameErr := func(got string) bool {
				if want, hinted := strings.CutSuffix(tt.errOut, badSig+"\n"); hinted {
					return strings.HasPrefix(got, want+badSig+"\n  tried: ")
				}
				return got == tt.errOut
			}
			r := runTktctl(t, nil, "", append(append(args, "--json"), tt.value)...)
			if r.Code != tt.code || !sameErr(r.Err) {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.Code, r.Err, tt.code, tt.errOut)
			}
			if diff := cmp.Diff(tt.want, decodeVerdict(t, r.Out)); diff != "" {
				t.Errorf("verdict (-want +got)\n%s", diff)
			}
			// Without --json: the same exit status and stderr, and a
			// report on stdout only when valid.
			h := runTktctl(t, nil, "", append(args, tt.value)...)
			if h.Code != tt.code || !sameErr(h.Err) || (h.Out != "") != (tt.code == 0) {
				t.Errorf("human: %+v", h)
			}
		})
	}
}

// A verdict without a checked signature has null ts and secret_index, and
// the keys are exactly the documented ones.
func TestVerifyJSONInvalidShape(t *testing.T) {
	r := runTktctl(t, nil, "", "verify", "--secret", "a secret of 32 bytes for tktctl.", "--json", "bm9wZQ==")
	want := `{"valid":false,"reason":"malformed ticket: 4 bytes is too short for a md5 ticket","user":"","tokens":"","data":"","ts":null,"secret_index":null,"refresh":false}` + "\n"
	if diff := cmp.Diff(cliResult{Out: want, Err: "tktctl: invalid: malformed ticket: 4 bytes is too short for a md5 ticket\n", Code: 1}, r); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestVerifyHumanOutput(t *testing.T) {
	oldFile := testenv.WriteFile(t, filepath.Join(t.TempDir(), "old"), testSecret, 0o600)
	cookie := mintCookie(t, "--user", "alice", "--tokens", "a,b", "--data", "x\x1b[2Jy")
	r := runTktctl(t, nil, "", "verify", "--secret", "the new secret, of thirty-two b..", "--old-secret-file", oldFile, "--now", at(0), cookie)
	want := `valid ticket for "alice"
tokens:  "a,b"
data:    "x\x1b[2Jy"
time:    2023-11-14T22:13:20Z (unix 1700000000)
secret:  old secret 1 (--old-secret-file #1): re-issue it with the current secret
refresh: not due
`
	if diff := cmp.Diff(cliResult{Out: want}, r); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// The reserved tokens of tktd's tickets are shown for what they say.
func TestVerifyReservedTokens(t *testing.T) {
	cookie := mintCookie(t, "--user", "alice", "--tokens", "staff,tkt-auth:1699999000,tkt-sid:AAAAAAAAAAAAAAAAAAAAAA")
	r := runTktctl(t, nil, "", "verify", "--secret", testSecret, "--now", at(0), cookie)
	want := `valid ticket for "alice"
tokens:  "staff,tkt-auth:1699999000,tkt-sid:AAAAAAAAAAAAAAAAAAAAAA"
login:   2023-11-14T21:56:40Z (unix 1699999000)
session: "AAAAAAAAAAAAAAAAAAAAAA"
data:    ""
time:    2023-11-14T22:13:20Z (unix 1700000000)
secret:  current
refresh: not due
`
	if diff := cmp.Diff(cliResult{Out: want}, r); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// A guest's ticket is invalid unless --guests says guests are let in.
func TestVerifyGuestTicket(t *testing.T) {
	cookie := mintCookie(t, "--user", "guest-0123abcd", "--tokens", ticket.GuestToken)
	r := runTktctl(t, nil, "", "verify", "--secret", testSecret, "--now", at(0), cookie)
	if r.Code != exitInvalid || !strings.Contains(r.Err, "a guest's ticket") {
		t.Errorf("without --guests: %+v", r)
	}
	r = runTktctl(t, nil, "", "verify", "--secret", testSecret, "--now", at(0), "--guests", cookie)
	if r.Code != 0 || !strings.Contains(r.Out, `valid ticket for "guest-0123abcd"`) {
		t.Errorf("with --guests: %+v", r)
	}
}

func TestVerifyStdin(t *testing.T) {
	cookie := mintCookie(t, "--user", "bob")
	tests := []struct {
		name, stdin string
		code        int
		errOut      string
	}{
		{"value and newline", cookie + "\n", 0, ""},
		{"blanks around", "  \t" + cookie + " \r\n\n", 0, ""},
		{"empty", "", 2, "tktctl: stdin is empty: want one ticket value\n"},
		{"blank", " \n", 2, "tktctl: stdin is empty: want one ticket value\n"},
		{"two values", cookie + "\n" + cookie + "\n", 2, "tktctl: stdin holds more than one line: want one ticket value\n"},
		{"garbage", "zz\n", 1, "tktctl: invalid: malformed ticket: 1 bytes is too short for a md5 ticket\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, map[string]string{secretEnv: testSecret}, tt.stdin, "verify", "--now", at(0), "-")
			if r.Code != tt.code || r.Err != tt.errOut {
				t.Errorf("got %+v, want exit %d, stderr %q", r, tt.code, tt.errOut)
			}
		})
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no value", []string{}, "accepts 1 arg(s), received 0"},
		{"two values", []string{"a", "b"}, "accepts 1 arg(s), received 2"},
		{"ip and ignore-ip", []string{"--ip", "1.2.3.4", "--ignore-ip", "v"}, "--ip and --ignore-ip exclude each other"},
		{"bad ip", []string{"--ip", "localhost", "v"}, "--ip: "},
		{"bad timeout", []string{"--timeout", "2 hours", "v"}, "neither a duration"},
		{"negative timeout", []string{"--timeout", "-1h", "v"}, "is negative"},
		{"refresh above 1", []string{"--refresh", "1.5", "v"}, "outside 0 to 1"},
		{"zero skew", []string{"--max-skew", "0", "v"}, "--max-skew 0 is not supported"},
		{"bad token", []string{"--token", "a!b", "v"}, "tokens may not hold"},
		{"bad digest", []string{"--digest", "crc32", "v"}, "unknown digest type"},
		{"bad now", []string{"--now", "today", "v"}, `invalid argument "today"`},
		{"prefix without hmac", []string{"--ipv4-prefix", "24", "v"}, "needs the hmac-sha256 digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, map[string]string{secretEnv: "a secret of 32 bytes for tktctl."}, "", append([]string{"verify"}, tt.args...)...)
			if r.Code != exitUsage || r.Out != "" || !strings.Contains(r.Err, tt.want) {
				t.Errorf("got %+v, want exit 2 and %q", r, tt.want)
			}
		})
	}
}

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"7200", 2 * time.Hour, true},
		{"-1", -time.Second, true},
		{"2h", 2 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"720h", 720 * time.Hour, true},
		{"-5m", -5 * time.Minute, true},
		{"1.5", 0, false}, // seconds are whole; "1.5s" is the duration
		{"2d", 0, false},
		{"", 0, false},
		{"99999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSeconds(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseSeconds(f *testing.F) {
	for _, s := range []string{"0", "7200", "2h", "-5m", "1h30m", "9223372036", "1e3", "+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseSeconds(s)
		if err != nil {
			return
		}
		// Whatever parsed must survive the flag's own printing.
		var f seconds
		if err := f.Set(s); err != nil || time.Duration(f) != d {
			t.Fatalf("Set(%q) = %v, %v; parseSeconds gave %v", s, time.Duration(f), err, d)
		}
		back, err := parseSeconds(f.String())
		if err != nil || back != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, f.String(), back, err)
		}
	})
}

// TestVerifyPastedCookie: the cookie pair a browser's tools copy, with or
// without a trailing ";", or a whole Cookie header, verifies as the bare
// value does, instead of "3 bytes is too short".
func TestVerifyPastedCookie(t *testing.T) {
	value := mintCookie(t, "--user", "alice", "--ip", "192.0.2.7")
	verify := []string{"verify", "--secret", testSecret, "--ip", "192.0.2.7", "--now", at(time.Minute)}
	for _, pasted := range []string{
		value,
		"auth_tkt=" + value,
		"auth_tkt=" + value + ";",
		" auth_tkt=" + value + "; ",
		"Cookie: theme=dark; auth_tkt=" + value + "; lang=en",
		"cookie: auth_tkt=" + value,
		"theme=dark;auth_tkt=" + value,
	} {
		if r := runTktctl(t, nil, "", append(verify, pasted)...); r.Code != 0 || !strings.Contains(r.Out, "alice") {
			t.Errorf("%q: %+v", pasted, r)
		}
		if r := runTktctl(t, nil, pasted+"\n", append(verify, "-")...); r.Code != 0 {
			t.Errorf("%q on stdin: %+v", pasted, r)
		}
	}
	if r := runTktctl(t, nil, "", "inspect", "auth_tkt="+value+";"); r.Code != 0 || !strings.Contains(r.Out, "alice") {
		t.Errorf("inspect: %+v", r)
	}
}

func TestPastedValue(t *testing.T) {
	for in, want := range map[string]string{
		"abc==":                       "abc==",
		"auth_tkt=abc==":              "abc==",
		"auth_tkt=abc==;":             "abc==",
		"Cookie: x=1; auth_tkt=abc==": "abc==",
		"x=1; y=2":                    "x=1; y=2", // no ticket in it: the verifier says so
		"not_auth_tkt=abc":            "not_auth_tkt=abc",
		"0123abcdef!alice!!uid=42":    "0123abcdef!alice!!uid=42", // raw ticket text
		"auth_tkt=":                   "auth_tkt=",
		"Cookie:":                     "Cookie:",
	} {
		if got := pastedValue(in, "auth_tkt"); got != want {
			t.Errorf("pastedValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// mint --auth-time records the login's time, read back by verify: now
// (the ticket's own time), UNIX seconds or RFC 3339, replacing one given
// in --tokens; never after the ticket, and never a time no ticket holds.
func TestMintAuthTime(t *testing.T) {
	for _, c := range []struct{ arg, tokens, want string }{
		{"now", "staff", "staff,tkt-auth:1700000000"},
		{"1699999000", "staff", "staff,tkt-auth:1699999000"},
		{"2023-11-14T21:56:40Z", "", "tkt-auth:1699999000"},
		{"1699990000", "staff,tkt-auth:1699999000,tkt-sid:AAAAAAAAAAAAAAAAAAAAAA", "staff,tkt-auth:1699990000,tkt-sid:AAAAAAAAAAAAAAAAAAAAAA"},
	} {
		cookie := mintCookie(t, "--user", "alice", "--tokens", c.tokens, "--auth-time", c.arg)
		r := runTktctl(t, nil, "", "verify", "--json", "--secret", testSecret, "--now", at(0), cookie)
		if v := decodeVerdict(t, r.Out); !v.Valid || v.Tokens != c.want {
			t.Errorf("--auth-time %s with tokens %q: %+v, want tokens %q", c.arg, c.tokens, v, c.want)
		}
	}
	for arg, why := range map[string]string{
		"1700000001":           "after the ticket's time",
		"yesterday":            "not now, UNIX seconds or an RFC 3339 time",
		"-5":                   "out of a ticket's range",
		"2023-11-15T00:00:00Z": "after the ticket's time",
	} {
		r := runTktctl(t, nil, "", "mint", "--secret", testSecret, "--ts", strconv.Itoa(testTS), "--user", "alice", "--auth-time", arg)
		if r.Code != exitUsage || !strings.Contains(r.Err, why) {
			t.Errorf("--auth-time %s: %+v, want exit %d saying %q", arg, r, exitUsage, why)
		}
	}
}
