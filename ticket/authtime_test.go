package ticket_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// authTok is the auth-time token of t0.
var authTok = "tkt-auth:" + strconv.FormatInt(t0.Unix(), 10)

func TestTokensAuthTime(t *testing.T) {
	for _, c := range []struct {
		tokens string
		want   int64 // -1: none
	}{
		{"", -1},
		{"staff,admin", -1},
		{"tkt-auth:1700000000", 1700000000},
		{"staff,tkt-auth:1700000000,tkt-sid:" + sid, 1700000000},
		{"tkt-auth:1700000000,staff", 1700000000},
		{"tkt-auth:0", 0},
		{"tkt-auth:4294967295", 4294967295},
		{"tkt-auth:4294967296", -1},  // past the format's range
		{"tkt-auth:00000000001", -1}, // 11 digits
		{"tkt-auth:", -1},
		{"tkt-auth:-1", -1},
		{"tkt-auth:+1", -1},
		{"tkt-auth:12x", -1},
		{"tkt-auth:1 ", -1},
		{"xtkt-auth:5", -1},              // not a token's start
		{"xtkt-auth:5,tkt-auth:6", 6},    // the first one that is
		{"tkt-auth:7,tkt-auth:8", 7},     // the first counts
		{"staff,tkt-sid:tkt-auth:9", -1}, // inside another token
		{"tkt-auth:1700000000,,staff", 1700000000},
	} {
		at, ok := ticket.Tokens(c.tokens).AuthTime()
		if ok != (c.want >= 0) || ok && at.Unix() != c.want {
			t.Errorf("Tokens(%q).AuthTime() = %v, %v; want %d", c.tokens, at.Unix(), ok, c.want)
		}
	}
}

// WithAuthTime puts the auth token after the groups and before the session
// token, in place of any; Groups takes every reserved token out.
func TestTokensWithAuthTimeAndGroups(t *testing.T) {
	for _, c := range []struct {
		tokens string
		at     time.Time
		want   string
	}{
		{"", t0, authTok},
		{"staff", t0, "staff," + authTok},
		{"staff,tkt-sid:" + sid, t0, "staff," + authTok + ",tkt-sid:" + sid},
		{"tkt-sid:" + sid + ",tkt-auth:5,staff", t0, "staff," + authTok + ",tkt-sid:" + sid},
		{"staff,tkt-auth:5,tkt-sid:" + sid, time.Time{}, "staff,tkt-sid:" + sid},
		{"staff,tkt-sid:", t0, "staff," + authTok + ",tkt-sid:"}, // an empty session token stays, to be refused
		{"staff", time.Unix(-1, 0), "staff"},                     // outside the format: left out
		{"staff", time.Unix(1<<32, 0), "staff"},
	} {
		got := ticket.Tokens(c.tokens).WithAuthTime(c.at)
		if string(got) != c.want {
			t.Errorf("Tokens(%q).WithAuthTime(%v) = %q, want %q", c.tokens, c.at.Unix(), got, c.want)
		}
	}
	for _, c := range []struct{ tokens, want string }{
		{"", ""},
		{"staff,admin", "staff,admin"},
		{"staff," + authTok + ",tkt-sid:" + sid, "staff"},
		{authTok + ",tkt-sid:" + sid, ""},
		{"tkt-sid:" + sid, ""},
		{"staff,tkt-sid:" + sid + ",admin," + authTok, "staff,admin"},
		{"staff,,tkt-sid:" + sid, "staff,"},
		{"tkt-authors,tkt-sids", "tkt-authors,tkt-sids"}, // not the prefixes
		{"a,xtkt-auth:1", "a,xtkt-auth:1"},
	} {
		if got := ticket.Tokens(c.tokens).Groups(); string(got) != c.want {
			t.Errorf("Tokens(%q).Groups() = %q, want %q", c.tokens, got, c.want)
		}
	}
	tk := ticket.Ticket{UID: "alice", Tokens: "staff,tkt-sid:" + sid, Time: t0}.Authenticated(t0.Add(time.Minute))
	if at, ok := tk.Tokens.AuthTime(); !ok || !at.Equal(t0.Add(time.Minute)) || !strings.HasSuffix(string(tk.Tokens), ",tkt-sid:"+sid) {
		t.Errorf("Authenticated: tokens %q", tk.Tokens)
	}
}

