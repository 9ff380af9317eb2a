package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
)

// Redis hangs mid-run (SIGSTOP): logins go on, throttled by this
// instance's own buckets (never unlimited, nobody else locked), none
// waits much longer than the request timeout, and when Redis resumes the
// throttle counts there again, as it stood: the failures counted in
// memory meanwhile are not merged, and the command Redis read late is not
// applied twice.
func TestThrottleSharedOutage(t *testing.T) {
	srv := redistest.Start(t)
	var logs testenv.SyncBuffer
	store := redisThrottle(t, shared.Config{URL: srv.URL, CallTimeout: time.Second, RequestTimeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	f := newFixture(t, func(o *Config) {
		o.Throttle = ThrottleConfig{MaxFailures: 3, MaxIPFailures: 3, Window: time.Hour, Store: store}
	})
	post := func(user, pw, remote string) (int, time.Duration) {
		start := time.Now()
		w := f.do(req{method: http.MethodPost, target: "/login", form: url.Values{"user": {user}, "password": {pw}}, cookies: []*http.Cookie{probe()}, remote: remote})
		return w.Code, time.Since(start)
	}
	const home, elsewhere = testClient + ":4711", "198.51.100.7:4711"
	for i := range 2 {
		if code, _ := post("alice", "wrong", home); code != http.StatusUnauthorized {
			t.Fatalf("failure %d before the outage: %d", i, code)
		}
	}

	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer srv.Thaw()
	// This instance's buckets are fresh: three failures, then locked.
	var slowest time.Duration
	for i, want := range []int{401, 401, 401, 429} {
		code, took := post("alice", "wrong", home)
		if code != want {
			t.Fatalf("attempt %d while Redis hangs: %d, want %d", i, code, want)
		}
		slowest = max(slowest, took)
	}
	t.Logf("the slowest login while Redis hangs took %v (request timeout 200ms)", slowest)
	if slowest > time.Second {
		t.Errorf("a login took %v while Redis hangs: the request timeout is 200ms", slowest)
	}
	if code, _ := post("alice", alicePass, home); code != http.StatusTooManyRequests {
		t.Errorf("the right password, locked in memory: %d, want 429", code)
	}
	if code, _ := post("bob", bobPass, elsewhere); code != http.StatusSeeOther {
		t.Errorf("bob from elsewhere while Redis hangs: %d, want 303", code)
	}

	// Long enough that the command Redis reads when it resumes is past
	// its deadline (request timeout + 50ms).
	time.Sleep(500 * time.Millisecond)
	if err := srv.Thaw(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	testenv.WaitFor(t, "the throttle to use Redis again", 10*time.Second, func() bool {
		_, err := store.Known(ctx, "probe", time.Hour, time.Now())
		return err == nil
	})
	// Redis's buckets stand where they stood: one failure left, for the
	// pair and for the network alike (the Take Redis read after the
	// freeze was past its deadline, and not applied).
	if code, _ := post("alice", "wrong", home); code != http.StatusUnauthorized {
		t.Fatalf("the third failure, on Redis again: %d, want 401", code)
	}
	if code, _ := post("alice", alicePass, home); code != http.StatusTooManyRequests {
		t.Errorf("after the third failure on Redis: %d, want 429", code)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "redis unreachable") || !strings.Contains(lines[1], "redis reachable again") {
		t.Errorf("want one line when Redis went away and one when it came back, got:\n%s", logs.String())
	}
	if store.Fallbacks() == 0 {
		t.Error("no fallback counted")
	}
}
