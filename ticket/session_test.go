package ticket_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/ticket"
)

const sid = "AAAAAAAAAAAAAAAAAAAAAA"

// Session finds the session token wherever it stands and leaves it out of
// the rest; WithSession puts it last.
func TestTokensSession(t *testing.T) {
	for _, c := range []struct {
		tokens, sid, rest string
	}{
		{"", "", ""},
		{"staff,admin", "", "staff,admin"},
		{"tkt-sid:" + sid, sid, ""},
		{"staff,admin,tkt-sid:" + sid, sid, "staff,admin"},
		{"tkt-sid:" + sid + ",staff", sid, "staff"},
		{"staff,tkt-sid:" + sid + ",admin", sid, "staff,admin"},
		{"tkt-sid:one,staff,tkt-sid:two", "one", "staff"},
		{"xtkt-sid:" + sid + ",staff", "", "xtkt-sid:" + sid + ",staff"}, // not a token's start
		{"a,xtkt-sid:b,tkt-sid:c", "c", "a,xtkt-sid:b"},
		{"tkt-sid:", "", ""}, // an empty id is still a session token
		{"staff,,tkt-sid:" + sid, sid, "staff,"},
	} {
		gotSID, rest := ticket.Tokens(c.tokens).Session()
		if gotSID != c.sid || string(rest) != c.rest {
			t.Errorf("Tokens(%q).Session() = %q, %q; want %q, %q", c.tokens, gotSID, rest, c.sid, c.rest)
		}
	}
	for _, c := range []struct {
		tokens, sid, want string
	}{
		{"", sid, "tkt-sid:" + sid},
		{"staff", sid, "staff,tkt-sid:" + sid},
		{"tkt-sid:old,staff", sid, "staff,tkt-sid:" + sid},
		{"staff,tkt-sid:old", "", "staff"},
	} {
		if got := ticket.Tokens(c.tokens).WithSession(c.sid); string(got) != c.want {
			t.Errorf("Tokens(%q).WithSession(%q) = %q, want %q", c.tokens, c.sid, got, c.want)
		}
	}
}

// The usual layout, the session token last, costs no allocation: it is
// read on every request.
func TestTokensSessionAllocs(t *testing.T) {
	for _, tokens := range []ticket.Tokens{"staff,admin", "staff,admin,tkt-sid:" + sid, "tkt-sid:" + sid} {
		if n := testing.AllocsPerRun(100, func() { tokens.Session() }); n != 0 {
			t.Errorf("Tokens(%q).Session() allocates %v times", tokens, n)
		}
	}
}

func TestCheckSessionID(t *testing.T) {
	for _, good := range []string{sid, "abcdefghijklmnopqrstu-", "0123456789_-ABCDEFGHIJ"} {
		if err := ticket.CheckSessionID(good); err != nil {
			t.Errorf("CheckSessionID(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", sid[:21], sid + "A", "AAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAA+", "AAAAAAAAAAAAAAAAAAAAA/", "AAAAAAAAAAAAAAAAAAAA\n\n", "AAAAAAAAAAAAAAAAAAAAAé"} {
		if err := ticket.CheckSessionID(bad); !errors.Is(err, ticket.ErrInvalid) {
			t.Errorf("CheckSessionID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// A required token can never be a session token: it would admit nobody
// but the holder of one session.
func TestRequiredSessionToken(t *testing.T) {
	_, err := ticket.NewVerifier(ticket.Config{Secret: benchSecret, Tokens: []string{"staff", "tkt-sid:" + sid}})
	if err == nil || !strings.Contains(err.Error(), `required invalid ticket content: token "tkt-sid:`) {
		t.Errorf("NewVerifier with a session token required: %v", err)
	}
}

// FuzzTokensSession: Session never panics; the rest holds no session
// token, and putting the id back gives it again.
func FuzzTokensSession(f *testing.F) {
	f.Add("staff,admin,tkt-sid:" + sid)
	f.Add("tkt-sid:a,tkt-sid:b,c")
	f.Add(",tkt-sid:,")
	f.Fuzz(func(t *testing.T, tokens string) {
		got, rest := ticket.Tokens(tokens).Session()
		if again, r2 := rest.Session(); again != "" || r2 != rest {
			t.Fatalf("Tokens(%q): the rest %q still holds session %q", tokens, rest, again)
		}
		if got == "" || strings.Contains(got, ",") {
			return
		}
		back, r3 := ticket.Tokens(tokens).WithSession(got).Session()
		if back != got || r3 != rest {
			t.Fatalf("Tokens(%q).WithSession(%q).Session() = %q, %q; want %q, %q", tokens, got, back, r3, got, rest)
		}
	})
}