// The reserved tokens are read on every request: in tktd's layout neither
// AuthTime nor Groups nor Session allocates.
func TestTokensReservedAllocs(t *testing.T) {
	for _, tokens := range []ticket.Tokens{"staff,admin", "staff,admin," + ticket.Tokens(authTok) + ",tkt-sid:" + sid, ticket.Tokens(authTok), ticket.GuestToken} {
		n := testing.AllocsPerRun(100, func() {
			tokens.AuthTime()
			tokens.Groups()
			tokens.Session()
		})
		if n != 0 {
			t.Errorf("Tokens(%q): AuthTime, Groups and Session allocate %v times", tokens, n)
		}
	}
}

func TestCheckRequiredTokenAuth(t *testing.T) {
	if err := ticket.CheckRequiredToken("tkt-auth:1700000000"); !errors.Is(err, ticket.ErrInvalid) || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("CheckRequiredToken(tkt-auth:...) = %v, want a reserved-token error", err)
	}
	if _, err := ticket.NewVerifier(ticket.Config{Secret: benchSecret, Tokens: []string{"tkt-auth:1"}}); err == nil {
		t.Error("NewVerifier took a required tkt-auth: token")
	}
}

func TestMaxLifetimeConfig(t *testing.T) {
	for _, c := range []struct {
		timeout, lifetime time.Duration
		bad               string
	}{
		{time.Hour, 0, ""},
		{time.Hour, time.Hour, ""},
		{time.Hour, 12 * time.Hour, ""},
		{time.Hour, -time.Second, "max lifetime -1s is negative"},
		{0, time.Hour, "needs a timeout"},
		{2 * time.Hour, time.Hour, "max lifetime 1h0m0s is shorter than the timeout 2h0m0s"},
	} {
		_, err := ticket.NewVerifier(ticket.Config{Secret: benchSecret, Timeout: c.timeout, MaxLifetime: c.lifetime})
		if c.bad == "" && err != nil || c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("timeout %v, max lifetime %v: %v, want %q", c.timeout, c.lifetime, err, c.bad)
		}
	}
}

// A login kept busy is refreshed until its auth time + MaxLifetime and no
// further: the refreshes keep the auth time, no ticket ever outlives the
// cap, the last one ends exactly at it, and then the ticket is refused.
// The clock is ticked by hand, a request every 7 minutes.
func TestMaxLifetimeAcrossRefreshes(t *testing.T) {
	const (
		timeout  = 10 * time.Minute
		lifetime = time.Hour
		step     = 7 * time.Minute
	)
	for _, d := range ticket.Digests() {
		t.Run(d.String(), func(t *testing.T) {
			v := mustVerifier(t, ticket.Config{Digest: d, Secret: benchSecret, Timeout: timeout, Refresh: 0.5, MaxLifetime: lifetime})
			login := ticket.Ticket{UID: "alice", Tokens: "staff,tkt-sid:" + sid, Data: "Alice", Time: t0}.Authenticated(t0)
			value := mustMint(t, ticket.Minter{Digest: d, Secret: benchSecret}, login, local)
			capAt := t0.Add(lifetime)
			refreshes, lastTime := 0, t0
			now := t0
			for ; ; now = now.Add(step) {
				res, err := v.Verify(value, local, now)
				if err != nil {
					if !errors.Is(err, ticket.ErrExpired) {
						t.Fatalf("at +%v: %v", now.Sub(t0), err)
					}
					break
				}
				if exp := res.Time.Add(timeout); exp.After(capAt) {
					t.Fatalf("at +%v: the ticket lives until +%v, past the cap", now.Sub(t0), exp.Sub(t0))
				}
				if at, ok := res.Tokens.AuthTime(); !ok || !at.Equal(t0) || res.Tokens.Groups() != "staff" {
					t.Fatalf("at +%v: tokens %q lost the auth time or the groups", now.Sub(t0), res.Tokens)
				}
				if !res.ShouldReissue() {
					continue
				}
				if value, err = v.Reissue(res.Ticket, local, now); err != nil {
					t.Fatal(err)
				}
				refreshes++
				r2, err := v.Verify(value, local, now)
				if err != nil {
					t.Fatalf("re-issued ticket at +%v: %v", now.Sub(t0), err)
				}
				if !r2.Time.After(lastTime) {
					t.Fatalf("re-issue at +%v did not move the time on: %v", now.Sub(t0), r2.Time.Sub(t0))
				}
				lastTime = r2.Time
			}
			if refreshes < 5 {
				t.Errorf("%d refreshes: the session was not kept alive", refreshes)
			}
			if end := lastTime.Add(timeout); !end.Equal(capAt) {
				t.Errorf("the last ticket ends at +%v, want exactly +%v", end.Sub(t0), lifetime)
			}
			if now.Before(capAt) || now.Sub(capAt) > step {
				t.Errorf("refused at +%v, want the first request after +%v", now.Sub(t0), lifetime)
			}
			// At the cap itself the last ticket is still good; a second
			// later it is not, however it was stamped.
			if _, err := v.Verify(value, local, capAt); err != nil {
				t.Errorf("at the cap: %v", err)
			}
			late := login
			late.Time = capAt.Add(-time.Minute) // as mod_auth_tkt would re-stamp it
			lv := mustMint(t, ticket.Minter{Digest: d, Secret: benchSecret}, late, local)
			if _, err := v.Verify(lv, local, capAt.Add(time.Second)); !errors.Is(err, ticket.ErrExpired) || !strings.Contains(err.Error(), "max lifetime") {
				t.Errorf("a ticket re-stamped past the cap: %v, want expired", err)
			}
			// Without the cap the same clicks keep it going for ever.
			free := mustVerifier(t, ticket.Config{Digest: d, Secret: benchSecret, Timeout: timeout, Refresh: 0.5})
			if _, err := free.Verify(lv, local, capAt.Add(time.Second)); err != nil {
				t.Errorf("without a max lifetime: %v", err)
			}
		})
	}
}

