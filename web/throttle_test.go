package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc/htpasswd"
)

func TestThrottlePerUser(t *testing.T) {
	forEachThrottleStore(t, func(t *testing.T, store ThrottleStore) {
		f := newFixture(t, func(o *Config) { o.Throttle = ThrottleConfig{MaxFailures: 3, Window: 3 * time.Minute, Store: store} })
		for i := range 3 {
			if w := f.login("alice", "wrong", ""); w.Code != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d", i, w.Code)
			}
		}
		calls := f.src.calls.Load()
		// Locked: even the right password is refused without asking the store.
		w := f.login("alice", alicePass, testBackURL)
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", w.Code)
		}
		if got := w.Header().Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After %q, want 60 (one attempt back per Window/MaxFailures)", got)
		}
		if !strings.Contains(w.Body.String(), "Too many attempts, try again in 60 s.") || reasonOf(w.Body.String()) != string(reasonThrottled) {
			t.Errorf("body %s", w.Body)
		}
		if hiddenBack(w.Body.String()) != strings.ReplaceAll(testBackURL, "&", "&amp;") {
			t.Error("back lost on the throttled page")
		}
		if f.src.calls.Load() != calls {
			t.Error("a throttled attempt reached the Source")
		}
		if f.metrics.throttled != 1 || f.metrics.logins[resultThrottled] != 1 {
			t.Errorf("metrics %+v", f.metrics)
		}
		// Another user from the same address is not locked by alice's failures.
		if w := f.login("bob", bobPass, ""); w.Code != http.StatusSeeOther {
			t.Fatalf("bob: status %d", w.Code)
		}
		// Half a token later still locked, with the wait counting down.
		f.now = f.now.Add(30 * time.Second)
		if w := f.login("alice", alicePass, ""); w.Code != 429 || w.Header().Get("Retry-After") != "30" {
			t.Fatalf("after 30s: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		f.now = f.now.Add(30 * time.Second)
		if w := f.login("alice", alicePass, ""); w.Code != http.StatusSeeOther {
			t.Fatalf("after the wait: status %d", w.Code)
		}
		// A success forgives the user's failures: a full burst again.
		for i := range 3 {
			if w := f.login("alice", "wrong", ""); w.Code != http.StatusUnauthorized {
				t.Fatalf("after success, attempt %d: status %d", i, w.Code)
			}
		}
		if w := f.login("ALICE", "wrong", ""); w.Code != http.StatusTooManyRequests {
			t.Fatalf("user name case evades the lock: status %d", w.Code)
		}
	})
}

func TestThrottlePerIP(t *testing.T) {
	forEachThrottleStore(t, func(t *testing.T, store ThrottleStore) {
		f := newFixture(t, func(o *Config) {
			o.Throttle = ThrottleConfig{MaxFailures: 100, MaxIPFailures: 4, Window: time.Hour, Store: store}
		})
		for i := range 4 {
			if w := f.login("user"+strconv.Itoa(i), "wrong", ""); w.Code != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d", i, w.Code)
			}
		}
		calls := f.src.calls.Load()
		w := f.login("bob", bobPass, "")
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "900" {
			t.Fatalf("status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		if f.src.calls.Load() != calls {
			t.Error("throttled attempt reached the Source")
		}
		// Another address is free.
		w = f.do(req{method: "POST", target: "/login", form: map[string][]string{"user": {"bob"}, "password": {bobPass}}, cookies: []*http.Cookie{probe()}, remote: "198.51.100.1:1"})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("other address: status %d", w.Code)
		}
	})
}

func TestThrottleStoreDownDoesNotCount(t *testing.T) {
	forEachThrottleStore(t, func(t *testing.T, store ThrottleStore) {
		f := newFixture(t, func(o *Config) {
			users, err := htpasswd.New(htpasswd.Config{Path: t.TempDir() + "/missing", Lazy: true})
			if err != nil {
				t.Fatal(err)
			}
			o.Source = users
			o.Throttle = ThrottleConfig{MaxFailures: 2, Store: store}
		})
		for i := range 5 {
			if w := f.login("alice", alicePass, ""); w.Code != http.StatusServiceUnavailable {
				t.Fatalf("attempt %d: status %d, want 503 (an outage must not lock users out)", i, w.Code)
			}
		}
	})
}

func TestThrottleDisabled(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Throttle = ThrottleConfig{Disabled: true, MaxFailures: 1} })
	for i := range 5 {
		if w := f.login("alice", "wrong", ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i, w.Code)
		}
	}
}

func TestThrottleBoundedKeys(t *testing.T) {
	th := newThrottler(ThrottleConfig{MaxFailures: 1, MaxIPFailures: 1000, Window: time.Hour, MaxKeys: 10}.withDefaults())
	now := time.Now()
	for i := range 100 {
		a, _ := th.begin(context.Background(), "u"+strconv.Itoa(i), netip.MustParseAddr("192.0.2.1"), now)
		if a == nil {
			t.Fatalf("user %d throttled", i)
		}
	}
	b := th.local.buckets
	if b["pair"].Len() > 10 || b["net"].Len() > 10 || b["user"].Len() > 10 {
		t.Errorf("state grew: %d users, %d ips, %d names", b["pair"].Len(), b["net"].Len(), b["user"].Len())
	}
}

