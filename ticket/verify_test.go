package ticket_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/ticket"
)

var (
	t0     = time.Unix(1_700_000_000, 0)
	local  = netip.MustParseAddr("127.0.0.1")
	other4 = netip.MustParseAddr("192.0.2.7")
	v6     = netip.MustParseAddr("2001:db8::1")
)

func mustVerifier(t testing.TB, c ticket.Config) *ticket.Verifier {
	t.Helper()
	if c.Secret == "" {
		c.Secret = "s3cret with spaces"
	}
	v, err := ticket.NewVerifier(c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustMint(t testing.TB, m ticket.Minter, tk ticket.Ticket, ip netip.Addr) string {
	t.Helper()
	if m.Secret == "" {
		m.Secret = "s3cret with spaces"
	}
	if m.Digest == 0 {
		m.Digest = ticket.MD5
	}
	v, err := m.MintCookie(tk, ip)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyTime(t *testing.T) {
	for _, d := range ticket.Digests() {
		t.Run(d.String(), func(t *testing.T) {
			tk := ticket.Ticket{UID: "alice", Tokens: "a,b", Data: "d", Time: t0}
			val := mustMint(t, ticket.Minter{Digest: d}, tk, local)
			hour := time.Hour
			tests := []struct {
				name        string
				cfg         ticket.Config
				now         time.Time
				wantErr     error
				wantRefresh bool
			}{
				{"no timeout, decades later", ticket.Config{}, t0.Add(40 * 365 * 24 * hour), nil, false},
				{"no timeout, far future ticket", ticket.Config{}, t0.Add(-40 * 365 * 24 * hour), nil, false},
				{"fresh", ticket.Config{Timeout: hour, Refresh: 0.5}, t0.Add(10 * time.Minute), nil, false},
				{"exactly at the end is valid", ticket.Config{Timeout: hour}, t0.Add(hour), nil, false},
				{"one second after", ticket.Config{Timeout: hour}, t0.Add(hour + time.Second), ticket.ErrExpired, false},
				{"refresh due", ticket.Config{Timeout: hour, Refresh: 0.5}, t0.Add(31 * time.Minute), nil, true},
				{"refresh boundary is strict", ticket.Config{Timeout: hour, Refresh: 0.5}, t0.Add(30 * time.Minute), nil, false},
				{"refresh 1 refreshes after a second", ticket.Config{Timeout: hour, Refresh: 1}, t0.Add(time.Second), nil, true},
				{"refresh 1 not at issue time", ticket.Config{Timeout: hour, Refresh: 1}, t0, nil, false},
				{"within skew", ticket.Config{Timeout: hour}, t0.Add(-4 * time.Minute), nil, false},
				{"beyond default skew", ticket.Config{Timeout: hour}, t0.Add(-6 * time.Minute), ticket.ErrFuture, false},
				{"custom skew", ticket.Config{Timeout: hour, MaxSkew: 10 * time.Minute}, t0.Add(-6 * time.Minute), nil, false},
				{"skew disabled", ticket.Config{Timeout: hour, MaxSkew: -1}, t0.Add(-1000 * hour), nil, false},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					r, err := mustVerifier(t, withDigest(tc.cfg, d)).Verify(val, local, tc.now)
					if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					if r.UID != "alice" {
						t.Errorf("UID = %q (Result is filled once the signature checks out)", r.UID)
					}
					if r.Refresh != tc.wantRefresh {
						t.Errorf("Refresh = %v, want %v", r.Refresh, tc.wantRefresh)
					}
				})
			}
		})
	}
}

func withDigest(c ticket.Config, d ticket.Digest) ticket.Config {
	c.Digest = d
	return c
}

func TestVerifyTokens(t *testing.T) {
	val := mustMint(t, ticket.Minter{}, ticket.Ticket{UID: "bob", Tokens: "finance,Admin", Time: t0}, local)
	for _, tc := range []struct {
		required []string
		want     error
	}{
		{nil, nil},
		{[]string{"finance"}, nil},
		{[]string{"admin", "finance"}, nil},
		{[]string{"admin"}, ticket.ErrMissingToken}, // case-sensitive
		{[]string{"fin"}, ticket.ErrMissingToken},   // exact
		{[]string{"finance,Admin"}, nil},
	} {
		if len(tc.required) == 1 && tc.required[0] == "finance,Admin" {
			if _, err := ticket.NewVerifier(ticket.Config{Secret: "x", Tokens: tc.required}); err == nil {
				t.Error("NewVerifier accepted a required token holding ','")
			}
			continue
		}
		r, err := mustVerifier(t, ticket.Config{Tokens: tc.required}).Verify(val, local, t0)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("required %q: err = %v, want %v", tc.required, err, tc.want)
		}
		if r.UID != "bob" {
			t.Errorf("required %q: UID = %q", tc.required, r.UID)
		}
	}
}

