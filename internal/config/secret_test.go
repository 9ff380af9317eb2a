package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

func TestEnsureSecret(t *testing.T) {
	c := Defaults()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	created, err := c.EnsureSecret()
	if err != nil || !created {
		t.Fatalf("EnsureSecret = %v, %v; want a new secret", created, err)
	}
	for path, mode := range map[string]os.FileMode{c.DataDir: 0o700, c.SecretPath(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, mode %v; want %04o", path, err, fi.Mode().Perm(), mode)
		}
	}
	b, _ := os.ReadFile(c.SecretPath())
	sec, ok := strings.CutSuffix(string(b), "\n")
	if raw, err := hex.DecodeString(sec); !ok || err != nil || len(raw) != 32 {
		t.Errorf("secret file holds %q, want 64 hex digits and a newline", b)
	}
	entries, _ := os.ReadDir(c.DataDir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the secret (no temporary file left)", len(entries))
	}

	// A second start keeps the secret.
	created, err = c.EnsureSecret()
	if again, _ := os.ReadFile(c.SecretPath()); err != nil || created || !bytes.Equal(again, b) {
		t.Errorf("second EnsureSecret = %v, %v and changed the secret: %v", created, err, !bytes.Equal(again, b))
	}

	// A configured secret file is never generated.
	c2 := Defaults()
	c2.DataDir = filepath.Join(t.TempDir(), "data")
	c2.Ticket.SecretFile = filepath.Join(t.TempDir(), "secret")
	if created, err := c2.EnsureSecret(); err != nil || created {
		t.Errorf("with secret_file: %v, %v", created, err)
	}
	if _, err := os.Stat(c2.Ticket.SecretFile); !os.IsNotExist(err) {
		t.Errorf("secret_file was created: %v", err)
	}
}

