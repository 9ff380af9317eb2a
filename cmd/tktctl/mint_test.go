package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/vectors"
	"github.com/tkt-sso/tkt/ticket"
)

type refVector = vectors.Vector

func loadRefVectors(t testing.TB) map[string]refVector { return vectors.ByID(t) }

// mintArgs are the tktctl flags that mint v's inputs.
func mintArgs(v refVector, extra ...string) []string {
	m := v.Mint
	return append([]string{"mint", "--secret", m.Secret, "--digest", m.Digest, "--user", m.User,
		"--ip", m.IP, "--ts", strconv.FormatInt(m.TS, 10), "--tokens", m.Tokens, "--data", m.Data}, extra...)
}

// The vector the brief names, checked in full: cookie value, raw text and
// JSON, against the bytes Perl minted and the cookie Apache accepted.
func TestMintReferenceVector(t *testing.T) {
	v := loadRefVectors(t)["mint-md5-tokens-data"]
	want, err := hex.DecodeString(*v.Ref.Perl)
	if err != nil {
		t.Fatal(err)
	}
	if r := runTktctl(t, nil, "", mintArgs(v)...); r != (cliResult{Out: v.Request.CookieValue + "\n"}) {
		t.Errorf("cookie: got %+v, want %q", r, v.Request.CookieValue)
	}
	if r := runTktctl(t, nil, "", mintArgs(v, "--raw")...); r != (cliResult{Out: string(want) + "\n"}) {
		t.Errorf("raw: got %+v, want %q", r, want)
	}
	r := runTktctl(t, nil, "", mintArgs(v, "--json")...)
	if r.Code != 0 || r.Err != "" {
		t.Fatalf("json: %+v", r)
	}
	var got mintJSON
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil {
		t.Fatal(err)
	}
	wantJSON := mintJSON{
		Cookie: v.Request.CookieValue, Ticket: string(want), Digest: "md5", User: "alice",
		IP: "127.0.0.1", TS: 1700000000, Tokens: "finance,admin", Data: "uid=42;role=x",
	}
	if diff := cmp.Diff(wantJSON, got); diff != "" {
		t.Errorf("json (-want +got)\n%s", diff)
	}
	// Exactly the documented keys, nothing more: other tools parse them.
	var keys map[string]any
	if err := json.Unmarshal([]byte(r.Out), &keys); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	if diff := cmp.Diff([]string{"cookie", "data", "digest", "ip", "ticket", "tokens", "ts", "user"}, names,
		cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("json keys (-want +got)\n%s", diff)
	}
}

// Every reference ticket re-minted through the CLI, byte for byte, except
// where ticket.Mint deliberately refuses or differs (ticket.md section 1).
func TestMintAllReferenceVectors(t *testing.T) {
	refused := map[string]bool{"mint-md5-bang-user": true, "mint-md5-tokens-bang-paste": true, "mint-md5-empty-user": true}
	layout := map[string]bool{"mint-md5-data-bang-no-tokens": true, "mint-sha256-data-bang-no-tokens": true}
	n := 0
	for id, v := range loadRefVectors(t) {
		ref := v.Ref.Perl
		if ref == nil {
			ref = v.Ref.Paste // Perl replaces ts 0 with the current time
		}
		t.Run(id, func(t *testing.T) {
			want, _ := hex.DecodeString(*ref)
			r := runTktctl(t, nil, "", mintArgs(v, "--raw")...)
			switch {
			case refused[id]:
				if r.Code != exitUsage || !strings.Contains(r.Err, "invalid ticket content") {
					t.Errorf("got %+v, want a refusal with exit 2", r)
				}
			case layout[id]:
				// uid!!data instead of Perl's unreadable uid!data.
				if r.Code != 0 || r.Out == string(want)+"\n" || !strings.Contains(r.Out, "!!") {
					t.Errorf("got %+v, want our uid!!data layout", r)
				}
			default:
				n++
				var warn string // the vectors' wrong secret is shorter than recommended
				if m := v.Mint.Secret; len(m) < ticket.RecommendedSecretLen {
					warn = fmt.Sprintf("tktctl: warning: --secret is %d bytes long; tktctl secret new makes %d\n", len(m), ticket.RecommendedSecretLen)
				}
				if diff := cmp.Diff(cliResult{Out: string(want) + "\n", Err: warn}, r); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
			}
		})
	}
	if n < 40 {
		t.Errorf("only %d vectors compared byte for byte", n)
	}
}

