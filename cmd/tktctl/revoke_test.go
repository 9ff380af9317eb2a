package main

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// revokeEnv is an environment naming the machine's Redis, under a key
// prefix of the test's own.
func revokeEnv(t *testing.T) (map[string]string, string, string) {
	url, prefix := redistest.Running(t)
	return map[string]string{"TKT_REDIS_URL": url, "TKT_REDIS_KEY_PREFIX": prefix}, url, prefix
}

func TestRevoke(t *testing.T) {
	env, url, prefix := revokeEnv(t)
	// A tktd instance following the marks.
	ctx := context.Background()
	c, err := shared.Open(ctx, shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	instance := c.Revocations(ctx)
	issued := time.Now().Add(-time.Minute)

	if r := runTktctl(t, env, "", "revoke", "--list"); r.Code != 0 || r.Out != "no revocation marks\n" {
		t.Errorf("--list with none: %+v", r)
	}
	r := runTktctl(t, env, "", "revoke", "alice", "Zoë Ü")
	line := `revoked %s's tickets issued up to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(the mark expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n`
	want := regexp.MustCompile("^" + strings.ReplaceAll(line, "%s", "alice") + strings.ReplaceAll(line, "%s", "Zoë Ü") + "$")
	if r.Code != 0 || !want.MatchString(r.Out) || r.Err != "" {
		t.Errorf("revoke alice 'Zoë Ü': %+v", r)
	}
	testenv.WaitFor(t, "the instance to refuse alice's ticket", time.Second, func() bool {
		return errors.Is(instance.Check("alice", issued), tkthttp.ErrRevoked)
	})
	if err := instance.Check("bob", issued); err != nil {
		t.Errorf("bob: %v", err)
	}

	r = runTktctl(t, env, "", "revoke", "--all")
	if r.Code != 0 || !strings.HasPrefix(r.Out, "revoked every user's tickets issued up to ") {
		t.Errorf("--all: %+v", r)
	}
	testenv.WaitFor(t, "the instance to refuse bob's ticket", time.Second, func() bool {
		return errors.Is(instance.Check("bob", issued), tkthttp.ErrRevoked)
	})

	r = runTktctl(t, env, "", "revoke", "--list")
	rows := strings.Split(strings.TrimSpace(r.Out), "\n")
	if r.Code != 0 || len(rows) != 4 || !strings.HasPrefix(rows[0], "WHOSE TICKETS") ||
		!strings.HasPrefix(rows[1], "all users") || !strings.HasPrefix(rows[2], "user Zoë Ü") || !strings.HasPrefix(rows[3], "user alice") {
		t.Errorf("--list: %+v", r)
	}
}

// With --config, the redis and ticket sections count: ticket timeout 0
// makes marks that never expire.
func TestRevokeConfigFile(t *testing.T) {
	url, prefix := redistest.Running(t)
	dir := t.TempDir()
	cfg := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), "data_dir: "+dir+"\nticket: {timeout: 0}\nredis:\n  url: "+url+"\n  key_prefix: \""+prefix+"\"\n", 0o600)
	r := runTktctl(t, nil, "", "revoke", "alice", "--config", cfg)
	if r.Code != 0 || !strings.HasSuffix(r.Out, "(the mark never expires: ticket.timeout is 0)\n") {
		t.Errorf("revoke --config: %+v", r)
	}
	r = runTktctl(t, nil, "", "revoke", "--list", "--config", cfg)
	if r.Code != 0 || !strings.Contains(r.Out, "user alice") || !strings.HasSuffix(strings.TrimSpace(r.Out), "never") {
		t.Errorf("--list --config: %+v", r)
	}
}