// Two tktd starting at once on a fresh data directory agree on the secret.
func TestEnsureSecretConcurrent(t *testing.T) {
	c := Defaults()
	c.DataDir = t.TempDir()
	var wg sync.WaitGroup
	results := make([]bool, 8)
	for i := range results {
		wg.Go(func() {
			created, err := c.EnsureSecret()
			if err != nil {
				t.Error(err)
			}
			results[i] = created
		})
	}
	wg.Wait()
	n := 0
	for _, r := range results {
		if r {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of %d callers created the secret, want exactly 1", n, len(results))
	}
	if sec, _, err := ReadSecretFile(c.SecretPath()); err != nil || len(sec) != 64 {
		t.Errorf("secret %q, %v", sec, err)
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content string
		mode    os.FileMode
		want    string
		loose   bool
		err     string
	}{
		{"abc\n", 0o600, "abc", false, ""},
		{"abc\r\n", 0o600, "abc", false, ""},
		{"abc", 0o400, "abc", false, ""},
		{"with space \n", 0o600, "with space ", false, ""},
		{"two\n\n", 0o600, "two\n", false, ""},
		{"abc\n", 0o644, "abc", true, ""},
		{"abc\n", 0o640, "abc", true, ""},
		{"\n", 0o600, "", false, "is empty"},
		{"", 0o600, "", false, "is empty"},
	}
	for i, tt := range tests {
		p := testenv.WriteFile(t, filepath.Join(dir, "s"+string(rune('a'+i))), tt.content, tt.mode)
		got, loose, err := ReadSecretFile(p)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.content, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || loose != tt.loose {
			t.Errorf("%q mode %04o: got %q, loose %v, %v; want %q, %v", tt.content, tt.mode, got, loose, err, tt.want, tt.loose)
		}
	}
}

func TestTicketConfig(t *testing.T) {
	dir := t.TempDir()
	c := Defaults()
	c.Ticket = Ticket{
		Digest:         "sha512",
		SecretFile:     testenv.WriteFile(t, filepath.Join(dir, "secret"), "current secret, of 32 bytes ....\n", 0o644),
		OldSecretFiles: []string{testenv.WriteFile(t, filepath.Join(dir, "old"), "previous secret, of 32 bytes ...\n", 0o600)},
		Timeout:        time.Hour,
		Refresh:        0.5,
		IgnoreIP:       true,
		Tokens:         []string{"staff"},
	}
	var logs bytes.Buffer
	got, err := c.TicketConfig(slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := ticket.Config{Digest: ticket.SHA512, Secret: "current secret, of 32 bytes ....", OldSecrets: []string{"previous secret, of 32 bytes ..."},
		Timeout: time.Hour, Refresh: 0.5, IgnoreIP: true, Tokens: []string{"staff"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// The world-readable secret is reported, by file, never by content.
	if !strings.Contains(logs.String(), "readable by group or others") || !strings.Contains(logs.String(), c.Ticket.SecretFile) ||
		strings.Contains(logs.String(), "current secret") || strings.Contains(logs.String(), "previous secret") || strings.Contains(logs.String(), "short secret") {
		t.Errorf("log: %s", logs.String())
	}
	if _, err := ticket.NewVerifier(got); err != nil {
		t.Errorf("the result does not make a verifier: %v", err)
	}

	// Every unreadable file is reported.
	c.Ticket.SecretFile = filepath.Join(dir, "gone")
	c.Ticket.OldSecretFiles = []string{testenv.WriteFile(t, filepath.Join(dir, "empty"), "\n", 0o600)}
	_, err = c.TicketConfig(nil)
	wantErrs := []string{
		"ticket.secret_file: open " + c.Ticket.SecretFile + ": no such file or directory",
		"ticket.old_secret_files[0]: " + c.Ticket.OldSecretFiles[0] + " is empty",
	}
	if diff := cmp.Diff(wantErrs, problemStrings(err)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// A secret under 16 bytes gives itself up to anyone holding one ticket
// (a one-byte one did in 0.14 s): config check, start and reload refuse
// it, old secrets too, with the key and what to do; ticket.allow_weak_secret
// keeps a legacy one, loudly. Under 32 bytes is only warned about.
func TestWeakSecrets(t *testing.T) {
	dir := t.TempDir()
	weak := testenv.WriteFile(t, filepath.Join(dir, "weak"), "x\n", 0o600)
	short := testenv.WriteFile(t, filepath.Join(dir, "short"), "twenty bytes, almost\n", 0o600)
	good := testenv.WriteFile(t, filepath.Join(dir, "good"), "a secret of thirty-two bytes....\n", 0o600)
	for _, c := range []struct {
		yaml, want string
	}{
		{"ticket: {secret_file: " + weak + "}", "ticket.secret_file: " + weak + ": secret too short: 1 bytes, at least 16 are needed (32 recommended); make a new one with tktctl secret new"},
		{"ticket: {secret_file: " + good + ", old_secret_files: [" + weak + "]}", "ticket.old_secret_files[0]: " + weak + ": secret too short: 1 bytes"},
		{"ticket: {secret_file: " + weak + "}", "set ticket.allow_weak_secret: true"},
	} {
		_, err := Parse([]byte(c.yaml), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), `"x"`) {
			t.Errorf("config check of %s: %v, want %q", c.yaml, err, c.want)
		}
	}
	for _, y := range []string{
		"ticket: {secret_file: " + weak + ", allow_weak_secret: true}",
		"ticket: {secret_file: " + short + "}",
	} {
		if _, err := Parse([]byte(y), nil); err != nil {
			t.Errorf("config check of %s: %v", y, err)
		}
	}

	// Start and reload read the secrets through TicketConfig.
	c := Defaults()
	c.Ticket.SecretFile = weak
	if _, err := c.TicketConfig(nil); err == nil || !strings.Contains(err.Error(), "ticket.secret_file: ") || !errors.Is(err, ticket.ErrWeakSecret) {
		t.Errorf("TicketConfig with a weak secret: %v", err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c.Ticket.AllowWeakSecret = true
	tc, err := c.TicketConfig(log)
	if err != nil || !tc.AllowWeakSecret {
		t.Fatalf("TicketConfig with allow_weak_secret: %+v, %v", tc.AllowWeakSecret, err)
	}
	if _, err := ticket.NewVerifier(tc); err != nil {
		t.Errorf("the verifier refuses the allowed weak secret: %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "WEAK SECRET IN USE") || !strings.Contains(logs.String(), "bytes=1") {
		t.Errorf("no loud log line for an allowed weak secret:\n%s", logs.String())
	}
	logs.Reset()
	c.Ticket.AllowWeakSecret, c.Ticket.SecretFile = false, short
	if _, err := c.TicketConfig(log); err != nil || !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "short secret") {
		t.Errorf("a 20-byte secret: %v, log %s", err, logs.String())
	}
}
