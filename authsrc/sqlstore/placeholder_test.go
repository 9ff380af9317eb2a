package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/tkt-sso/tkt/authsrc"
)

var (
	pgLex    = lexOpts{dollarQuote: true}
	mysqlLex = lexOpts{backslash: true, hashComment: true, dashSpace: true}
)

func TestBindOne(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		o      lexOpts
		dollar bool
		want   string // "" means an error
	}{
		{"question to dollar", "SELECT p FROM u WHERE n = ?", pgLex, true, "SELECT p FROM u WHERE n = $1"},
		{"dollar kept", "SELECT p FROM u WHERE n = $1", pgLex, true, "SELECT p FROM u WHERE n = $1"},
		{"dollar to question", "SELECT p FROM u WHERE n = $1", mysqlLex, false, "SELECT p FROM u WHERE n = ?"},
		{"sqlite numbered", "SELECT p FROM u WHERE n = ?1", lexOpts{}, false, "SELECT p FROM u WHERE n = ?"},
		{"in string", "SELECT p FROM u WHERE n = ? AND x <> 'a?b'", pgLex, true, "SELECT p FROM u WHERE n = $1 AND x <> 'a?b'"},
		{"doubled quote", "SELECT p FROM u WHERE x = 'it''s ?' AND n = ?", lexOpts{}, false, "SELECT p FROM u WHERE x = 'it''s ?' AND n = ?"},
		{"quoted ident", `SELECT "pass?" FROM u WHERE n = ?`, pgLex, true, `SELECT "pass?" FROM u WHERE n = $1`},
		{"backtick", "SELECT `pass?` FROM u WHERE n = ?", mysqlLex, false, "SELECT `pass?` FROM u WHERE n = ?"},
		{"mysql backslash", `SELECT p FROM u WHERE x = 'a\'?' AND n = ?`, mysqlLex, false, `SELECT p FROM u WHERE x = 'a\'?' AND n = ?`},
		{"pg E string", `SELECT p FROM u WHERE x = E'a\'?' AND n = ?`, pgLex, true, `SELECT p FROM u WHERE x = E'a\'?' AND n = $1`},
		{"line comment", "SELECT p FROM u -- who?\nWHERE n = ?", pgLex, true, "SELECT p FROM u -- who?\nWHERE n = $1"},
		{"hash comment", "SELECT p FROM u # who?\nWHERE n = ?", mysqlLex, false, "SELECT p FROM u # who?\nWHERE n = ?"},
		{"block comment", "SELECT p /* ? */ FROM u WHERE n = ?", lexOpts{}, false, "SELECT p /* ? */ FROM u WHERE n = ?"},
		{"nested comment", "SELECT p /* a /* ? */ ? */ FROM u WHERE n = ?", pgLex, true, "SELECT p /* a /* ? */ ? */ FROM u WHERE n = $1"},
		{"dollar quote", "SELECT p FROM u WHERE x <> $q$ ? $1 $q$ AND n = ?", pgLex, true, "SELECT p FROM u WHERE x <> $q$ ? $1 $q$ AND n = $1"},
		{"after identifier", "SELECT p FROM u WHERE n=x?", pgLex, true, ""},
		{"before identifier", "SELECT p FROM u WHERE n=$1$0", lexOpts{}, false, ""},
		{"identifier with dollar", "SELECT a$1 FROM u WHERE n = ?", pgLex, true, "SELECT a$1 FROM u WHERE n = $1"},
		{"mysql minus minus", "SELECT 1--1 FROM u WHERE n = ?", mysqlLex, false, "SELECT 1--1 FROM u WHERE n = ?"},
		{"none", "SELECT p FROM u", pgLex, true, ""},
		{"two", "SELECT p FROM u WHERE n = ? OR m = ?", pgLex, true, ""},
		{"dollar two", "SELECT p FROM u WHERE n = $2", pgLex, true, ""},
		{"dollar zero", "SELECT p FROM u WHERE n = $0", pgLex, true, ""},
		{"unterminated string", "SELECT p FROM u WHERE n = ? AND x = 'oops", pgLex, true, ""},
		{"unterminated comment", "SELECT p FROM u WHERE n = ? /* oops", pgLex, true, ""},
		{"unterminated dollar", "SELECT p FROM u WHERE n = ? AND x = $$oops", pgLex, true, ""},
		{"only in comment", "SELECT p FROM u -- WHERE n = ?", pgLex, true, ""},
	}
	for _, tt := range tests {
		got, err := bindOne(tt.in, tt.o, tt.dollar)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: bindOne(%q) = %q, want an error", tt.name, tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: bindOne(%q) = %q, %v; want %q", tt.name, tt.in, got, err, tt.want)
		}
	}
	if _, err := bindOne("SELECT 1", lexOpts{}, false); !errors.Is(err, ErrPlaceholder) {
		t.Errorf("no placeholder: %v, want ErrPlaceholder", err)
	}
}

