package ticket_test

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/vectors"
	"github.com/tkt-sso/tkt/ticket"
)

type vector = vectors.Vector

const apacheSecret = vectors.ApacheSecret

// vectorNow stands for the moment Apache judged the vectors. Only the
// timeout vectors look at it, and their tickets are either decades old or
// far in the future, so any time in the 2020s gives Apache's verdict.
var vectorNow = time.Unix(1_750_000_000, 0)

func loadVectors(tb testing.TB) []vector { return vectors.Load(tb) }

// mintDiffers lists the vectors where ticket.Mint deliberately does not
// reproduce the reference bytes (ticket.md section 1).
var mintDiffers = map[string]string{
	"mint-md5-data-bang-no-tokens":    "Perl's uid!data cannot be read back when data holds '!': we write uid!!data",
	"mint-sha256-data-bang-no-tokens": "Perl's uid!data cannot be read back when data holds '!': we write uid!!data",
	"mint-md5-bang-user":              "a uid with '!' cannot be read back: refused",
	"mint-md5-tokens-bang-paste":      "a token with '!' cannot be read back: refused",
	"mint-md5-empty-user":             "empty uid: refused (section 7)",
}

func TestVectorsMint(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			ref := v.Ref.Perl
			if ref == nil {
				// Perl refuses ts 0 (it substitutes the current time) and
				// tokens with '!'; Paste's bytes are the reference there.
				ref = v.Ref.Paste
			}
			d, err := ticket.ParseDigest(v.Mint.Digest)
			if err != nil {
				t.Fatal(err)
			}
			m := ticket.Minter{Digest: d, Secret: v.Mint.Secret}
			got, err := m.Mint(ticket.Ticket{
				UID: v.Mint.User, Tokens: ticket.Tokens(v.Mint.Tokens), Data: v.Mint.Data,
				Time: time.Unix(v.Mint.TS, 0),
			}, netip.MustParseAddr(v.Mint.IP))
			want, _ := hex.DecodeString(*ref)
			why, differs := mintDiffers[v.ID]
			switch {
			case differs && err != nil:
				if !errors.Is(err, ticket.ErrInvalid) {
					t.Errorf("refused with %v, want ErrInvalid", err)
				}
				t.Logf("deliberate difference: %s", why)
			case differs:
				if got == string(want) {
					t.Errorf("minted the reference bytes %q, want our layout (%s)", got, why)
				}
				// Our form must read back as minted.
				vf, err := ticket.NewVerifier(ticket.Config{Digest: d, Secret: v.Mint.Secret})
				if err != nil {
					t.Fatal(err)
				}
				r, err := vf.VerifyRaw(got, netip.MustParseAddr(v.Mint.IP), vectorNow)
				if err != nil || r.UID != v.Mint.User || string(r.Tokens) != v.Mint.Tokens || r.Data != v.Mint.Data {
					t.Errorf("our form %q reads back as %+v, %v", got, r, err)
				}
			case err != nil:
				t.Fatalf("Mint: %v", err)
			case got != string(want):
				t.Errorf("Mint = %q\n  reference %q", got, want)
			}
		})
	}
}

// verdictDiffers lists where our verdict deliberately differs from
// Apache's (ticket.md section 7).
var verdictDiffers = map[string]string{
	"mint-md5-empty-user":   "empty uid: Apache accepts it, we reject it",
	"ts-7fffffff-md5":       "future timestamp beyond the skew: Apache accepts it forever, we reject it",
	"cookie-bad-then-valid": "Apache tries only the first non-empty cookie; we try each in order",
}

func TestVectorsVerdict(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			d, err := ticket.ParseDigest(v.Request.ServerDigest)
			if err != nil {
				t.Fatal(err)
			}
			vf, err := ticket.NewVerifier(ticket.Config{
				Digest:   d,
				Secret:   apacheSecret,
				IgnoreIP: v.Request.IgnoreIP,
				Timeout:  time.Duration(v.Request.Timeout) * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			client := netip.MustParseAddr(v.Request.ClientIP)
			var r ticket.Result
			if v.Request.CookieHeaders != nil {
				r, err = vf.VerifyCookies(v.Request.CookieHeaders, "auth_tkt", client, vectorNow)
			} else {
				r, err = vf.Verify(v.Request.CookieValue, client, vectorNow)
			}
			accepted := err == nil
			want := v.Apache.Accepted
			if why, ok := verdictDiffers[v.ID]; ok {
				want = !want
				t.Logf("deliberate difference: %s", why)
			}
			if accepted != want {
				t.Fatalf("accepted = %v (err %v), want %v (Apache said %v)", accepted, err, want, v.Apache.Accepted)
			}
			if !accepted || !v.Apache.Accepted {
				return
			}
			if r.UID != *v.Apache.User || string(r.Tokens) != *v.Apache.Tokens || r.Data != *v.Apache.Data {
				t.Errorf("identity (%q, %q, %q), Apache saw (%q, %q, %q)",
					r.UID, r.Tokens, r.Data, *v.Apache.User, *v.Apache.Tokens, *v.Apache.Data)
			}
		})
	}
}

// The deliberate differences are asserted with the reason, not only by
// flipping Apache's verdict.
func TestVectorsDeliberateReasons(t *testing.T) {
	vs := map[string]vector{}
	for _, v := range loadVectors(t) {
		vs[v.ID] = v
	}
	check := func(id string, want error, cfg ticket.Config) {
		t.Helper()
		v, ok := vs[id]
		if !ok {
			t.Fatalf("vector %s missing", id)
		}
		cfg.Secret = apacheSecret
		vf, err := ticket.NewVerifier(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = vf.Verify(v.Request.CookieValue, netip.MustParseAddr(v.Request.ClientIP), vectorNow)
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", id, err, want)
		}
	}
	check("mint-md5-empty-user", ticket.ErrMalformed, ticket.Config{})
	check("ts-7fffffff-md5", ticket.ErrFuture, ticket.Config{Timeout: 2 * time.Hour})
	// Apache calls this one expired because ts+timeout wraps in 32 bits;
	// in 64-bit arithmetic it lies in the future.
	check("ts-ffffffff-md5", ticket.ErrFuture, ticket.Config{Timeout: 2 * time.Hour})
	check("ts-0-md5", ticket.ErrExpired, ticket.Config{Timeout: 2 * time.Hour})
	check("mint-md5-wrong-secret", ticket.ErrBadSignature, ticket.Config{})
	check("enc-upper-digest", ticket.ErrMalformed, ticket.Config{})
	check("enc-garbage", ticket.ErrMalformed, ticket.Config{})
}
