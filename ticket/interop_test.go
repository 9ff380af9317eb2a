package ticket_test

// Interoperability with the real thing: tickets minted here are sent to a
// private Apache running mod_auth_tkt (internal/apachetest), the tickets
// Apache re-issues are read back here, and Perl's Apache::AuthTkt mints the
// same inputs for a byte-for-byte comparison.

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// interopLocation mirrors apachetest.DefaultLocations as ticket.Configs
// ("main" stands for the location named after the virtual host), so every
// Apache verdict can be set against ours.
func interopLocation(name string) ticket.Config {
	return map[string]ticket.Config{
		"main":           {Timeout: 2 * time.Hour, Refresh: 0.5},
		"tokens":         {Timeout: 2 * time.Hour, Refresh: 0.5, Tokens: []string{"finance", "admin"}},
		"noip":           {Timeout: 2 * time.Hour, Refresh: 0.5, IgnoreIP: true},
		"short":          {Timeout: 60 * time.Second, Refresh: 0.5},
		"notimeout":      {},
		"notimeout-noip": {IgnoreIP: true},
	}[name]
}

// interopDigests are the digest types mod_auth_tkt and Perl know.
func interopDigests() []ticket.Digest {
	return []ticket.Digest{ticket.MD5, ticket.SHA256, ticket.SHA512}
}

func interopPtr(s string) *string { return &s }

// interopOr is the standard library's cmp.Or, whose package name go-cmp
// takes here.
func interopOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func interopMint(t *testing.T, d ticket.Digest, secret string, tk ticket.Ticket, ip string) string {
	t.Helper()
	raw, err := ticket.Minter{Digest: d, Secret: secret}.Mint(tk, netip.MustParseAddr(ip))
	if err != nil {
		t.Fatalf("Mint(%+v, %s): %v", tk, ip, err)
	}
	return raw
}

// apacheVerdict sorts Apache's answer: the backend ran, a 307 to the login
// URL, or a 307 to the unauth URL (a valid ticket without a required token).
func apacheVerdict(s *apachetest.Server, vhost string, r apachetest.Response) string {
	switch {
	case r.Backend && r.Status == 200:
		return "accepted"
	case r.Status == 307 && strings.HasPrefix(r.Location, s.URL(vhost)+"/login?back="):
		return "login"
	case r.Status == 307 && strings.HasPrefix(r.Location, s.URL(vhost)+"/unauth?back="):
		return "unauth"
	}
	return fmt.Sprintf("status %d, Location %q", r.Status, r.Location)
}

func ourVerdict(err error) string {
	switch {
	case err == nil:
		return "accepted"
	case errors.Is(err, ticket.ErrMissingToken):
		return "unauth"
	}
	return "login"
}