// A ticket without an auth time (Apache's login page, tktctl mint, an
// older tktd) is never extended under a MaxLifetime: it ends at its own
// timeout. A ticket signed with an old secret is re-issued with the
// current one even at the cap, keeping its time.
func TestMaxLifetimeNoAuthTimeAndOldSecret(t *testing.T) {
	const timeout = 10 * time.Minute
	c := ticket.Config{Secret: benchSecret, Timeout: timeout, Refresh: 0.5, MaxLifetime: time.Hour}
	v := mustVerifier(t, c)
	bare := ticket.Ticket{UID: "alice", Tokens: "staff", Time: t0}
	res, err := v.Verify(mustMint(t, ticket.Minter{Secret: benchSecret}, bare, local), local, t0.Add(8*time.Minute))
	if err != nil || res.ShouldReissue() {
		t.Errorf("a ticket without an auth time, due: %v, re-issue %v; want valid, not re-issued", err, res.ShouldReissue())
	}
	c.MaxLifetime = 0
	if res, _ := mustVerifier(t, c).Verify(mustMint(t, ticket.Minter{Secret: benchSecret}, bare, local), local, t0.Add(8*time.Minute)); !res.ShouldReissue() {
		t.Error("without a max lifetime the same ticket is not due")
	}

	rot := mustVerifier(t, ticket.Config{Secret: "a newer secret of 32 bytes......", OldSecrets: []string{benchSecret}, Timeout: timeout, Refresh: 0.5, MaxLifetime: time.Hour})
	atCap := ticket.Ticket{UID: "alice", Time: t0.Add(50 * time.Minute)}.Authenticated(t0)
	now := t0.Add(58 * time.Minute)
	res, err = rot.Verify(mustMint(t, ticket.Minter{Secret: benchSecret}, atCap, local), local, now)
	if err != nil || res.Refresh || !res.ShouldReissue() {
		t.Fatalf("old secret at the cap: %+v, %v; want re-issue for the secret only", res, err)
	}
	val, err := rot.Reissue(res.Ticket, local, now)
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := rot.Verify(val, local, now); err != nil || r2.SecretIndex != 0 || !r2.Time.Equal(atCap.Time) {
		t.Errorf("re-issued for the new secret: %+v, %v; want its own time %v", r2, err, atCap.Time)
	}
}
