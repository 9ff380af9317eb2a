package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
)

func TestSecretNewStdout(t *testing.T) {
	tests := []struct {
		args  []string
		bytes int
	}{
		{nil, 32},
		{[]string{"--bytes", "16"}, 16},
		{[]string{"--bytes", "1024"}, 1024},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			seen := map[string]bool{}
			for range 3 {
				r := runTktctl(t, nil, "", append([]string{"secret", "new"}, tt.args...)...)
				sec, ok := strings.CutSuffix(r.Out, "\n")
				b, err := hex.DecodeString(sec)
				if r.Code != 0 || r.Err != "" || !ok || err != nil || len(b) != tt.bytes || sec != strings.ToLower(sec) {
					t.Fatalf("got %+v (%d bytes, %v), want %d bytes of lowercase hex and a newline", r, len(b), err, tt.bytes)
				}
				if seen[sec] {
					t.Fatalf("the same secret twice: %s", sec)
				}
				seen[sec] = true
			}
		})
	}
}

func TestSecretNewOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "secret")
	r := runTktctl(t, nil, "", "secret", "new", "--out", out)
	if diff := cmp.Diff(cliResult{Err: "tktctl: wrote a new 256-bit secret to " + out + " (mode 0600)\n"}, r); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	first, _ := os.ReadFile(out)
	if len(first) != 65 || first[64] != '\n' {
		t.Errorf("file holds %q", first)
	}
	// The file works as a secret file, silently (mode 0600).
	minted := runTktctl(t, nil, "", "mint", "--secret-file", out, "--user", "alice")
	verified := runTktctl(t, nil, "", "verify", "--secret", string(first[:64]), strings.TrimSpace(minted.Out))
	if minted.Code != 0 || minted.Err != "" || verified.Code != 0 {
		t.Errorf("mint with the new file: %+v; verify with its content: %+v", minted, verified)
	}

	// No replacing without --force; the old secret stays.
	r = runTktctl(t, nil, "", "secret", "new", "--out", out)
	if r.Code != exitInvalid || !strings.Contains(r.Err, "file exists (use --force to replace it)") || r.Out != "" {
		t.Errorf("existing file: %+v", r)
	}
	if now, _ := os.ReadFile(out); string(now) != string(first) {
		t.Errorf("existing secret changed without --force")
	}

	// --force replaces it, keeping 0600.
	if r := runTktctl(t, nil, "", "secret", "new", "--out", out, "--force"); r.Code != 0 {
		t.Fatalf("--force: %+v", r)
	}
	second, _ := os.ReadFile(out)
	if string(second) == string(first) || len(second) != 65 {
		t.Errorf("--force left %q", second)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// Replacing a file never widens its mode, and narrows a too-open one.
func TestSecretNewForceMode(t *testing.T) {
	tests := []struct{ before, after os.FileMode }{
		{0o600, 0o600},
		{0o400, 0o400},
		{0o644, 0o600},
		{0o666, 0o600},
		{0o200, 0o200},
	}
	for _, tt := range tests {
		t.Run(tt.before.String(), func(t *testing.T) {
			p := testenv.WriteFile(t, filepath.Join(t.TempDir(), "s"), "old\n", tt.before)
			r := runTktctl(t, nil, "", "secret", "new", "--out", p, "--force")
			if r.Code != 0 {
				t.Fatalf("%+v", r)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.after {
				t.Errorf("mode %04o, want %04o", fi.Mode().Perm(), tt.after)
			}
		})
	}
}

func TestSecretNewErrors(t *testing.T) {
	dir := t.TempDir()
	target := testenv.WriteFile(t, filepath.Join(dir, "target"), "keep\n", 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"too few bytes", []string{"new", "--bytes", "15"}, exitUsage, "--bytes 15: want 16 to 1024"},
		{"too many bytes", []string{"new", "--bytes", "1025"}, exitUsage, "--bytes 1025: want 16 to 1024"},
		{"argument", []string{"new", "x"}, exitUsage, `unknown command "x"`},
		{"symlink without force", []string{"new", "--out", link}, exitInvalid, "file exists"},
		{"symlink with force", []string{"new", "--out", link, "--force"}, exitInvalid, "not a regular file"},
		{"directory", []string{"new", "--out", dir, "--force"}, exitInvalid, "not a regular file"},
		{"no such directory", []string{"new", "--out", filepath.Join(dir, "nope", "s")}, exitInvalid, "no such file or directory"},
		{"unknown subcommand", []string{"rotate"}, exitUsage, `unknown command "rotate" for "tktctl secret"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTktctl(t, nil, "", append([]string{"secret"}, tt.args...)...)
			if r.Code != tt.code || r.Out != "" || !strings.Contains(r.Err, tt.want) {
				t.Errorf("got %+v, want exit %d and %q", r, tt.code, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("symlink target changed to %q", b)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// writeExclusive is the path for file systems without hard links.
func TestWriteExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s")
	if err := writeExclusive(p, "abc\n", 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, %v", fi, err)
	}
	if err := writeExclusive(p, "other\n", 0o600); err != errSecretExists {
		t.Errorf("second write: %v, want errSecretExists", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "abc\n" {
		t.Errorf("content %q", b)
	}
}
