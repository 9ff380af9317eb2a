package main

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// TestE2ERefreshAsksTheStore follows the issue with the real binaries: a
// ticket due for refresh is re-issued only after the user's store says who
// the user is now. tktd serve keeps its users in the data directory's
// SQLite store; tktctl deletes and re-adds the user from another process.
func TestE2ERefreshAsksTheStore(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	conf := privateFiles(t, dir)("tktd.yaml", "data_dir: "+data+"\ntrusted_proxies: [127.0.0.1]\nlog: {format: json}\n")
	p := startTktd(t, tktdBin, nil, "--config", conf)
	tktctl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(tktctlBin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tktctl %s: %v", strings.Join(args[:2], " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	secretFile := filepath.Join(data, "secret")

	tktctl("alice-pw\n", "user", "add", "--data-dir", data, "--password-stdin", "--group", "staff", "alice")
	resp, body := testenv.Login(t, testenv.Browser(t), p.base, "alice", "alice-pw", "/")
	value, _ := testenv.SetCookieValue(resp, "auth_tkt")
	if r, err := verifyWith(t, secretFile, ticket.HMACSHA256, value); err != nil || r.Tokens.Groups() != "staff" {
		t.Fatalf("login: %d, ticket %+v, %v\n%s", resp.StatusCode, r, err, body)
	}
	tktctl("", "user", "del", "--data-dir", data, "alice")

	// alice's ticket, issued more than half its two hours ago: due for
	// refresh, and still valid.
	mint := func(age time.Duration) string {
		return tktctl("", "mint", "--secret-file", secretFile, "--digest", "hmac-sha256", "--user", "alice", "--tokens", "staff",
			"--ip", "127.0.0.1", "--ts", strconv.FormatInt(time.Now().Add(-age).Unix(), 10))
	}
	old := mint(61 * time.Minute)
	ask := func(cookie string) (int, string) { return askAuth(t, p.base, "http://127.0.0.1/app", cookie) }
	if status, fresh := ask(old); status != http.StatusOK || fresh != "" {
		t.Errorf("alice deleted: %d, re-issued %q; want 200 with the old ticket and nothing re-issued", status, fresh)
	}
	// The log reaches us through a pipe, maybe after the answer.
	testenv.WaitFor(t, "tktd to log why", 5*time.Second, func() bool {
		return strings.Contains(p.logs.String(), `"msg":"ticket not re-issued: the user no longer exists","component":"renew","user":"alice"`)
	})
	if status, _ := ask(mint(2*time.Hour + time.Minute)); status != http.StatusUnauthorized {
		t.Errorf("a ticket past its timeout: %d, want 401", status)
	}

	// Back with other groups: the next refresh carries them, once the
	// few seconds for which "no such user" is remembered have passed.
	tktctl("alice-pw-2\n", "user", "add", "--data-dir", data, "--password-stdin", "--group", "ops,audit", "alice")
	var fresh string
	testenv.WaitFor(t, "a re-issued ticket", 15*time.Second, func() bool {
		_, fresh = ask(old)
		return fresh != ""
	})
	if r, err := verifyWith(t, secretFile, ticket.HMACSHA256, fresh); err != nil || r.UID != "alice" || r.Tokens != "audit,ops" {
		t.Errorf("the re-issued ticket: %+v, %v; want alice with audit,ops", r, err)
	}
}