func TestInteropApache(t *testing.T) {
	s := apachetest.Start(t, apachetest.Config{})
	now := time.Now().Truncate(time.Second)
	long := strings.Repeat("key=value: with spaces, %41 and ünï ", 40)
	manyTokens := ticket.Tokens(strings.TrimSuffix(strings.Repeat("tok_ABC-123.x,", 30), ","))
	type tcase struct {
		name   string
		loc    string // an interopLocation name
		tk     ticket.Ticket
		secret string // "" means apachetest.MainSecret
		bind   string // address the ticket is minted for; "" means from
		from   string // client source address; "" means 127.0.0.1
		tamper func(raw string) string
		want   string // Apache's verdict: accepted, login or unauth
		// ours is our verdict where we deliberately differ from Apache
		// (ticket.md section 7); "" means the same as Apache's.
		ours string
		// otherDigest mints with another digest type than the vhost's.
		otherDigest bool
	}
	alice := ticket.Ticket{UID: "alice", Time: now}
	with := func(f func(*ticket.Ticket)) ticket.Ticket { tk := alice; f(&tk); return tk }
	cases := []tcase{
		{name: "plain", loc: "main", tk: alice, want: "accepted"},
		{name: "tokens-data-colons", loc: "main", tk: with(func(k *ticket.Ticket) { k.Tokens, k.Data = "finance,admin", "a:b:c=d" }), want: "accepted"},
		{name: "unicode", loc: "main", tk: with(func(k *ticket.Ticket) { k.UID, k.Data = "jürgen.müller-用户😀", "ünïcödé ✓" }), want: "accepted"},
		{name: "long", loc: "main", tk: with(func(k *ticket.Ticket) { k.UID, k.Tokens, k.Data = strings.Repeat("u", 100), manyTokens, long }), want: "accepted"},
		{name: "data-bang-tokens", loc: "main", tk: with(func(k *ticket.Ticket) { k.Tokens, k.Data = "t1", "a!b!c" }), want: "accepted"},
		{name: "data-bang-no-tokens", loc: "main", tk: with(func(k *ticket.Ticket) { k.Data = "a!b" }), want: "accepted"},
		{name: "uid-space-data-controls", loc: "main", tk: with(func(k *ticket.Ticket) { k.UID, k.Data = "John Doe", "l1\nl2\t\x01\x7f\"q\";x=1" }), want: "accepted"},
		// Perl drops a "0" token from the ticket (see TestInteropPerl); ours keeps it.
		{name: "token-zero", loc: "main", tk: with(func(k *ticket.Ticket) { k.Tokens, k.Data = "0", "d" }), want: "accepted"},
		{name: "other-digest-type", loc: "main", tk: alice, otherDigest: true, want: "login"},
		{name: "bound-other-ip", loc: "main", tk: alice, bind: "127.0.0.2", from: "127.0.0.2", want: "accepted"},
		{name: "bound-ip-wrong-client", loc: "main", tk: alice, bind: "127.0.0.2", from: "127.0.0.3", want: "login"},
		{name: "unbound-at-ip-location", loc: "main", tk: alice, bind: "0.0.0.0", want: "login"},
		{name: "noip", loc: "noip", tk: alice, bind: "0.0.0.0", from: "127.0.0.5", want: "accepted"},
		{name: "noip-bound-ticket", loc: "noip", tk: alice, bind: "127.0.0.5", from: "127.0.0.5", want: "login"},
		{name: "wrong-secret", loc: "main", tk: alice, secret: apachetest.WrongSecret, want: "login"},
		{name: "tampered-uid", loc: "main", tk: alice, tamper: func(r string) string { return strings.Replace(r, "alice!", "alicf!", 1) }, want: "login"},
		{name: "tampered-data", loc: "main", tk: with(func(k *ticket.Ticket) { k.Data = "role=user" }), tamper: func(r string) string { return strings.Replace(r, "role=user", "role=root", 1) }, want: "login"},
		{name: "tampered-digest", loc: "main", tk: alice, tamper: func(r string) string { return flipHex(r, 0) }, want: "login"},
		{name: "tampered-time", loc: "main", tk: alice, tamper: func(r string) string {
			return strings.Replace(r, fmt.Sprintf("%08x", now.Unix()), fmt.Sprintf("%08x", now.Unix()+1), 1)
		}, want: "login"},
		{name: "token-admin", loc: "tokens", tk: with(func(k *ticket.Ticket) { k.Tokens = "admin" }), want: "accepted"},
		{name: "token-one-of-several", loc: "tokens", tk: with(func(k *ticket.Ticket) { k.Tokens = "other,finance" }), want: "accepted"},
		{name: "token-other", loc: "tokens", tk: with(func(k *ticket.Ticket) { k.Tokens = "other" }), want: "unauth"},
		{name: "token-none", loc: "tokens", tk: alice, want: "unauth"},
		// tktd's portal tickets: the auth time and the session id are
		// two more tokens to the module, which passes them on.
		{name: "token-with-auth-time-and-session", loc: "tokens", tk: with(func(k *ticket.Ticket) {
			k.Tokens = ticket.Tokens("admin").WithAuthTime(now.Add(-time.Hour)).WithSession("AAAAAAAAAAAAAAAAAAAAAA")
		}), want: "accepted"},
		{name: "only-auth-time-and-session", loc: "tokens", tk: with(func(k *ticket.Ticket) {
			k.Tokens = ticket.Tokens("").WithAuthTime(now).WithSession("AAAAAAAAAAAAAAAAAAAAAA")
		}), want: "unauth"},
		{name: "token-case", loc: "tokens", tk: with(func(k *ticket.Ticket) { k.Tokens = "Admin" }), want: "unauth"},
		{name: "token-wrong-secret", loc: "tokens", tk: with(func(k *ticket.Ticket) { k.Tokens = "admin" }), secret: apachetest.WrongSecret, want: "login"},
		{name: "ancient-notimeout", loc: "notimeout", tk: with(func(k *ticket.Ticket) { k.Time = time.Unix(1_000_000_000, 0) }), want: "accepted"},
		{name: "ancient-notimeout-noip", loc: "notimeout-noip", tk: with(func(k *ticket.Ticket) { k.Time = time.Unix(1, 0) }), bind: "0.0.0.0", want: "accepted"},
		{name: "ancient-expired", loc: "main", tk: with(func(k *ticket.Ticket) { k.Time = time.Unix(1_000_000_000, 0) }), want: "login"},
		{name: "short-fresh", loc: "short", tk: with(func(k *ticket.Ticket) { k.Time = now.Add(-10 * time.Second) }), want: "accepted"},
		{name: "short-expired", loc: "short", tk: with(func(k *ticket.Ticket) { k.Time = now.Add(-120 * time.Second) }), want: "login"},
		{name: "future-within-skew", loc: "main", tk: with(func(k *ticket.Ticket) { k.Time = now.Add(time.Minute) }), want: "accepted"},
		{name: "future-beyond-skew", loc: "main", tk: with(func(k *ticket.Ticket) { k.Time = now.Add(time.Hour) }), want: "accepted",
			ours: "login"}, // Apache accepts future tickets forever; we allow DefaultMaxSkew
	}
	requests := 0
	for _, d := range interopDigests() {
		vhost := d.String()
		for _, c := range cases {
			t.Run(vhost+"/"+c.name, func(t *testing.T) {
				from := interopOr(c.from, "127.0.0.1")
				md := d
				if c.otherDigest {
					md = interopDigests()[int(d)%3] // the next one of the three
				}
				raw := interopMint(t, md, interopOr(c.secret, apachetest.MainSecret), c.tk, interopOr(c.bind, from))
				if c.tamper != nil {
					tampered := c.tamper(raw)
					if tampered == raw {
						t.Fatalf("tamper left %q unchanged", raw)
					}
					raw = tampered
				}
				path := "/" + c.loc + "/page"
				if c.loc == "main" {
					path = "/" + vhost + "/page"
				}
				r := s.Do(t, apachetest.Request{VHost: vhost, Path: path, Cookie: ticket.Encode(raw), From: netip.MustParseAddr(from)})
				requests++
				got := apacheVerdict(s, vhost, r)
				if got != c.want {
					t.Fatalf("Apache: %s, want %s (ticket %q)", got, c.want, raw)
				}
				cfg := interopLocation(c.loc)
				cfg.Digest, cfg.Secret = d, apachetest.MainSecret
				v, err := ticket.NewVerifier(cfg)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.VerifyRaw(raw, netip.MustParseAddr(from), time.Now())
				if ours := ourVerdict(err); ours != interopOr(c.ours, got) {
					t.Errorf("Verifier: %s (%v), want %s; Apache: %s", ours, err, interopOr(c.ours, got), got)
				}
				if c.ours != "" {
					return // our identity checks below assume we accepted
				}
				if got != "accepted" {
					return
				}
				if _, set := r.Cookie("auth_tkt"); set != res.ShouldReissue() {
					t.Errorf("Apache set a new ticket: %v (%q); our Verifier says re-issue: %v", set, r.SetCookie, res.ShouldReissue())
				}
				want := apachetest.Response{Status: 200, Backend: true,
					RemoteUser: &c.tk.UID, Tokens: interopPtr(string(c.tk.Tokens)), Data: &c.tk.Data,
					AuthType: interopPtr("Basic"), RemoteAddr: &from}
				if d := cmp.Diff(want, r, cmp.FilterPath(func(p cmp.Path) bool {
					return p.Last().String() == ".Vars" || p.Last().String() == ".SetCookie"
				}, cmp.Ignore())); d != "" {
					t.Errorf("backend saw (-want +got):\n%s", d)
				}
			})
		}
	}
	t.Logf("%d Apache requests", requests)
}

