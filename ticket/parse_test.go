package ticket_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/ticket"
)

const digest32 = "0123456789abcdef0123456789abcdef"

func TestDecodeValue(t *testing.T) {
	raw := digest32 + "6553f100alice!finance!x:y"
	b64 := ticket.Encode(raw)
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"base64", b64, raw, false},
		{"quoted", `"` + b64 + `"`, raw, false},
		{"leading quote", `"` + b64, raw, false},
		{"trailing quote", b64 + `"`, raw, false},
		{"raw text", raw, raw, false},
		{"url-escaped", strings.ReplaceAll(raw, "!", "%21"), raw, false},
		{"unpadded", strings.TrimRight(b64, "="), raw, false},
		{"junk after padding", ticket.Encode(raw+"!") + "junk", raw + "!", false},
		{"stops at first bad char", b64[:8] + "-" + b64[8:], raw[:6], false},
		// APR stops at a line break too (encoding/base64 would skip it).
		{"stops at a newline", "QUJD\nRA==", "ABC", false},
		{"stops at CR LF", "QUJD\r\nRA==", "ABC", false},
		{"url-safe alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(ticket.Encode("\xfb\xff\xfe")), "", true},
		{"empty", "", "", true},
		{"only quotes", `""`, "", true},
		{"bad escape", "abc%21%zz", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ticket.DecodeValue(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ticket.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		raw               string
		uid, tokens, data string
		wantErr           bool
	}{
		{digest32 + "6553f100alice!", "alice", "", "", false},
		{digest32 + "6553f100alice!data", "alice", "", "data", false},
		{digest32 + "6553f100alice!t1,t2!data", "alice", "t1,t2", "data", false},
		{digest32 + "6553f100alice!t!d!a!t!a", "alice", "t", "d!a!t!a", false},
		{digest32 + "6553f100alice!!d!a", "alice", "", "d!a", false},
		{digest32 + "6553F100alice!", "alice", "", "", false}, // ts hex in any case
		{strings.ToUpper(digest32) + "6553f100alice!", "", "", "", true},
		{digest32 + "6553f10galice!", "", "", "", true},
		{digest32 + "6553f100!", "", "", "", true}, // empty uid: rejected, unlike the module
		{digest32 + "6553f100alice", "", "", "", true},
		{digest32 + "6553f10", "", "", "", true},
		{"", "", "", "", true},
	}
	for _, tc := range tests {
		p, err := ticket.Parse(tc.raw, ticket.MD5)
		if (err != nil) != tc.wantErr {
			t.Errorf("Parse(%q) err = %v, wantErr %v", tc.raw, err, tc.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, ticket.ErrMalformed) {
				t.Errorf("Parse(%q) err = %v, want ErrMalformed", tc.raw, err)
			}
			continue
		}
		got := [3]string{p.UID, string(p.Tokens), p.Data}
		if diff := cmp.Diff([3]string{tc.uid, tc.tokens, tc.data}, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.raw, diff)
		}
		if p.Time.Unix() != 0x6553f100 || p.Digest != digest32 {
			t.Errorf("Parse(%q): time %v digest %q", tc.raw, p.Time, p.Digest)
		}
	}
}

func TestCookieValues(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{"auth_tkt=A", []string{"A"}},
		{"a=b; auth_tkt=A; c=d", []string{"A"}},
		{"a=b;auth_tkt=A", []string{"A"}},
		{"auth_tkt=; auth_tkt=B", []string{"B"}},
		{"auth_tkt=A; auth_tkt=B", []string{"A", "B"}},
		{"xauth_tkt=A", nil},
		{"auth_tkt_x=A", nil},
		{"auth_tkt", nil},
		{"auth_tkt=", nil},
		{"q=auth_tkt=A", nil},
		{"auth_tkt= A", []string{" A"}}, // the module keeps the space (and then fails to decode)
		{`auth_tkt="A"`, []string{`"A"`}},
		{"auth_tkt=A=B; x=auth_tkt", []string{"A=B"}},
		{"", nil},
	}
	for _, tc := range tests {
		got := slices.Collect(ticket.CookieValues(tc.header, "auth_tkt"))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("CookieValues(%q) (-want +got):\n%s", tc.header, diff)
		}
	}
	if got := slices.Collect(ticket.CookieValues("my_tkt=A; auth_tkt=B", "my_tkt")); !slices.Equal(got, []string{"A"}) {
		t.Errorf("custom name: %q", got)
	}
}