func TestRevokeErrors(t *testing.T) {
	env, _, _ := revokeEnv(t)
	down := map[string]string{"TKT_REDIS_URL": "redis://" + testenv.FreeAddr(t) + "/0"}
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		err  string
	}{
		{"nothing", env, nil, 2, "name the users whose tickets to revoke, or give --all"},
		{"users and --all", env, []string{"alice", "--all"}, 2, "not both"},
		{"--list and --all", env, []string{"--list", "--all"}, 2, "--list takes neither"},
		{"a bad name", env, []string{"a!b"}, 2, "contains '!'"},
		{"an unknown flag", env, []string{"--al"}, 2, "unknown flag"},
		{"no Redis", nil, []string{"alice"}, 2, "no Redis configured: set redis.url (TKT_REDIS_URL)"},
		{"Redis down", down, []string{"alice"}, 1, "redis unreachable: redis://127.0.0.1:"},
		{"Redis down, --list", down, []string{"--list"}, 1, "connection refused"},
		{"a bad URL", map[string]string{"TKT_REDIS_URL": "http://:s3cret@h/"}, []string{"alice"}, 1, `redis.url: scheme "http"`},
		{"a missing file", nil, []string{"alice", "--config", "/nonexistent.yaml"}, 1, "no such file"},
	} {
		r := runTktctl(t, c.env, "", append([]string{"revoke"}, c.args...)...)
		if r.Code != c.code || !strings.Contains(r.Err, c.err) || r.Out != "" || strings.Contains(r.Err, "s3cret") {
			t.Errorf("%s: %+v; want exit %d saying %q", c.name, r, c.code, c.err)
		}
	}
}

// A password change, and a deletion, revoke the user's older tickets on
// every instance when Redis is configured, and say so; without Redis they
// say what that means.
func TestUserChangesRevoke(t *testing.T) {
	env, url, prefix := revokeEnv(t)
	ctx := context.Background()
	c, err := shared.Open(ctx, shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	instance := c.Revocations(ctx)
	issued := time.Now().Add(-time.Minute)
	data := filepath.Join(t.TempDir(), "data")
	for _, u := range []string{"alice", "bob"} {
		if r := runTktctl(t, nil, "password\n", "user", "add", u, "--password-stdin", "--data-dir", data, "--bcrypt-cost", "4"); r.Code != 0 {
			t.Fatalf("user add %s: %+v", u, r)
		}
	}
	r := runTktctl(t, env, "password-2\n", "user", "passwd", "alice", "--password-stdin", "--data-dir", data, "--bcrypt-cost", "4")
	if r.Code != 0 || !strings.Contains(r.Out, "changed the password of alice\nrevoked alice's tickets issued up to ") {
		t.Errorf("passwd with Redis: %+v", r)
	}
	r = runTktctl(t, env, "", "user", "del", "bob", "--data-dir", data)
	if r.Code != 0 || !strings.Contains(r.Out, "deleted user bob\nrevoked bob's tickets issued up to ") {
		t.Errorf("del with Redis: %+v", r)
	}
	for _, u := range []string{"alice", "bob"} {
		testenv.WaitFor(t, u+"'s older ticket refused", time.Second, func() bool {
			return errors.Is(instance.Check(u, issued), tkthttp.ErrRevoked)
		})
	}
	r = runTktctl(t, nil, "password-3\n", "user", "passwd", "alice", "--password-stdin", "--data-dir", data, "--bcrypt-cost", "4")
	if r.Code != 0 || r.Out != "changed the password of alice\n" || !strings.Contains(r.Err, "no Redis configured: alice's tickets issued before the password change stay valid") {
		t.Errorf("passwd without Redis: %+v", r)
	}
	down := map[string]string{"TKT_REDIS_URL": "redis://" + testenv.FreeAddr(t) + "/0"}
	r = runTktctl(t, down, "password-4\n", "user", "passwd", "alice", "--password-stdin", "--data-dir", data, "--bcrypt-cost", "4")
	if r.Code != 1 || !strings.Contains(r.Err, "the password change is done, but alice's older tickets were not revoked") {
		t.Errorf("passwd with Redis down: %+v", r)
	}
}
