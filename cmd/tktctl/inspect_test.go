package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tkt-sso/tkt/ticket"
)

func TestInspectReferenceVector(t *testing.T) {
	v := loadRefVectors(t)["mint-md5-tokens-data"]
	want := `UNVERIFIED ticket (no secret was checked)
digest:  ec4447dc3f80bdbd4fcdd6957256bfb2 (32 hex digits: md5)
time:    2023-11-14T22:13:20Z (unix 1700000000)
uid:     "alice"
tokens:  "finance,admin"
data:    "uid=42;role=x"
`
	r := runTktctl(t, nil, "", "inspect", v.Request.CookieValue)
	if diff := cmp.Diff(cliResult{Out: want}, r); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// No secret is needed, and one in the environment is not used.
	if r2 := runTktctl(t, map[string]string{secretEnv: "a secret of 32 bytes for tktctl."}, "", "inspect", v.Request.CookieValue); r2 != r {
		t.Errorf("with TKT_SECRET set: %+v", r2)
	}
}

func TestInspectJSON(t *testing.T) {
	cookie := mintCookie(t, "--user", "bob", "--digest", "sha256", "--tokens", "t", "--data", "<d>")
	r := runTktctl(t, nil, "", "inspect", "--json", cookie)
	if r.Code != 0 || r.Err != "" {
		t.Fatalf("%+v", r)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil {
		t.Fatal(err)
	}
	raw, err := ticket.DecodeValue(cookie)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"verified": false, "digest": raw[:64], "likely": []any{"sha256", "hmac-sha256"},
		"time": "2023-11-14T22:13:20Z", "ts": float64(testTS), "user": "bob", "tokens": "t", "data": "<d>",
		"ticket": raw,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if !strings.Contains(r.Out, `"data":"<d>"`) {
		t.Errorf("HTML-escaped output: %s", r.Out)
	}
}

func TestInspectCases(t *testing.T) {
	sha512 := mintCookie(t, "--user", "carol", "--digest", "sha512")
	tests := []struct {
		name, value, stdin string
		code               int
		out                []string // lines that must appear on stdout
		errOut             string
	}{
		{"sha512", sha512, "", 0, []string{"UNVERIFIED ticket (no secret was checked)", "(128 hex digits: sha512)", `uid:     "carol"`}, ""},
		{"stdin", "-", " " + sha512 + "\n", 0, []string{"UNVERIFIED", `uid:     "carol"`}, ""},
		{"raw text", "0123456789abcdef0123456789abcdef6553f100eve!!x", "", 0, []string{"(32 hex digits: md5)", `uid:     "eve"`, `data:    "x"`}, ""},
		// A ticket is untrusted input: control characters are quoted, not
		// sent to the terminal.
		{"escape sequences", "0123456789abcdef0123456789abcdef6553f100e\x1b[31mve!!\x07", "", 0, []string{`uid:     "e\x1b[31mve"`, `data:    "\a"`}, ""},
		{"garbage (base64 stops at the blank)", "not a ticket", "", 1, nil, "tktctl: inspect: not a ticket of any digest type: malformed ticket: 2 bytes is too short for a sha512 ticket\n"},
		{"upper-case digest", "0123456789ABCDEF0123456789ABCDEF6553f100eve!", "", 1, nil, ""},
		{"empty stdin", "-", "", 2, nil, "tktctl: stdin is empty: want one ticket value\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, nil, tt.stdin, "inspect", tt.value)
			if r.Code != tt.code {
				t.Fatalf("exit %d, want %d: %+v", r.Code, tt.code, r)
			}
			if tt.errOut != "" && r.Err != tt.errOut {
				t.Errorf("stderr %q, want %q", r.Err, tt.errOut)
			}
			for _, l := range tt.out {
				if !strings.Contains(r.Out, l) {
					t.Errorf("stdout lacks %q:\n%s", l, r.Out)
				}
			}
			if tt.code == 0 && strings.ContainsAny(r.Out, "\x1b\x07") {
				t.Errorf("raw control characters on stdout: %q", r.Out)
			}
			if tt.code != 0 && r.Out != "" {
				t.Errorf("stdout on failure: %q", r.Out)
			}
		})
	}
}

// Whatever the value, inspect either shows an UNVERIFIED ticket or fails
// with exit 1, and never prints a control character.
func FuzzInspect(f *testing.F) {
	f.Add("ZWM0NDQ3ZGMzZjgwYmRiZDRmY2RkNjk1NzI1NmJmYjI2NTUzZjEwMGFsaWNlIWZpbmFuY2UsYWRtaW4hdWlkPTQyO3JvbGU9eA==")
	f.Add("0123456789abcdef0123456789abcdef6553f100eve!!x")
	f.Add(`"0123456789abcdef0123456789abcdef6553f100eve%21"`)
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		r := runTktctl(t, nil, "", "inspect", "--", value)
		switch r.Code {
		case 0:
			if !strings.HasPrefix(r.Out, "UNVERIFIED ticket (no secret was checked)\n") {
				t.Fatalf("output %q", r.Out)
			}
			for _, c := range r.Out {
				if c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f {
					t.Fatalf("control character %q in %q", c, r.Out)
				}
			}
		case 1:
			if r.Out != "" || !strings.HasPrefix(r.Err, "tktctl: inspect: ") {
				t.Fatalf("failure %+v", r)
			}
		case 2:
			if value != "-" {
				t.Fatalf("usage error for %q: %+v", value, r)
			}
		default:
			t.Fatalf("exit %d", r.Code)
		}
	})
}