// flipHex changes the hex digit at i of raw to another hex digit.
func flipHex(raw string, i int) string {
	c := byte('0')
	if raw[i] == '0' {
		c = '1'
	}
	return raw[:i] + string(c) + raw[i+1:]
}

// Apache refreshes a ticket that is due (less than refresh*timeout left) and
// re-issues one signed with an old secret; we must accept what it issues,
// and our Reissue must write the very same bytes.
func TestInteropApacheReissue(t *testing.T) {
	s := apachetest.Start(t, apachetest.Config{})
	type tcase struct {
		name, vhost, path string
		mintSecret        string
		cfg               ticket.Config // the location's settings, for our Verifier
		age               time.Duration
		tokens            ticket.Tokens
	}
	var cases []tcase
	for _, d := range interopDigests() {
		for _, tokens := range []ticket.Tokens{"finance,admin", ""} {
			cases = append(cases, tcase{
				name: d.String() + "-refresh-tokens=" + string(tokens), vhost: d.String(), path: "/short/",
				mintSecret: apachetest.MainSecret, age: 40 * time.Second, tokens: tokens,
				cfg: ticket.Config{Digest: d, Secret: apachetest.MainSecret, Timeout: time.Minute, Refresh: 0.5},
			})
		}
		// The IP-bound main location: 2h timeout, due after 1h.
		cases = append(cases, tcase{
			name: d.String() + "-refresh-main", vhost: d.String(), path: "/" + d.String() + "/",
			mintSecret: apachetest.MainSecret, age: 61 * time.Minute, tokens: "admin",
			cfg: ticket.Config{Digest: d, Secret: apachetest.MainSecret, Timeout: 2 * time.Hour, Refresh: 0.5},
		})
	}
	cases = append(cases, tcase{
		name: "md5-old-secret", vhost: "oldsecret", path: "/oldsecret/", mintSecret: apachetest.MainSecret, tokens: "finance",
		cfg: ticket.Config{Digest: ticket.MD5, Secret: apachetest.NewSecret, OldSecrets: []string{apachetest.MainSecret}, Timeout: 2 * time.Hour, Refresh: 0.5},
	})
	const client = "127.0.0.4"
	ip := netip.MustParseAddr(client)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Without tokens, data without '!' makes Perl's and our mint
			// write "uid!data", which Apache re-issues as "uid!!data".
			data := "k:v!x"
			if c.tokens == "" {
				data = "k:v"
			}
			sent := ticket.Ticket{UID: "rené", Tokens: c.tokens, Data: data, Time: time.Now().Truncate(time.Second).Add(-c.age)}
			raw := interopMint(t, c.cfg.Digest, c.mintSecret, sent, client)
			v, err := ticket.NewVerifier(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Our own verdict on what we send: due for re-issue, for
			// its age or for its old secret.
			if res, err := v.VerifyRaw(raw, ip, time.Now()); err != nil || !res.ShouldReissue() || res.SecretIndex != len(c.cfg.OldSecrets) {
				t.Fatalf("our Verifier on the sent ticket: %+v, %v; want valid, due for re-issue, secret index %d", res, err, len(c.cfg.OldSecrets))
			}
			// The module reads the time with time(2), which Linux serves
			// from a coarse clock that may lag ours by a few milliseconds:
			// across a second's edge its stamp is our second minus one.
			before := time.Now().Add(-50 * time.Millisecond).Truncate(time.Second)
			r := s.Do(t, apachetest.Request{VHost: c.vhost, Path: c.path, Cookie: ticket.Encode(raw), From: ip})
			after := time.Now()
			if r.Status != 200 || !r.Backend {
				t.Fatalf("Apache: status %d, Location %q; want 200", r.Status, r.Location)
			}
			value, ok := r.Cookie("auth_tkt")
			if !ok {
				t.Fatalf("Apache set no auth_tkt cookie; Set-Cookie: %q", r.SetCookie)
			}
			issued, err := ticket.DecodeValue(value)
			if err != nil {
				t.Fatal(err)
			}
			// Only the current secret: an old-secret ticket must come back
			// signed with the new one.
			cur := c.cfg
			cur.OldSecrets = nil
			cv, err := ticket.NewVerifier(cur)
			if err != nil {
				t.Fatal(err)
			}
			res, err := cv.Verify(value, ip, time.Now())
			if err != nil {
				t.Fatalf("our Verifier rejects Apache's re-issued ticket %q: %v", issued, err)
			}
			if res.Time.Before(before) || res.Time.After(after) || res.ShouldReissue() {
				t.Errorf("re-issued ticket time %v (reissue %v), want fresh, within [%v, %v]", res.Time, res.ShouldReissue(), before, after)
			}
			want := ticket.Ticket{UID: sent.UID, Tokens: sent.Tokens, Data: sent.Data, Time: res.Time}
			if d := cmp.Diff(want, res.Ticket); d != "" {
				t.Errorf("re-issued ticket (-want +got):\n%s", d)
			}
			layout := sent.UID + "!" + string(sent.Tokens) + "!" + sent.Data
			if rest := issued[c.cfg.Digest.HexLen()+8:]; rest != layout {
				t.Errorf("re-issued layout %q, want %q", rest, layout)
			}
			ours, err := v.Reissue(want, ip, res.Time)
			if err != nil {
				t.Fatal(err)
			}
			if ours != value {
				t.Errorf("our Reissue %q\n  Apache's   %q", ours, value)
			}
			if back := s.Do(t, apachetest.Request{VHost: c.vhost, Path: c.path, Cookie: value, From: ip}); back.Status != 200 || back.RemoteUser == nil || *back.RemoteUser != sent.UID {
				t.Errorf("Apache on its own re-issued ticket: status %d, Location %q", back.Status, back.Location)
			}
		})
	}
}