func TestMintDefaults(t *testing.T) {
	env := map[string]string{secretEnv: "a secret of 32 bytes for tktctl."}
	before := time.Now().Unix()
	r := runTktctl(t, env, "", "mint", "--user", "alice", "--json")
	after := time.Now().Unix()
	var got mintJSON
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil {
		t.Fatalf("%v: %+v", err, r)
	}
	if got.TS < before || got.TS > after {
		t.Errorf("ts %d not between %d and %d", got.TS, before, after)
	}
	if got.IP != "0.0.0.0" || got.Digest != "md5" || len(got.Ticket) < 32+8 || got.Cookie != ticket.Encode(got.Ticket) {
		t.Errorf("defaults: %+v", got)
	}
	// The default output is the cookie value, --raw the text.
	plain := runTktctl(t, env, "", "mint", "--user", "alice", "--ts", "1700000000")
	raw := runTktctl(t, env, "", "mint", "--user", "alice", "--ts", "1700000000", "--raw")
	if plain.Out != ticket.Encode(strings.TrimSuffix(raw.Out, "\n"))+"\n" {
		t.Errorf("cookie %q is not base64 of raw %q", plain.Out, raw.Out)
	}
	// Blanks around commas go, as in Apache::AuthTkt.
	spaced := runTktctl(t, env, "", "mint", "--user", "u", "--ts", "1", "--tokens", " a , b ", "--raw")
	plainTok := runTktctl(t, env, "", "mint", "--user", "u", "--ts", "1", "--tokens", "a,b", "--raw")
	if spaced != plainTok || spaced.Code != 0 {
		t.Errorf("tokens ' a , b ' minted %+v, 'a,b' %+v", spaced, plainTok)
	}
}

func TestMintUsageErrors(t *testing.T) {
	env := map[string]string{secretEnv: "a secret of 32 bytes for tktctl."}
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no user", []string{"mint"}, "--user is required"},
		{"empty user", []string{"mint", "--user", ""}, "empty user id"},
		{"bang user", []string{"mint", "--user", "a!b"}, "contains '!'"},
		{"bad digest", []string{"mint", "--user", "a", "--digest", "sha1"}, `unknown digest type "sha1"`},
		{"bad ip", []string{"mint", "--user", "a", "--ip", "1.2.3"}, "--ip:"},
		{"ipv6 with md5", []string{"mint", "--user", "a", "--ip", "2001:db8::1"}, "is IPv6"},
		{"prefix with md5", []string{"mint", "--user", "a", "--ipv4-prefix", "24", "--ip", "10.0.0.1"}, "needs the hmac-sha256 digest"},
		{"bad prefix", []string{"mint", "--user", "a", "--digest", "hmac-sha256", "--ipv6-prefix", "129"}, "out of range"},
		{"bad token", []string{"mint", "--user", "a", "--tokens", "a!b"}, "tokens may not hold"},
		{"empty token", []string{"mint", "--user", "a", "--tokens", "a,,b"}, "empty token"},
		{"nul data", []string{"mint", "--user", "a", "--data", "x\x00y"}, "NUL"},
		{"ts too big", []string{"mint", "--user", "a", "--ts", "4294967296"}, "outside the ticket format's range"},
		{"negative ts", []string{"mint", "--user", "a", "--ts", "-1"}, "outside the ticket format's range"},
		{"bad ts", []string{"mint", "--user", "a", "--ts", "now"}, `invalid argument "now"`},
		{"raw and json", []string{"mint", "--user", "a", "--raw", "--json"}, "exclude each other"},
		{"argument", []string{"mint", "--user", "a", "extra"}, "unknown command"},
		{"unknown flag", []string{"mint", "--user", "a", "--bogus"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, env, "", tt.args...)
			if r.Code != exitUsage || r.Out != "" || !strings.Contains(r.Err, tt.want) {
				t.Errorf("got %+v, want exit 2 and %q on stderr", r, tt.want)
			}
		})
	}
}

func TestMintHelpDocumentsServiceAccounts(t *testing.T) {
	r := runTktctl(t, nil, "", "mint", "--help")
	// The forward_auth rule it shows is a configuration tktd takes.
	var yaml strings.Builder
	in := false
	for line := range strings.SplitSeq(r.Out, "\n") {
		in = in || strings.HasPrefix(line, "  #   forward_auth:")
		if rest, ok := strings.CutPrefix(line, "  #   "); in && ok {
			yaml.WriteString(rest + "\n")
		} else if in {
			break
		}
	}
	c, err := config.Parse([]byte(yaml.String()), nil)
	if err != nil || len(c.ForwardAuth.Rules) != 1 || c.ForwardAuth.Rules[0].Location.Timeout == nil || !c.ForwardAuth.Rules[0].Location.IgnoreIP {
		t.Errorf("mint --help's rule:\n%s\nparsed as %+v, %v", yaml.String(), c.ForwardAuth.Rules, err)
	}
	for _, want := range []string{"svc-backup", "timestamp plus the verifier's", "rotate the secret", "--timeout 720h", "2h"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("mint --help lacks %q", want)
		}
	}
	if r.Code != 0 {
		t.Errorf("exit %d", r.Code)
	}
	// --help works everywhere.
	for _, cmd := range [][]string{{"verify", "--help"}, {"inspect", "--help"}, {"secret", "--help"}, {"secret", "new", "--help"}} {
		if r := runTktctl(t, nil, "", cmd...); r.Code != 0 || !strings.Contains(r.Out, "Usage:") {
			t.Errorf("%v: %+v", cmd, r)
		}
	}
}
