package ticket_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// TestRoundTripProperty mints random tickets of every digest type and
// checks that they verify back to exactly what was minted.
func TestRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcXYZ019 :;=,!@\"'\\/+-_.~%*()<>ü李\t")
	str := func(n int, skip string) string {
		var b strings.Builder
		for range rng.IntN(n + 1) {
			r := alphabet[rng.IntN(len(alphabet))]
			if !strings.ContainsRune(skip, r) {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	for i := range 2000 {
		d := ticket.Digests()[i%4]
		uid := str(30, "!\t") // control characters are refused in user ids (CheckUID)
		if uid == "" {
			uid = "u"
		}
		var toks []string
		for range rng.IntN(4) {
			if tok := str(8, "!, \t"); tok != "" {
				toks = append(toks, tok)
			}
		}
		tk := ticket.Ticket{UID: uid, Tokens: ticket.JoinTokens(toks...), Data: str(60, ""), Time: time.Unix(rng.Int64N(1<<32), 0)}
		ip := netip.AddrFrom4([4]byte{byte(rng.IntN(256)), 1, 2, byte(rng.IntN(256))})
		secret := str(40, "") + "s"
		val, err := ticket.Minter{Digest: d, Secret: secret, AllowWeakSecret: true}.MintCookie(tk, ip)
		if err != nil {
			t.Fatalf("Mint(%+v): %v", tk, err)
		}
		r, err := mustVerifier(t, ticket.Config{Digest: d, Secret: secret, AllowWeakSecret: true}).Verify(val, ip, tk.Time)
		if err != nil {
			t.Fatalf("%s: Verify(Mint(%+v)): %v", d, tk, err)
		}
		if r.UID != tk.UID || r.Tokens != tk.Tokens || r.Data != tk.Data || !r.Time.Equal(tk.Time) {
			t.Fatalf("%s: round trip %+v became %+v", d, tk, r.Ticket)
		}
	}
}

// FuzzDecodeParse feeds arbitrary cookie values through the whole reading
// path. It must never panic, and whatever verifies must re-mint to a ticket
// that verifies to the same identity.
func FuzzDecodeParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Request.CookieValue)
	}
	f.Add(`"YWJj"`)
	f.Add("%21%21%21")
	f.Add(digest32 + "6553f100a!b!c")
	f.Fuzz(func(t *testing.T, value string) {
		for _, d := range ticket.Digests() {
			v := mustVerifier(t, ticket.Config{Digest: d, Secret: apacheSecret, IgnoreIP: true})
			r, err := v.Verify(value, local, vectorNow)
			if err != nil {
				if r.UID != "" && !errors.Is(err, ticket.ErrExpired) && !errors.Is(err, ticket.ErrFuture) && !errors.Is(err, ticket.ErrMissingToken) {
					t.Fatalf("identity %+v returned with %v", r, err)
				}
				continue
			}
			// Only a collision could get here with random input; if it
			// does, the result must still be self-consistent.
			if r.UID == "" || strings.ContainsAny(r.UID, "!") {
				t.Fatalf("verified a ticket with uid %q", r.UID)
			}
		}
		raw, err := ticket.DecodeValue(value)
		// Verify reads a decoded cookie as bytes, VerifyRaw reads text:
		// both must come to the same verdict, word for word.
		for _, d := range ticket.Digests() {
			v := mustVerifier(t, ticket.Config{Digest: d, Secret: apacheSecret, Timeout: time.Hour})
			r1, err1 := v.Verify(value, local, vectorNow)
			r2, err2 := v.VerifyRaw(raw, local, vectorNow)
			if err != nil {
				r2, err2 = ticket.Result{}, err
			}
			if fmt.Sprint(r1, err1) != fmt.Sprint(r2, err2) {
				t.Fatalf("%s: Verify(%q) = %+v, %v; VerifyRaw(DecodeValue) = %+v, %v", d, value, r1, err1, r2, err2)
			}
		}
		if err != nil {
			return
		}
		for _, d := range ticket.Digests() {
			p, err := ticket.Parse(raw, d)
			if err != nil {
				continue
			}
			if p.UID == "" || strings.Contains(p.UID, "!") || strings.Contains(string(p.Tokens), "!") {
				t.Fatalf("Parse(%q) = %+v", raw, p)
			}
			if len(p.Digest) != d.HexLen() {
				t.Fatalf("digest %q for %s", p.Digest, d)
			}
		}
		_, _ = ticket.Inspect(value)
	})
}

