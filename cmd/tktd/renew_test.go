package main

import (
	"context"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// TestAppRenewsFromTheStores: /auth re-issues a ticket due for refresh
// with the groups the stores behind HTTP Basic's credential cache give its
// user. The cache remembers a lookup for cache_ttl; a reload forgets it,
// and the renewal goes on working with the reloaded stores.
func TestAppRenewsFromTheStores(t *testing.T) {
	write := privateFiles(t, t.TempDir())
	hash, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := write("htpasswd", "bob:"+string(hash)+"\n")
	groups := write("groups", "staff: bob\n")
	a, srv, logs := startApp(t, func(c *config.Config) {
		c.Stores = []config.Store{{Type: config.StoreHtpasswd, Htpasswd: &config.HtpasswdStore{Path: users, GroupPath: groups}}}
		c.TrustedProxies = []string{"127.0.0.1"}
	})
	secret, err := os.ReadFile(a.cfg.SecretPath())
	if err != nil {
		t.Fatal(err)
	}
	old, err := ticket.Minter{Digest: ticket.HMACSHA256, Secret: strings.TrimSuffix(string(secret), "\n")}.MintCookie(
		ticket.Ticket{UID: "bob", Tokens: "staff", Time: time.Now().Add(-90 * time.Minute)}, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	// ask presents the old ticket at /auth/nginx and returns the tokens of
	// the ticket re-issued, or "-" for none.
	ask := func(what string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/auth/nginx", nil)
		req.Header.Set("X-Original-URL", "http://app.example.com/x")
		req.Header.Set("Cookie", "auth_tkt="+old)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d, want 200: the old ticket stays valid", what, resp.StatusCode)
		}
		value, ok := testenv.SetCookieValue(resp, "auth_tkt")
		if !ok {
			return "-"
		}
		r, err := verifyWith(t, a.cfg.SecretPath(), ticket.HMACSHA256, value)
		if err != nil || r.UID != "bob" {
			t.Fatalf("%s: the re-issued ticket: %+v, %v", what, r, err)
		}
		return string(r.Tokens)
	}

	if got := ask("first"); got != "staff" {
		t.Errorf("first refresh: tokens %q, want staff", got)
	}
	write("groups", "ops: bob\n")
	if got := ask("groups changed, before a reload"); got != "staff" {
		t.Errorf("within cache_ttl: tokens %q, want staff, as the cache remembers", got)
	}
	if err := a.reload("test"); err != nil {
		t.Fatal(err)
	}
	if got := ask("groups changed, reloaded"); got != "ops" {
		t.Errorf("after the reload: tokens %q, want ops", got)
	}
	write("htpasswd", "")
	if err := a.reload("test"); err != nil {
		t.Fatal(err)
	}
	if got := ask("deleted"); got != "-" {
		t.Errorf("a deleted user's ticket was re-issued with tokens %q", got)
	}
	if !strings.Contains(logs.String(), `"msg":"ticket not re-issued: the user no longer exists","component":"renew","user":"bob"`) {
		t.Errorf("the refusal is not logged:\n%s", logs.String())
	}
}

// The gate renews only with stores (gate.basic); without them it
// refreshes tickets as they are, as before.
func TestGateRenewsOnlyWithStores(t *testing.T) {
	for _, basic := range []bool{false, true} {
		c := config.Defaults()
		c.DataDir = filepath.Join(t.TempDir(), "data")
		c.Gate.Upstream, c.Gate.Basic = "http://127.0.0.1:9", basic
		if _, err := c.EnsureSecret(); err != nil {
			t.Fatal(err)
		}
		a, err := newGateApp(context.Background(), c, newLogger(config.Log{Level: "error"}, &testenv.SyncBuffer{}), newMetrics("test"))
		if err != nil {
			t.Fatal(err)
		}
		if (a.renew != nil) != basic {
			t.Errorf("gate.basic %v: renewal on: %v", basic, a.renew != nil)
		}
		a.close()
	}
}
