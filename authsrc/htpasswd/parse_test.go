package htpasswd

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// Hashes written by htpasswd -nbs / -nbd for "pw".
const (
	shaPW = "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM="
	desPW = "wfxdF.9WQ5NfY"
)

func TestParseUsers(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		plain    bool
		want     userTable
		wantWarn int
	}{
		{"empty", "", false, userTable{}, 0},
		{"comments and blanks", "# a comment\n\n   \n#x:" + shaPW + "\nalice:" + shaPW + "\n", false, userTable{"alice": shaPW}, 0},
		{"CRLF and surrounding space", "  alice:" + shaPW + " \r\nbob:" + desPW + "\r\n", false, userTable{"alice": shaPW, "bob": desPW}, 0},
		{"no final newline", "alice:" + shaPW, false, userTable{"alice": shaPW}, 0},
		{"space inside a name", "john doe:" + shaPW + "\n", false, userTable{"john doe": shaPW}, 0},
		{"first of two wins", "alice:" + shaPW + "\nalice:" + desPW + "\n", false, userTable{"alice": shaPW}, 1},
		{"not UTF-8", "\xffalice:" + shaPW + "\n", false, userTable{"\xffalice": shaPW}, 1},
		{"13 characters are DES, never plain", "alice:" + desPW + "\n", true, userTable{"alice": desPW}, 0},
		{"plain with colon", "alice:pa:ss\n", true, userTable{"alice": "pa:ss"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings := 0
			got, err := parseUsers([]byte(tt.in), "f", pwhash.Verifier{AllowPlain: tt.plain}, func(string) { warnings++ })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			if warnings != tt.wantWarn {
				t.Errorf("%d warnings, want %d", warnings, tt.wantWarn)
			}
		})
	}
}

func TestParseGroups(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    groupTable
		wantErr string
	}{
		{"simple", "admins: alice bob\n", groupTable{"alice": {"admins"}, "bob": {"admins"}}, ""},
		{"merged and sorted", "b: alice\na: alice alice\n# c: alice\nb:alice\n", groupTable{"alice": {"a", "b"}}, ""},
		{"tabs and no members", "a:\talice\t \tbob\nempty:\n", groupTable{"alice": {"a"}, "bob": {"a"}}, ""},
		{"quoted", `a: "john doe" 'it''s' "say \"hi\"" x` + "\n",
			groupTable{"john doe": {"a"}, "it": {"a"}, "s": {"a"}, `say "hi"`: {"a"}, "x": {"a"}}, ""},
		{"hostile member", `a: *()\,=+<>#;"'` + "\n", groupTable{`*()\,=+<>#;"'`: {"a"}}, ""},
		{"space before colon", "admins : alice\n", groupTable{"alice": {"admins"}}, ""},
		{"no colon", "admins alice\n", nil, "f:1: no ':'"},
		{"empty group", ": alice\n", nil, "f:1: empty group name"},
		{"comma in group", "a,b: alice\n", nil, "f:1: group name"},
		{"space in group", "a b: alice\n", nil, "f:1: group name"},
		{"open quote", "a: alice\na: \"bob\n", nil, "f:2: unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseGroups([]byte(tt.in), "f")
			if tt.wantErr != "" {
				var pe *ParseError
				if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a ParseError starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParse feeds both parsers arbitrary files. They must not panic; what
// parseUsers accepts must be usable (names without ':', hashes Verify can
// read) and must read back the same when written out again.
func FuzzParse(f *testing.F) {
	f.Add([]byte("alice:"+shaPW+"\n# c\n\nbob:"+desPW+"\r\n"), true)
	f.Add([]byte("a: alice \"john doe\" 'x\\'y'\nb:alice\n"), false)
	f.Add([]byte("alice:$2y$05$P6hUC72xJkdV4KEK0bXL9esbBbdYOeFOgNafrExcxoGKKxslrMJ3S\n"), false)
	f.Add([]byte("alice:$apr1$cpNxnR28$VY6dNQ//q5eZ6xuUA64Mj/\nalice:plain\n"), true)
	f.Add([]byte("x:$6$rounds=5000$saltsalt$"+strings.Repeat("a", 86)+"\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, plain bool) {
		v := pwhash.Verifier{AllowPlain: plain}
		users, err := parseUsers(data, "f", v, func(string) {})
		if err == nil {
			var out strings.Builder
			for u, h := range users {
				if u == "" || strings.Contains(u, ":") || u != strings.TrimSpace(u) || u[0] == '#' {
					t.Fatalf("accepted user name %q", u)
				}
				if err := v.Check(h); err != nil {
					t.Fatalf("accepted hash %q: %v", h, err)
				}
				out.WriteString(u + ":" + h + "\n")
			}
			again, err := parseUsers([]byte(out.String()), "f", v, func(string) {})
			if err != nil {
				t.Fatalf("written back, %q no longer parses: %v", out.String(), err)
			}
			if diff := cmp.Diff(users, again); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
		} else if pe := (*ParseError)(nil); !errors.As(err, &pe) || pe.Line < 1 {
			t.Fatalf("error %v is not a ParseError with a line", err)
		}
		groups, err := parseGroups(data, "f")
		if err == nil {
			for u, gs := range groups {
				for _, g := range gs {
					if g == "" || strings.ContainsAny(g, ", \t:") {
						t.Fatalf("user %q: accepted group name %q", u, g)
					}
				}
			}
		}
	})
}