// FuzzMintVerify: whatever Mint accepts must verify to the same ticket, for
// every digest type.
func FuzzMintVerify(f *testing.F) {
	f.Add("alice", "finance,admin", "x:y!z", uint32(1700000000), "s e c r e t")
	f.Add("Jürgen", "", "a!b", uint32(0), "k")
	f.Fuzz(func(t *testing.T, uid, tokens, data string, ts uint32, secret string) {
		if secret == "" {
			return
		}
		tk := ticket.Ticket{UID: uid, Tokens: ticket.Tokens(tokens), Data: data, Time: time.Unix(int64(ts), 0)}
		for _, d := range ticket.Digests() {
			val, err := ticket.Minter{Digest: d, Secret: secret, AllowWeakSecret: true}.MintCookie(tk, local)
			if err != nil {
				if !errors.Is(err, ticket.ErrInvalid) {
					t.Fatalf("Mint error %v does not match ErrInvalid", err)
				}
				return
			}
			r, err := mustVerifier(t, ticket.Config{Digest: d, Secret: secret, AllowWeakSecret: true}).Verify(val, local, tk.Time)
			if err != nil {
				t.Fatalf("%s: Verify(Mint(%+v)) = %v", d, tk, err)
			}
			if r.UID != tk.UID || r.Tokens != tk.Tokens || r.Data != tk.Data || !r.Time.Equal(tk.Time) {
				t.Fatalf("%s: %+v came back as %+v", d, tk, r.Ticket)
			}
		}
	})
}

// FuzzCookieValues: the header scan never panics, and every value it yields
// is non-empty, holds no ';', and follows "name=" at a cookie boundary.
func FuzzCookieValues(f *testing.F) {
	for _, v := range loadVectors(f) {
		for _, h := range v.Request.CookieHeaders {
			f.Add(h)
		}
	}
	f.Add("auth_tkt=A; auth_tkt=B;auth_tkt=;xauth_tkt=C")
	f.Fuzz(func(t *testing.T, header string) {
		for val := range ticket.CookieValues(header, "auth_tkt") {
			if val == "" || strings.Contains(val, ";") {
				t.Fatalf("CookieValues(%q) yielded %q", header, val)
			}
			if !strings.Contains(header, "auth_tkt="+val) {
				t.Fatalf("CookieValues(%q) yielded %q, not in the header", header, val)
			}
		}
	})
}

// FuzzAuthTime: reading the reserved tokens of any token list never
// panics; Groups holds none of them and keeps every other token in order;
// what WithAuthTime writes, AuthTime reads back, with the groups, the
// session id and the guest token unchanged.
func FuzzAuthTime(f *testing.F) {
	f.Add("staff,tkt-auth:1700000000,tkt-sid:AAAAAAAAAAAAAAAAAAAAAA", int64(1700000001))
	f.Add("tkt-auth:,tkt-auth:99999999999,x", int64(0))
	f.Add("tkt-sid:a,tkt-auth:1,b,,", int64(4294967295))
	f.Add("a,tkt-guest,tkt-guests,tkt-sid:b", int64(1))
	f.Fuzz(func(t *testing.T, tokens string, at int64) {
		tk := ticket.Tokens(tokens)
		if got, ok := tk.AuthTime(); ok && (got.Unix() < 0 || got.Unix() > 1<<32-1) {
			t.Fatalf("AuthTime(%q) = %v, outside the format", tokens, got.Unix())
		}
		groups := tk.Groups()
		var want []string
		for tok := range strings.SplitSeq(tokens, ",") {
			if !strings.HasPrefix(tok, ticket.AuthPrefix) && !strings.HasPrefix(tok, ticket.SessionPrefix) && tok != ticket.GuestToken {
				want = append(want, tok)
			}
		}
		if string(groups) != strings.Join(want, ",") {
			t.Fatalf("Groups(%q) = %q, want %q", tokens, groups, strings.Join(want, ","))
		}
		stamp := time.Unix(at, 0)
		w := tk.WithAuthTime(stamp)
		got, ok := w.AuthTime()
		if inRange := at >= 0 && at <= 1<<32-1; ok != inRange || ok && got.Unix() != at {
			t.Fatalf("WithAuthTime(%d) on %q = %q, which reads back as %v, %v", at, tokens, w, got.Unix(), ok)
		}
		sid, _ := tk.Session()
		if w.Groups() != groups {
			t.Fatalf("WithAuthTime on %q changed the groups: %q", tokens, w)
		}
		if s2, _ := w.Session(); s2 != sid {
			t.Fatalf("WithAuthTime on %q changed the session id: %q", tokens, w)
		}
		if w.Guest() != tk.Guest() {
			t.Fatalf("WithAuthTime on %q changed whether it is a guest's: %q", tokens, w)
		}
	})
}