func TestIPKey(t *testing.T) {
	tests := map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
	}
	for in, want := range tests {
		if got := ipKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("ipKey(%s) = %s, want %s", in, got, want)
		}
	}
}

// An attacker who knows a user name must not lock the real user out: the
// user's bucket is per client network, so failures from one address leave
// the user free to log in from another.
func TestThrottleNoRemoteLockout(t *testing.T) {
	forEachThrottleStore(t, func(t *testing.T, store ThrottleStore) {
		f := newFixture(t, func(o *Config) { o.Throttle = ThrottleConfig{MaxFailures: 3, Window: 3 * time.Minute, Store: store} })
		attacker := "198.51.100.66:5555"
		post := func(pw, remote string) int {
			form := url.Values{"user": {"alice"}, "password": {pw}}
			return f.do(req{method: http.MethodPost, target: "/login", form: form, cookies: []*http.Cookie{probe()}, remote: remote}).Code
		}
		for i := range 3 {
			if code := post("wrong", attacker); code != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d", i, code)
			}
		}
		if code := post(alicePass, attacker); code != http.StatusTooManyRequests {
			t.Fatalf("attacker's address: status %d, want 429", code)
		}
		if code := post(alicePass, ""); code != http.StatusSeeOther {
			t.Fatalf("alice from her own address: status %d, want 303", code)
		}
	})
}

// Guessing one user's password from many addresses is bounded by the
// user's own budget (the attack that found it: 60 addresses x 5 guesses
// each all reached the store), and IPv6 addresses of one /48 count alike;
// meanwhile the real user still signs in from the address they used before,
// and a new address waits for the budget's next token.
func TestThrottlePerUserAcrossAddresses(t *testing.T) {
	forEachThrottleStore(t, func(t *testing.T, store ThrottleStore) {
		f := newFixture(t, func(o *Config) { o.Throttle = ThrottleConfig{Store: store} }) // the defaults: 5, 20, 20 per 15 min
		post := func(pw, remote string) *httptest.ResponseRecorder {
			form := url.Values{"user": {"alice"}, "password": {pw}}
			return f.do(req{method: http.MethodPost, target: "/login", form: form, cookies: []*http.Cookie{probe()}, remote: remote})
		}
		if w := post(alicePass, ""); w.Code != http.StatusSeeOther { // alice's usual address
			t.Fatalf("alice: %d", w.Code)
		}
		before := f.src.calls.Load()
		for i := range 60 {
			remote := fmt.Sprintf("198.51.%d.%d:5555", i/200, i%200+1)
			if i >= 30 {
				remote = fmt.Sprintf("[2001:db8:77:%x::1]:5555", i) // one /48, a /64 each
			}
			for range 5 {
				post("guess", remote)
			}
		}
		// 20 for unknown addresses, of which alice's own first login took one.
		if got := f.src.calls.Load() - before; got != 19 {
			t.Errorf("%d of 300 guesses from 60 addresses reached the store, want 19", got)
		}
		if w := post(alicePass, ""); w.Code != http.StatusSeeOther {
			t.Errorf("alice from her usual address during the attack: %d, want 303", w.Code)
		}
		w := post(alicePass, "203.0.113.9:4000")
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "45" {
			t.Errorf("alice from a new address: %d, Retry-After %q; want 429 and 45 (15 min / 20)", w.Code, w.Header().Get("Retry-After"))
		}
		f.now = f.now.Add(45 * time.Second)
		if w := post(alicePass, "203.0.113.9:4000"); w.Code != http.StatusSeeOther {
			t.Errorf("alice from a new address, 45 s later: %d", w.Code)
		}
		// Her success gives the attackers nothing back.
		if w := post("guess", "198.51.100.200:5555"); w.Code != http.StatusTooManyRequests {
			t.Errorf("a new attacker address after alice's login: %d, want 429", w.Code)
		}
	})
}

// A client that is locked out cannot push other users' buckets out of
// the bounded LRU (resetting their counts) by trying made-up names.
func TestThrottleLockedClientEvictsNobody(t *testing.T) {
	forEachThrottleStore(t, func(t *testing.T, store ThrottleStore) {
		th := newThrottler(ThrottleConfig{MaxFailures: 1, MaxIPFailures: 1, Window: time.Hour, MaxKeys: 2, Store: store}.withDefaults())
		now := time.Now()
		victimIP, attacker := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1")
		if a, _ := th.begin(context.Background(), "victim", victimIP, now); a == nil {
			t.Fatal("first attempt refused")
		}
		if a, _ := th.begin(context.Background(), "x", attacker, now); a == nil {
			t.Fatal("the attacker's first attempt refused")
		}
		for _, name := range []string{"y", "z", "w"} {
			if a, _ := th.begin(context.Background(), name, attacker, now); a != nil {
				t.Fatalf("a locked client tried %q", name)
			}
		}
		if a, _ := th.begin(context.Background(), "victim", victimIP, now); a != nil {
			t.Error("the victim's failure was forgotten: its bucket was evicted")
		}
	})
}
