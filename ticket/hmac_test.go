package ticket_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// hmacVector is one entry of testdata/hmac-sha256-vectors.json, published so
// that other languages can implement the hmac-sha256 format.
type hmacVector struct {
	Desc       string `json:"desc"`
	Secret     string `json:"secret"`
	IP         string `json:"ip"`
	IPv4Prefix int    `json:"ipv4_prefix,omitempty"`
	IPv6Prefix int    `json:"ipv6_prefix,omitempty"`
	MACInput   string `json:"mac_input_hex"`
	TS         int64  `json:"ts"`
	User       string `json:"user"`
	Tokens     string `json:"tokens"`
	Data       string `json:"data"`
	Ticket     string `json:"ticket"`
	Cookie     string `json:"cookie"`
}

const hmacVectorsFile = "../testdata/hmac-sha256-vectors.json"

// hmacCases are the inputs; the expected outputs come from an independent
// computation with crypto/hmac straight from the spec's formula.
var hmacCases = []hmacVector{
	{Desc: "unbound (0.0.0.0)", Secret: "secret", IP: "0.0.0.0", TS: 1700000000, User: "alice"},
	{Desc: "unbound (::) is the same as 0.0.0.0", Secret: "secret", IP: "::", TS: 1700000000, User: "alice"},
	{Desc: "IPv4 address", Secret: "secret", IP: "192.0.2.10", TS: 1700000000, User: "alice", Tokens: "finance,admin", Data: "x:y"},
	{Desc: "IPv4-mapped IPv6 is IPv4", Secret: "secret", IP: "::ffff:192.0.2.10", TS: 1700000000, User: "alice", Tokens: "finance,admin", Data: "x:y"},
	{Desc: "IPv4 /24 network", Secret: "secret", IP: "192.0.2.10", IPv4Prefix: 24, TS: 1700000000, User: "alice"},
	{Desc: "IPv6 address", Secret: "secret", IP: "2001:db8::1", TS: 1700000000, User: "alice"},
	{Desc: "IPv6 /64 network", Secret: "secret", IP: "2001:db8::1", IPv6Prefix: 64, TS: 1700000000, User: "alice"},
	{Desc: "data with '!' and no tokens", Secret: "secret", IP: "0.0.0.0", TS: 1700000000, User: "bob", Data: "a!b"},
	{Desc: "unicode, spaces in the secret", Secret: "a secret with spaces", IP: "0.0.0.0", TS: 4294967295, User: "Jürgen Müller-李", Data: "ü"},
	{Desc: "secret longer than the SHA-256 block", Secret: strings.Repeat("k", 100), IP: "198.51.100.1", TS: 1, User: "u"},
}

func hmacReference(v hmacVector) (macInput []byte, tkt string) {
	ip := netip.MustParseAddr(v.IP).Unmap()
	var ip16 [16]byte
	if !ip.IsUnspecified() {
		bits := v.IPv6Prefix
		if ip.Is4() {
			bits = v.IPv4Prefix
			if bits == 0 {
				bits = 32
			}
		} else if bits == 0 {
			bits = 128
		}
		ip16 = netip.PrefixFrom(ip, bits).Masked().Addr().As16()
	}
	msg := []byte("auth_tkt hmac-sha256 v1\x00")
	msg = append(msg, ip16[:]...)
	msg = binary.BigEndian.AppendUint32(msg, uint32(v.TS))
	msg = append(msg, v.User+"\x00"+v.Tokens+"\x00"+v.Data...)
	mac := hmac.New(sha256.New, []byte(v.Secret))
	mac.Write(msg)
	return msg, fmt.Sprintf("%x%08x%s!%s!%s", mac.Sum(nil), v.TS, v.User, v.Tokens, v.Data)
}

func TestHMACVectors(t *testing.T) {
	var want []hmacVector
	for _, c := range hmacCases {
		in, tkt := hmacReference(c)
		c.MACInput, c.Ticket, c.Cookie = hex.EncodeToString(in), tkt, ticket.Encode(tkt)
		want = append(want, c)
	}
	if os.Getenv("UPDATE_VECTORS") == "1" {
		b, _ := json.MarshalIndent(want, "", "  ")
		if err := os.WriteFile(hmacVectorsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(hmacVectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var file []hmacVector
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file) != len(want) {
		t.Fatalf("%s has %d vectors, want %d (UPDATE_VECTORS=1 rewrites it)", hmacVectorsFile, len(file), len(want))
	}
	for i, v := range file {
		if v != want[i] {
			t.Errorf("vector %d (%s) in the file differs from the reference computation", i, v.Desc)
		}
		m := ticket.Minter{Digest: ticket.HMACSHA256, Secret: v.Secret, AllowWeakSecret: true, IPv4Prefix: v.IPv4Prefix, IPv6Prefix: v.IPv6Prefix}
		got, err := m.Mint(ticket.Ticket{UID: v.User, Tokens: ticket.Tokens(v.Tokens), Data: v.Data, Time: time.Unix(v.TS, 0)}, netip.MustParseAddr(v.IP))
		if err != nil {
			t.Errorf("%s: Mint: %v", v.Desc, err)
			continue
		}
		if got != v.Ticket {
			t.Errorf("%s: Mint = %q, want %q", v.Desc, got, v.Ticket)
		}
		ver := mustVerifier(t, ticket.Config{Digest: ticket.HMACSHA256, Secret: v.Secret, AllowWeakSecret: true, IPv4Prefix: v.IPv4Prefix, IPv6Prefix: v.IPv6Prefix, IgnoreIP: netip.MustParseAddr(v.IP).IsUnspecified()})
		if _, err := ver.Verify(v.Cookie, netip.MustParseAddr(v.IP), time.Unix(v.TS, 0)); err != nil {
			t.Errorf("%s: Verify: %v", v.Desc, err)
		}
	}
}