func TestVerifyCookiesTriesEach(t *testing.T) {
	v := mustVerifier(t, ticket.Config{Tokens: []string{"admin"}})
	good := mustMint(t, ticket.Minter{}, ticket.Ticket{UID: "alice", Tokens: "admin", Time: t0}, local)
	noToken := mustMint(t, ticket.Minter{}, ticket.Ticket{UID: "bob", Time: t0}, local)
	r, err := v.VerifyCookies([]string{"auth_tkt=garbage", "x=1; auth_tkt=" + noToken + "; auth_tkt=" + good}, "auth_tkt", local, t0)
	if err != nil || r.UID != "alice" {
		t.Fatalf("got %+v, %v; want alice", r, err)
	}
	// None valid: the most telling reason wins, with its identity.
	r, err = v.VerifyCookies([]string{"auth_tkt=garbage; auth_tkt=" + noToken}, "auth_tkt", local, t0)
	if !errors.Is(err, ticket.ErrMissingToken) || r.UID != "bob" {
		t.Errorf("got %+v, %v; want bob with ErrMissingToken", r, err)
	}
	if _, err := v.VerifyCookies([]string{"other=1"}, "auth_tkt", local, t0); !errors.Is(err, ticket.ErrNoTicket) {
		t.Errorf("no cookie: err = %v, want ErrNoTicket", err)
	}
}

func TestMintRefuses(t *testing.T) {
	m := ticket.Minter{Digest: ticket.MD5, Secret: "a secret of 16+ bytes"}
	for _, tk := range []ticket.Ticket{
		{UID: "", Time: t0},
		{UID: "a!b", Time: t0},
		{UID: "a\x00b", Time: t0},
		{UID: "\xff", Time: t0},
		{UID: "a", Tokens: "x!y", Time: t0},
		{UID: "a", Tokens: "x y", Time: t0},
		{UID: "a", Tokens: "x,,y", Time: t0},
		{UID: "a", Tokens: "x\u00a0y", Time: t0},
		{UID: "a", Data: "\x00", Time: t0},
		{UID: "a"}, // no time
		{UID: "a", Time: t0.AddDate(100, 0, 0)},
	} {
		if _, err := m.Mint(tk, local); !errors.Is(err, ticket.ErrInvalid) {
			t.Errorf("Mint(%+v) err = %v, want ErrInvalid", tk, err)
		}
	}
	if _, err := (ticket.Minter{Digest: ticket.MD5}).Mint(ticket.Ticket{UID: "a", Time: t0}, local); !errors.Is(err, ticket.ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
	if _, err := (ticket.Minter{Secret: "a secret of 16+ bytes"}).Mint(ticket.Ticket{UID: "a", Time: t0}, local); !errors.Is(err, ticket.ErrUnknownDigest) {
		t.Errorf("no digest: %v", err)
	}
}

func TestInspect(t *testing.T) {
	for _, d := range ticket.Digests() {
		val := mustMint(t, ticket.Minter{Digest: d}, ticket.Ticket{UID: "alice", Tokens: "a", Data: "x", Time: t0}, netip.Addr{})
		in, err := ticket.Inspect(val)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if !slices.Contains(in.Likely, d) || in.UID != "alice" || in.Tokens != "a" || in.Data != "x" || !in.Time.Equal(t0) {
			t.Errorf("%s: %+v", d, in)
		}
	}
	if _, err := ticket.Inspect("bm90IGEgdGlja2V0"); err == nil {
		t.Error("Inspect accepted garbage")
	}
}

func TestParseDigest(t *testing.T) {
	for _, d := range ticket.Digests() {
		for _, name := range []string{d.String(), strings.ToUpper(d.String())} {
			got, err := ticket.ParseDigest(name)
			if err != nil || got != d {
				t.Errorf("ParseDigest(%q) = %v, %v", name, got, err)
			}
		}
	}
	if _, err := ticket.ParseDigest("sha1"); !errors.Is(err, ticket.ErrUnknownDigest) {
		t.Errorf("sha1: %v", err)
	}
}