// mod_auth_tkt keeps the auth-time token when it refreshes a ticket, and
// knows nothing of a max lifetime: it re-stamps a ticket whose login is
// long past the cap. tkt's validators read the auth time back from its
// ticket and refuse it under a max lifetime; without one they accept it.
func TestInteropApacheLifetime(t *testing.T) {
	s := apachetest.Start(t, apachetest.Config{})
	const client = "127.0.0.4"
	ip := netip.MustParseAddr(client)
	for _, d := range interopDigests() {
		t.Run(d.String(), func(t *testing.T) {
			now := time.Now().Truncate(time.Second)
			login := now.Add(-2 * time.Hour)
			sent := ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("finance").WithAuthTime(login), Data: "d", Time: now.Add(-40 * time.Second)}
			raw := interopMint(t, d, apachetest.MainSecret, sent, client)
			r := s.Do(t, apachetest.Request{VHost: d.String(), Path: "/short/", Cookie: ticket.Encode(raw), From: ip})
			if r.Status != 200 || !r.Backend || r.Tokens == nil || *r.Tokens != string(sent.Tokens) {
				t.Fatalf("Apache: status %d, tokens %v; want 200 with %q", r.Status, r.Tokens, sent.Tokens)
			}
			value, ok := r.Cookie("auth_tkt")
			if !ok {
				t.Fatalf("Apache did not refresh the ticket; Set-Cookie %q", r.SetCookie)
			}
			cfg := ticket.Config{Digest: d, Secret: apachetest.MainSecret, Timeout: time.Minute, Refresh: 0.5}
			res, err := mustVerifier(t, cfg).Verify(value, ip, time.Now())
			if err != nil {
				t.Fatalf("Apache's refreshed ticket: %v", err)
			}
			if at, ok := res.Tokens.AuthTime(); !ok || !at.Equal(login) || res.Tokens.Groups() != "finance" || !res.Time.After(sent.Time) {
				t.Errorf("Apache's refreshed ticket: time +%v, tokens %q; want re-stamped, auth time %v kept", res.Time.Sub(sent.Time), res.Tokens, login)
			}
			cfg.MaxLifetime = time.Hour
			if _, err := mustVerifier(t, cfg).Verify(value, ip, time.Now()); !errors.Is(err, ticket.ErrExpired) {
				t.Errorf("under a max lifetime of 1h, a login 2h old: %v, want expired", err)
			}
		})
	}
}

