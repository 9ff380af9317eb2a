package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// cliResult is what one in-process tktctl run produced.
type cliResult struct {
	Out, Err string
	Code     int
}

// runTktctl runs tktctl in-process with env as its whole environment.
func runTktctl(t testing.TB, env map[string]string, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	s := newStreams(strings.NewReader(stdin), &out, &errb, getenv)
	s.environ = func() []string {
		var l []string
		for k, v := range env {
			l = append(l, k+"="+v)
		}
		return l
	}
	code := run(s, args)
	return cliResult{Out: out.String(), Err: errb.String(), Code: code}
}

// rawWith is the raw ticket the reference Minter makes for alice at ts
// 1700000000 under secret: what tktctl must print when it used that secret.
func rawWith(t testing.TB, secret string) string {
	t.Helper()
	raw, err := ticket.Minter{Digest: ticket.MD5, Secret: secret, AllowWeakSecret: true}.Mint(
		ticket.Ticket{UID: "alice", Time: time.Unix(1700000000, 0)}, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	return raw + "\n"
}

func TestSecretPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := testenv.WriteFile(t, filepath.Join(dir, "secret"), "from-file, a secret of 32 bytes.\n", 0o600)
	env := map[string]string{secretEnv: "from-env, a secret of 32 bytes.."}
	mint := []string{"mint", "--raw", "--user", "alice", "--ts", "1700000000"}
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		want  string
	}{
		{"file beats flag and env", env, []string{"--secret-file", file, "--secret", "from-flag, a secret of 32 bytes."}, "from-file, a secret of 32 bytes."},
		{"flag beats env", env, []string{"--secret", "from-flag, a secret of 32 bytes."}, "from-flag, a secret of 32 bytes."},
		{"env alone", env, nil, "from-env, a secret of 32 bytes.."},
		{"file alone", nil, []string{"--secret-file", file}, "from-file, a secret of 32 bytes."},
		{"flag order does not matter", env, []string{"--secret", "from-flag, a secret of 32 bytes.", "--secret-file", file}, "from-file, a secret of 32 bytes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, tt.env, "", append(mint, tt.flags...)...)
			want := cliResult{Out: rawWith(t, tt.want)}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// Only one "\n" or "\r\n" is stripped: blanks are part of the secret.
func TestSecretFileNewline(t *testing.T) {
	const long = "thirty-two bytes of secret, and " // so that no warning comes
	tests := []struct{ content, secret string }{
		{"abc\n", "abc"},
		{"abc\r\n", "abc"},
		{"abc", "abc"},
		{"abc \n", "abc "},
		{" abc\t", " abc\t"},
		{"abc\n\n", "abc\n"},
		{"abc\r", "abc\r"},
		{"two words\n", "two words"},
	}
	for _, tt := range tests {
		tt.content, tt.secret = long+tt.content, long+tt.secret
		t.Run(tt.content, func(t *testing.T) {
			f := testenv.WriteFile(t, filepath.Join(t.TempDir(), "s"), tt.content, 0o600)
			r := runTktctl(t, nil, "", "mint", "--raw", "--user", "alice", "--ts", "1700000000", "--secret-file", f)
			if diff := cmp.Diff(cliResult{Out: rawWith(t, tt.secret)}, r); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestSecretFileModeWarning(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o400, 0o640, 0o604, 0o644} {
		t.Run(mode.String(), func(t *testing.T) {
			const secret = "Zq9-distinctive-secret"
			f := testenv.WriteFile(t, filepath.Join(t.TempDir(), "s"), secret+"\n", mode)
			r := runTktctl(t, nil, "", "mint", "--user", "alice", "--secret-file", f)
			if r.Code != 0 {
				t.Fatalf("exit %d: %s", r.Code, r.Err)
			}
			warned := strings.Contains(r.Err, "warning: secret file") && strings.Contains(r.Err, "chmod 600")
			if want := mode&0o077 != 0; warned != want {
				t.Errorf("warned = %v, want %v; stderr %q", warned, want, r.Err)
			}
			if strings.Contains(r.Err, secret) {
				t.Errorf("stderr shows the secret: %q", r.Err)
			}
		})
	}
}

func TestSecretErrors(t *testing.T) {
	dir := t.TempDir()
	empty := testenv.WriteFile(t, filepath.Join(dir, "empty"), "", 0o600)
	newline := testenv.WriteFile(t, filepath.Join(dir, "newline"), "\n", 0o600)
	good := testenv.WriteFile(t, filepath.Join(dir, "good"), "a secret of 32 bytes for tktctl.", 0o600)
	big := testenv.WriteFile(t, filepath.Join(dir, "big"), strings.Repeat("x", maxSecretFile+1), 0o600)
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"none", nil, []string{"mint", "--user", "a"}, "tktctl: no secret: give --secret-file FILE, --secret SECRET or the TKT_SECRET environment variable\n"},
		{"empty env is none", map[string]string{secretEnv: ""}, []string{"mint", "--user", "a"}, "tktctl: no secret: give --secret-file FILE, --secret SECRET or the TKT_SECRET environment variable\n"},
		{"empty flag", nil, []string{"mint", "--user", "a", "--secret", ""}, "tktctl: --secret is empty\n"},
		{"empty file name", nil, []string{"mint", "--user", "a", "--secret-file", ""}, "tktctl: --secret-file is empty\n"},
		{"missing file", nil, []string{"mint", "--user", "a", "--secret-file", missing}, "tktctl: secret file: open " + missing + ": no such file or directory\n"},
		{"empty file", nil, []string{"mint", "--user", "a", "--secret-file", empty}, "tktctl: secret file " + empty + " is empty\n"},
		{"newline only", nil, []string{"mint", "--user", "a", "--secret-file", newline}, "tktctl: secret file " + newline + " is empty\n"},
		{"too big", nil, []string{"mint", "--user", "a", "--secret-file", big}, "tktctl: secret file " + big + " is larger than 65536 bytes\n"},
		{"missing old file", nil, []string{"verify", "--secret-file", good, "--old-secret-file", missing, "x"}, "tktctl: secret file: open " + missing + ": no such file or directory\n"},
		{"verify without secret", nil, []string{"verify", "x"}, "tktctl: no secret: give --secret-file FILE, --secret SECRET or the TKT_SECRET environment variable\n"},
		{"a directory", nil, []string{"mint", "--user", "a", "--secret-file", dir}, "tktctl: secret file: read " + dir + ": is a directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, tt.env, "", tt.args...)
			if diff := cmp.Diff(cliResult{Err: tt.wantErr, Code: exitUsage}, r); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func FuzzTrimSecretNewline(f *testing.F) {
	for _, s := range []string{"", "a", "a\n", "a\r\n", "a\n\n", "\r", "a \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := trimSecretNewline(s)
		cut, ok := strings.CutPrefix(s, got)
		if !ok {
			t.Fatalf("%q is not a prefix of %q", got, s)
		}
		want := ""
		switch {
		case strings.HasSuffix(s, "\r\n"):
			want = "\r\n"
		case strings.HasSuffix(s, "\n"):
			want = "\n"
		}
		if cut != want {
			t.Fatalf("trimSecretNewline(%q) cut %q, want %q", s, cut, want)
		}
	})
}