func TestTokensList(t *testing.T) {
	got := ticket.Tokens(",a,,b,").List()
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Error(diff)
	}
	if ticket.Tokens("a,b").Has("") || !ticket.Tokens("a,b").Has("b") {
		t.Error("Has")
	}
}

func TestVerifyIP(t *testing.T) {
	mapped := netip.MustParseAddr("::ffff:127.0.0.1")
	tests := []struct {
		name    string
		digest  ticket.Digest
		mintIP  netip.Addr
		cfg     ticket.Config
		client  netip.Addr
		wantErr error
	}{
		{"bound, same", ticket.MD5, local, ticket.Config{}, local, nil},
		{"bound, other client", ticket.MD5, local, ticket.Config{}, other4, ticket.ErrBadSignature},
		{"mapped client counts as IPv4", ticket.SHA256, local, ticket.Config{}, mapped, nil},
		{"mapped mint counts as IPv4", ticket.SHA512, mapped, ticket.Config{}, local, nil},
		{"unbound at ignore-IP", ticket.MD5, netip.IPv4Unspecified(), ticket.Config{IgnoreIP: true}, v6, nil},
		{"unbound at binding location", ticket.MD5, netip.IPv4Unspecified(), ticket.Config{}, local, ticket.ErrIPMismatch},
		{"bound at ignore-IP", ticket.MD5, local, ticket.Config{IgnoreIP: true}, local, ticket.ErrBadSignature},
		{"compat with IPv6 client", ticket.MD5, netip.IPv4Unspecified(), ticket.Config{}, v6, ticket.ErrIPMismatch},
		{"no client address", ticket.MD5, local, ticket.Config{}, netip.Addr{}, ticket.ErrIPMismatch},
		{"hmac IPv6 bound", ticket.HMACSHA256, v6, ticket.Config{}, v6, nil},
		{"hmac IPv6 other", ticket.HMACSHA256, v6, ticket.Config{}, netip.MustParseAddr("2001:db8::2"), ticket.ErrBadSignature},
		{"hmac /64 same network", ticket.HMACSHA256, v6, ticket.Config{IPv6Prefix: 64}, netip.MustParseAddr("2001:db8::beef"), nil},
		{"hmac /64 other network", ticket.HMACSHA256, v6, ticket.Config{IPv6Prefix: 64}, netip.MustParseAddr("2001:db8:1::1"), ticket.ErrBadSignature},
		{"hmac /24 same network", ticket.HMACSHA256, netip.MustParseAddr("198.51.100.7"), ticket.Config{IPv4Prefix: 24}, netip.MustParseAddr("198.51.100.200"), nil},
		{"hmac /24 other network", ticket.HMACSHA256, netip.MustParseAddr("198.51.100.7"), ticket.Config{IPv4Prefix: 24}, netip.MustParseAddr("198.51.101.7"), ticket.ErrBadSignature},
		{"hmac :: is unbound", ticket.HMACSHA256, netip.IPv6Unspecified(), ticket.Config{IgnoreIP: true}, v6, nil},
		{"hmac 0.0.0.0 is unbound", ticket.HMACSHA256, netip.IPv4Unspecified(), ticket.Config{IgnoreIP: true}, local, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ticket.Minter{Digest: tc.digest, IPv4Prefix: tc.cfg.IPv4Prefix, IPv6Prefix: tc.cfg.IPv6Prefix}
			val := mustMint(t, m, ticket.Ticket{UID: "u", Time: t0}, tc.mintIP)
			_, err := mustVerifier(t, withDigest(tc.cfg, tc.digest)).Verify(val, tc.client, t0)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestMintRefusesIPv6ForCompat(t *testing.T) {
	_, err := ticket.Minter{Digest: ticket.MD5, Secret: "a secret of 16+ bytes"}.Mint(ticket.Ticket{UID: "u", Time: t0}, v6)
	if !errors.Is(err, ticket.ErrIPMismatch) {
		t.Errorf("err = %v, want ErrIPMismatch", err)
	}
}

func TestOldSecrets(t *testing.T) {
	for _, d := range ticket.Digests() {
		val := mustMint(t, ticket.Minter{Digest: d, Secret: "the old secret, second"}, ticket.Ticket{UID: "carol", Tokens: "x", Data: "y", Time: t0}, local)
		v := mustVerifier(t, ticket.Config{Digest: d, Secret: "the new secret, current", OldSecrets: []string{"the old secret, first", "the old secret, second"}, Timeout: time.Hour})
		r, err := v.Verify(val, local, t0.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if r.SecretIndex != 2 || !r.ShouldReissue() || r.Refresh {
			t.Errorf("%s: SecretIndex %d Reissue %v Refresh %v, want 2 true false", d, r.SecretIndex, r.ShouldReissue(), r.Refresh)
		}
		fresh, err := v.Reissue(r.Ticket, local, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := mustVerifier(t, ticket.Config{Digest: d, Secret: "the new secret, current"}).Verify(fresh, local, t0)
		if err != nil || r2.SecretIndex != 0 || r2.UID != "carol" || r2.Tokens != "x" || r2.Data != "y" || !r2.Time.Equal(t0.Add(time.Minute)) {
			t.Errorf("%s: re-issued ticket: %+v, %v", d, r2, err)
		}
		raw, _ := ticket.DecodeValue(fresh)
		if got := raw[d.HexLen()+8:]; got != "carol!x!y" {
			t.Errorf("%s: re-issued layout %q, want carol!x!y", d, got)
		}
		if _, err := mustVerifier(t, ticket.Config{Digest: d, Secret: "the new secret, current", OldSecrets: []string{"the old secret, first"}}).Verify(val, local, t0); !errors.Is(err, ticket.ErrBadSignature) {
			t.Errorf("%s: unknown secret: err = %v", d, err)
		}
	}
}

func TestDigestIsNeverGuessed(t *testing.T) {
	val := mustMint(t, ticket.Minter{Digest: ticket.SHA256}, ticket.Ticket{UID: "u", Time: t0}, local)
	for _, d := range []ticket.Digest{ticket.MD5, ticket.SHA512, ticket.HMACSHA256} {
		if _, err := mustVerifier(t, ticket.Config{Digest: d}).Verify(val, local, t0); err == nil {
			t.Errorf("a sha256 ticket verified at a %s verifier", d)
		}
	}
}

func TestNewVerifierReportsEveryError(t *testing.T) {
	_, err := ticket.NewVerifier(ticket.Config{
		Digest: 99, Timeout: -1, Refresh: 2, OldSecrets: []string{""}, IPv4Prefix: 40, Tokens: []string{"a b"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []error{ticket.ErrUnknownDigest, ticket.ErrNoSecret, ticket.ErrInvalid} {
		if !errors.Is(err, want) {
			t.Errorf("error %q does not match %v", err, want)
		}
	}
	for _, frag := range []string{"timeout", "refresh", "old secret 1", "prefix"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q does not mention %q", err, frag)
		}
	}
	if _, err := ticket.NewVerifier(ticket.Config{Secret: "s", IPv4Prefix: 24}); err == nil {
		t.Error("a network prefix was accepted for an MD5 verifier")
	}
}

func TestErrorsHoldNoSecretOrDigest(t *testing.T) {
	secret := "very-secret-value"
	m := ticket.Minter{Digest: ticket.MD5, Secret: secret}
	good, _ := m.Mint(ticket.Ticket{UID: "u", Time: t0}, local)
	// The digest the verifier expects for a tampered ticket is the digest
	// of the tampered content; it must not appear in the error.
	tampered := good[:40] + "v!"
	want, _ := m.Mint(ticket.Ticket{UID: "v", Time: t0}, local)
	_, err := mustVerifier(t, ticket.Config{Secret: secret}).VerifyRaw(tampered, local, t0)
	if !errors.Is(err, ticket.ErrBadSignature) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), want[:32]) {
		t.Errorf("error %q reveals the secret or the expected digest", err)
	}
}

// A server that binds tickets cannot mint one for an unknown client (the
// zero Addr): it would be bound to nobody, valid from anywhere. An explicit
// 0.0.0.0 still means unbound, and where the address is ignored there is
// nothing to know.
func TestVerifierMintUnknownClient(t *testing.T) {
	tk := ticket.Ticket{UID: "alice", Time: t0}
	for _, d := range ticket.Digests() {
		v := mustVerifier(t, ticket.Config{Digest: d})
		if _, err := v.Mint(tk, netip.Addr{}); !errors.Is(err, ticket.ErrIPMismatch) {
			t.Errorf("%s: Mint for an unknown client: %v, want ErrIPMismatch", d, err)
		}
		if _, err := v.Reissue(tk, netip.Addr{}, t0); !errors.Is(err, ticket.ErrIPMismatch) {
			t.Errorf("%s: Reissue for an unknown client: %v, want ErrIPMismatch", d, err)
		}
		if _, err := v.Mint(tk, netip.IPv4Unspecified()); err != nil {
			t.Errorf("%s: Mint for 0.0.0.0: %v", d, err)
		}
		if _, err := mustVerifier(t, ticket.Config{Digest: d, IgnoreIP: true}).Mint(tk, netip.Addr{}); err != nil {
			t.Errorf("%s: Mint with IgnoreIP: %v", d, err)
		}
	}
}