// The Perl reference: Apache::AuthTkt from libapache2-mod-auth-tkt's examples.
const perlAuthTkt = "/usr/share/doc/libapache2-mod-auth-tkt/examples/cgi/Apache/AuthTkt.pm"

// perlMintScript prints the module's version, then reads one ticket request
// per line (hex fields: secret, digest type, uid, ip, ts, tokens, data) and
// prints the base64 ticket, or ERR when the module refuses the input. The
// digest type is the constructor's digest_type: MD5, SHA256 or SHA512, upper
// case (the module croaks on anything else).
const perlMintScript = `
use strict; use warnings; use Apache::AuthTkt;
$| = 1;
print "$Apache::AuthTkt::VERSION\n";
while (my $line = <STDIN>) {
	chomp $line;
	my ($secret, $digest, $uid, $ip, $ts, $tokens, $data) = map { pack('H*', $_) } split /\t/, $line, -1;
	my $at = Apache::AuthTkt->new(secret => $secret, digest_type => $digest);
	my $t = $at->ticket(uid => $uid, ip_addr => $ip, ts => $ts + 0, tokens => $tokens, data => $data, base64 => 1);
	print defined $t ? "$t\n" : "ERR\n";
}
`

// perlLib returns the -I directory holding Apache/AuthTkt.pm, gunzipping the
// module into a temp dir where the package ships it compressed.
func perlLib(t *testing.T) (perl, lib string) {
	t.Helper()
	perl = testenv.LookPath(t, "perl", "Debian package perl")
	if _, err := os.Stat(perlAuthTkt); err == nil {
		return perl, filepath.Dir(filepath.Dir(perlAuthTkt))
	}
	f, err := os.Open(perlAuthTkt + ".gz")
	testenv.Need(t, "Apache::AuthTkt, "+perlAuthTkt+" or its .gz (Debian package libapache2-mod-auth-tkt)", err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	lib = t.TempDir()
	if err := os.MkdirAll(filepath.Join(lib, "Apache"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(lib, "Apache", "AuthTkt.pm"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(out, zr)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return perl, lib
}

type perlInput struct {
	secret, ip string
	digest     ticket.Digest
	tk         ticket.Ticket
}

// perlMint mints every input with Apache::AuthTkt in one perl process and
// returns the cookie values ("" where Perl refused).
func perlMint(t *testing.T, in []perlInput) []string {
	t.Helper()
	perl, lib := perlLib(t)
	var stdin strings.Builder
	for _, p := range in {
		fields := []string{p.secret, strings.ToUpper(p.digest.String()), p.tk.UID, p.ip,
			strconv.FormatInt(p.tk.Time.Unix(), 10), string(p.tk.Tokens), p.tk.Data}
		for i, f := range fields {
			fields[i] = hex.EncodeToString([]byte(f))
		}
		stdin.WriteString(strings.Join(fields, "\t") + "\n")
	}
	cmd := exec.Command(perl, "-I", lib, "-e", perlMintScript)
	cmd.Stdin = strings.NewReader(stdin.String())
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		t.Fatalf("perl: %v\n%s", err, ee.Stderr)
	} else if err != nil {
		t.Fatalf("perl: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(in)+1 {
		t.Fatalf("perl printed %d lines for %d inputs", len(lines), len(in))
	}
	t.Logf("Apache::AuthTkt %s from %s", lines[0], lib)
	lines = lines[1:]
	for i, l := range lines {
		if l == "ERR" {
			lines[i] = ""
		}
	}
	return lines
}

func TestInteropPerl(t *testing.T) {
	type pcase struct {
		name string
		tk   ticket.Ticket
		ip   string
		// insert, when set, is what Perl leaves out after "uid!": its
		// layout cannot be read back there, ours can. Its ticket must then
		// fail our check (it fails Apache's too).
		insert string
		refuse bool // Mint must refuse with ErrInvalid
	}
	ts := time.Unix(1_700_000_000, 0)
	tk := func(uid string, tokens ticket.Tokens, data string) ticket.Ticket {
		return ticket.Ticket{UID: uid, Tokens: tokens, Data: data, Time: ts}
	}
	at := func(sec int64) ticket.Ticket { return ticket.Ticket{UID: "alice", Time: time.Unix(sec, 0)} }
	base := []pcase{
		{name: "plain", tk: tk("alice", "", ""), ip: "127.0.0.1"},
		{name: "unbound", tk: tk("alice", "", ""), ip: "0.0.0.0"},
		{name: "ip-high-octets", tk: tk("alice", "", ""), ip: "255.254.253.252"},
		{name: "ip-low-octets", tk: tk("alice", "", ""), ip: "1.2.3.4"},
		{name: "token", tk: tk("bob", "finance", ""), ip: "10.0.0.1"},
		{name: "tokens-data", tk: tk("bob", "finance,admin,x_y-z.1", "some data"), ip: "10.0.0.1"},
		{name: "data-colons", tk: tk("carol", "", "a:b:c::d:"), ip: "127.0.0.1"},
		{name: "data-colons-tokens", tk: tk("carol", "t", "user:carol:role=1"), ip: "127.0.0.1"},
		{name: "data-spaces-symbols", tk: tk("carol", "", "  lead & trail =%21+/ "), ip: "127.0.0.1"},
		{name: "data-bang-with-tokens", tk: tk("dave", "t1,t2", "a!b!!c!"), ip: "127.0.0.1"},
		{name: "unicode-uid", tk: tk("jürgen.müller", "", ""), ip: "127.0.0.1"},
		{name: "cjk-emoji", tk: tk("用户😀", "grp", "数据 ✓"), ip: "127.0.0.1"},
		{name: "uid-symbols", tk: tk("a.b-c_d@example.org/x y", "", ""), ip: "127.0.0.1"},
		{name: "long-uid", tk: tk(strings.Repeat("long-user-", 40), "", ""), ip: "127.0.0.1"},
		{name: "long-tokens", tk: tk("eve", ticket.Tokens(strings.TrimSuffix(strings.Repeat("token_ab,", 60), ",")), ""), ip: "127.0.0.1"},
		{name: "long-data", tk: tk("eve", "t", strings.Repeat("x:y ü 0123456789!", 300)), ip: "127.0.0.1"},
		{name: "ts-1", tk: at(1), ip: "127.0.0.1"},
		{name: "ts-leading-zeros", tk: at(0x100), ip: "127.0.0.1"},
		{name: "ts-1234567890", tk: at(1_234_567_890), ip: "127.0.0.1"},
		{name: "ts-max-int32", tk: at(0x7fffffff), ip: "127.0.0.1"},
		{name: "ts-max-uint32", tk: at(0xffffffff), ip: "127.0.0.1"},
		// No ts 0: Perl's "$arg{ts} || time" mints the current time instead.
		{name: "data-bang-no-tokens", tk: tk("frank", "", "a!b"), ip: "127.0.0.1", insert: "!"},
		// Perl tests its tokens for truth, and "0" is false in Perl: it
		// signs the token but leaves it out of the ticket.
		{name: "token-zero", tk: tk("frank", "0", "d"), ip: "127.0.0.1", insert: "0!"},
		{name: "uid-bang", tk: tk("a!b", "", ""), ip: "127.0.0.1", refuse: true},
		{name: "tokens-spaces", tk: tk("alice", "a , b", ""), ip: "127.0.0.1", refuse: true},
	}
	secrets := []string{apachetest.MainSecret, "s", "ßécret-ünicode", strings.Repeat("long secret ", 20)}
	type full struct {
		name, insert string
		refuse       bool
		perlInput
	}
	var all []full
	for _, d := range interopDigests() {
		for i, c := range base {
			// Every case with the main secret, and the other secrets
			// spread over the cases so each meets every digest.
			for j, sec := range secrets {
				if j == 0 || (i+j)%len(secrets) == 0 {
					all = append(all, full{fmt.Sprintf("%s/%s/secret%d", d, c.name, j), c.insert, c.refuse,
						perlInput{secret: sec, ip: c.ip, digest: d, tk: c.tk}})
				}
			}
		}
	}
	inputs := make([]perlInput, len(all))
	for i, f := range all {
		inputs[i] = f.perlInput
	}
	perlCookies := perlMint(t, inputs)
	for i, c := range all {
		t.Run(c.name, func(t *testing.T) {
			ip := netip.MustParseAddr(c.ip)
			ours, err := ticket.Minter{Digest: c.digest, Secret: c.secret, AllowWeakSecret: true}.Mint(c.tk, ip)
			if c.refuse {
				if !errors.Is(err, ticket.ErrInvalid) {
					t.Errorf("Mint = %q, %v; want ErrInvalid (Perl wrote %q)", ours, err, perlCookies[i])
				}
				return
			}
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			if perlCookies[i] == "" {
				t.Fatalf("Perl refused an input we mint: %q", ours)
			}
			// Decoded here with the standard library, not with the
			// package under test.
			b, err := base64.StdEncoding.DecodeString(perlCookies[i])
			if err != nil {
				t.Fatalf("Perl's cookie value %q: %v", perlCookies[i], err)
			}
			perl := string(b)
			want := perl
			if c.insert != "" {
				cut := c.digest.HexLen() + 8 + len(c.tk.UID) + 1
				want = perl[:cut] + c.insert + perl[cut:]
			}
			if ours != want {
				t.Errorf("ours %q\nPerl %q", ours, perl)
			}
			if c.insert == "" && ticket.Encode(ours) != perlCookies[i] {
				t.Errorf("cookie value %q, Perl's %q", ticket.Encode(ours), perlCookies[i])
			}
			v, err := ticket.NewVerifier(ticket.Config{Digest: c.digest, Secret: c.secret, AllowWeakSecret: true, IgnoreIP: ip.IsUnspecified()})
			if err != nil {
				t.Fatal(err)
			}
			client := ip
			if ip.IsUnspecified() {
				client = netip.MustParseAddr("192.0.2.7")
			}
			res, err := v.Verify(perlCookies[i], client, time.Now())
			if c.insert != "" {
				if !errors.Is(err, ticket.ErrBadSignature) {
					t.Errorf("Perl's unreadable layout: %+v, %v; want ErrBadSignature", res, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("our Verifier rejects Perl's ticket %q: %v", perl, err)
			}
			if d := cmp.Diff(c.tk, res.Ticket); d != "" {
				t.Errorf("Perl's ticket reads back (-want +got):\n%s", d)
			}
		})
	}
	t.Logf("%d Perl tickets compared", len(all))
}
