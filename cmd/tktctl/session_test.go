package main

import (
	"context"
	"encoding/json"
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

// sessionInstance is a tktd instance's Sessions on the machine's Redis,
// under the key prefix of env.
func sessionInstance(t *testing.T, url, prefix string) *shared.Sessions {
	t.Helper()
	ctx := context.Background()
	c, err := shared.Open(ctx, shared.Config{URL: url, KeyPrefix: prefix, TicketTimeout: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSession(t *testing.T) {
	env, url, prefix := revokeEnv(t)
	instance := sessionInstance(t, url, prefix)
	ctx := context.Background()
	if r := runTktctl(t, env, "", "session", "list"); r.Code != 0 || r.Out != "no sessions\n" {
		t.Errorf("list with none: %+v", r)
	}
	a1, err := instance.Create(ctx, shared.Session{User: "alice", Tokens: "staff", Client: "192.0.2.10", UserAgent: "Mozilla/5.0 (X11) Firefox/140.0"})
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := instance.Create(ctx, shared.Session{User: "alice", Client: "2001:db8::1", UserAgent: "curl/8.0"})
	b, _ := instance.Create(ctx, shared.Session{User: "Zoë Ü"})

	r := runTktctl(t, env, "", "session", "list")
	rows := strings.Split(strings.TrimSpace(r.Out), "\n")
	if r.Code != 0 || len(rows) != 4 || !regexp.MustCompile(`^ID +USER +CREATED +LAST SEEN +CLIENT +USER AGENT$`).MatchString(rows[0]) ||
		!strings.HasPrefix(rows[1], b.ID+"  Zoë Ü") || !regexp.MustCompile(`  - +-$`).MatchString(rows[1]) { // by user: "Z" < "a"
		t.Errorf("list:\n%s", r.Out)
	}
	r = runTktctl(t, env, "", "session", "list", "alice")
	stamp := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
	row := regexp.MustCompile("^" + a1.ID + "  alice  " + stamp + "  " + stamp + `  192\.0\.2\.10 +Mozilla/5\.0 \(X11\) Firefox/140\.0$`)
	if rows := strings.Split(strings.TrimSpace(r.Out), "\n"); r.Code != 0 || len(rows) != 3 || !(row.MatchString(rows[1]) || row.MatchString(rows[2])) {
		t.Errorf("list alice:\n%s", r.Out)
	}
	r = runTktctl(t, env, "", "session", "list", "alice", "--json")
	var got []shared.Session
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil || r.Code != 0 || len(got) != 2 {
		t.Fatalf("list --json: %v\n%+v", err, r)
	}
	for _, g := range got {
		if g.ID == a1.ID && (g.UserAgent != a1.UserAgent || g.Tokens != "staff" || !g.Created.Equal(a1.Created) || !g.Expires.Equal(a1.Expires)) {
			t.Errorf("--json: %+v, want %+v", g, a1)
		}
	}
	if !strings.Contains(r.Out, `"user_agent": "Mozilla/5.0 (X11) Firefox/140.0"`) || !strings.Contains(r.Out, `"last_seen": "`) {
		t.Errorf("--json field names:\n%s", r.Out)
	}

	// End one by id (as tktctl inspect shows it, too): the instance
	// refuses it within a second.
	r = runTktctl(t, env, "", "session", "end", "tkt-sid:"+a1.ID)
	if r.Code != 0 || !regexp.MustCompile("^ended session "+a1.ID+` of alice \(logged in `+stamp+` from 192\.0\.2\.10\); its tickets are refused\n$`).MatchString(r.Out) {
		t.Errorf("end ID: %+v", r)
	}
	testenv.WaitFor(t, "the instance to refuse the ended session", time.Second, func() bool {
		return errors.Is(instance.Check(a1.ID), tkthttp.ErrSessionEnded)
	})
	if err := instance.Check(a2.ID); err != nil {
		t.Errorf("alice's other session: %v", err)
	}
	r = runTktctl(t, env, "", "session", "end", "GHOSTGHOSTGHOSTGHOSTGH")
	if r.Code != 0 || !strings.Contains(r.Out, "it had no record") {
		t.Errorf("end of an id without a record: %+v", r)
	}

	r = runTktctl(t, env, "", "session", "end", "--user", "alice")
	if r.Code != 0 || !strings.HasPrefix(r.Out, "ended session "+a2.ID+" of alice") || strings.Count(r.Out, "\n") != 1 {
		t.Errorf("end --user alice: %+v", r)
	}
	testenv.WaitFor(t, "the instance to refuse alice's other session", time.Second, func() bool {
		return errors.Is(instance.Check(a2.ID), tkthttp.ErrSessionEnded)
	})
	if r := runTktctl(t, env, "", "session", "end", "--user", "alice"); r.Code != 0 || r.Out != "no sessions of alice to end\n" {
		t.Errorf("end --user with none: %+v", r)
	}
	if r := runTktctl(t, env, "", "session", "list", "alice"); r.Code != 0 || r.Out != "no sessions of alice\n" {
		t.Errorf("list alice after: %+v", r)
	}
}

func TestSessionUsage(t *testing.T) {
	env, _, _ := revokeEnv(t)
	for _, args := range [][]string{
		{"session", "end"},
		{"session", "end", "short"},
		{"session", "end", "AAAAAAAAAAAAAAAAAAAAAA", "--user", "alice"},
		{"session", "end", "--user", "a!b"},
		{"session", "list", "a", "b"},
		{"session", "list", "nl\n"},
		{"session", "bogus"},
	} {
		if r := runTktctl(t, env, "", args...); r.Code != 2 {
			t.Errorf("%q: %+v, want exit 2", args, r)
		}
	}
	if r := runTktctl(t, nil, "", "session", "list"); r.Code != 2 || !strings.Contains(r.Err, "no Redis configured") {
		t.Errorf("without Redis: %+v", r)
	}
	// A Redis that does not answer: exit 1, said so.
	if r := runTktctl(t, map[string]string{"TKT_REDIS_URL": "redis://127.0.0.1:1/0"}, "", "session", "end", "--user", "alice"); r.Code != 1 || !strings.Contains(r.Err, "redis unreachable") {
		t.Errorf("Redis away: %+v", r)
	}
	// A configuration with ticket timeout 0 cannot hold sessions.
	url, prefix := redistest.Running(t)
	dir := t.TempDir()
	cfg := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), "data_dir: "+dir+"\nticket: {timeout: 0}\nredis:\n  url: "+url+"\n  key_prefix: \""+prefix+"\"\n", 0o600)
	if r := runTktctl(t, nil, "", "session", "list", "--config", cfg); r.Code != 1 || !strings.Contains(r.Err, "sessions need a ticket timeout") {
		t.Errorf("ticket timeout 0: %+v", r)
	}
}