func TestRebind(t *testing.T) {
	got := rebind("INSERT INTO t (a, b, c) VALUES (?, '?', ?)", pgLex, true)
	if want := "INSERT INTO t (a, b, c) VALUES ($1, '?', $2)"; got != want {
		t.Errorf("rebind = %q, want %q", got, want)
	}
}

// FuzzBindOne: never panics; a query it accepts comes back with exactly one
// placeholder in the driver's style, the rest of the text untouched, and
// binding again changes nothing.
func FuzzBindOne(f *testing.F) {
	for _, s := range []string{
		"SELECT p FROM u WHERE n = ?", "SELECT p FROM u WHERE n = $1", "SELECT 'a?' || ? -- ?\n",
		"SELECT $q$?$q$, ?", "/* /* ? */ */ ?", "SELECT `?`, \"?\", ?1", "E'\\'?' ?", "$$", "?99999999999",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, q string, mode uint8) {
		o := []lexOpts{{}, pgLex, mysqlLex}[int(mode)%3]
		dollar := o.dollarQuote
		out, err := bindOne(q, o, dollar)
		if err != nil {
			return
		}
		ps, err := scanPlaceholders(out, o)
		if err != nil || len(ps) != 1 || ps[0].num != 1 {
			t.Fatalf("bindOne(%q) = %q, which rescans as %v, %v", q, out, ps, err)
		}
		marker := "?"
		if dollar {
			marker = "$1"
		}
		if out[ps[0].start:ps[0].end] != marker {
			t.Fatalf("bindOne(%q) = %q: marker %q, want %q", q, out, out[ps[0].start:ps[0].end], marker)
		}
		in, _ := scanPlaceholders(q, o)
		if q[:in[0].start] != out[:ps[0].start] || q[in[0].end:] != out[ps[0].end:] {
			t.Fatalf("bindOne(%q) = %q changed more than the placeholder", q, out)
		}
		if again, err := bindOne(out, o, dollar); err != nil || again != out {
			t.Fatalf("bindOne not idempotent: %q -> %q -> %q, %v", q, out, again, err)
		}
	})
}

// FuzzValidUserName: every name we accept can log in (CheckInput lets it
// through) and can be a ticket uid (no '!', no control character).
func FuzzValidUserName(f *testing.F) {
	for _, s := range []string{"alice", `*()\,=+<>#;"'`, "a!b", " x", "x\u2028", "日本", "\xff", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckUserName(name) != nil {
			return
		}
		if err := authsrc.CheckInput(t.Context(), name, "pw"); err != nil {
			t.Fatalf("CheckUserName(%q) accepts a name CheckInput refuses: %v", name, err)
		}
		if strings.ContainsRune(name, '!') || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			t.Fatalf("CheckUserName(%q) accepts a name that can't be a uid", name)
		}
		if CheckGroupName(name) == nil && strings.ContainsAny(name, ", \t") {
			t.Fatalf("CheckGroupName(%q) accepts a token separator", name)
		}
	})
}
