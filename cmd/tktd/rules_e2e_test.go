package main

import (
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// rulesConf is a forward_auth section with every kind of rule, as a site
// migrating from mod_auth_tkt writes it (or import-apache does).
const rulesConf = `forward_auth:
  login_url: https://login.example.com/login
  rules:
    - paths: [/intranet]
      networks: [127.0.0.0/30]
      bypass: true
    - paths: [/old]
      deny: true
    - paths: [/upload]
      methods: [POST]
      all_tokens: [staff, admin]
    - paths: [/board]
      users: [bob]
      unauth_url: https://login.example.com/denied
    - paths: [/backup]
      tokens: [backup]
      timeout: 30d
      refresh: 0
      ignore_ip: true
    - paths: [/secure]
      require_tls: true
      timeout_url: https://login.example.com/timeout
gate:
  upstream: http://127.0.0.1:9
  login_url: https://login.example.com/login
  timeout: 30d
  users: [svc]
`

// TestE2EForwardAuthRules asks the real tktd's /auth/nginx, as nginx
// would, under each rule of rulesConf: the configuration file's rules
// reach the endpoint with every setting, first match wins.
func TestE2EForwardAuthRules(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	cfg := proxySite(t, rulesConf)
	p := startTktd(t, tktdBin, nil, "--config", cfg)
	secret, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "secret"))
	if err != nil {
		t.Fatal(err)
	}
	mint := func(user, tokens, ip string, age time.Duration) string {
		m := ticket.Minter{Digest: ticket.HMACSHA256, Secret: strings.TrimSuffix(string(secret), "\n")}
		v, err := m.MintCookie(ticket.Ticket{UID: user, Tokens: ticket.Tokens(tokens), Time: time.Now().Add(-age)}, netip.MustParseAddr(ip))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	alice := mint("alice", "staff,admin", "127.0.0.9", time.Minute)
	bob := mint("bob", "staff", "127.0.0.9", time.Minute)
	backup := mint("svc-backup", "backup", "0.0.0.0", 10*24*time.Hour)
	old := mint("alice", "staff,admin", "127.0.0.9", 3*time.Hour)
	for _, c := range []struct {
		name, method, url, client, cookie string
		status                            int
		location, user                    string
	}{
		{"networks: bypass inside", "GET", "https://app.example.com/intranet/x", "127.0.0.2", "", 200, "", ""},
		{"networks: outside, a ticket needed", "GET", "https://app.example.com/intranet/x", "127.0.0.9", "", 401, "https://login.example.com/login?back=https%3A%2F%2Fapp.example.com%2Fintranet%2Fx", ""},
		{"deny", "GET", "https://app.example.com/old/x", "127.0.0.9", alice, 403, "", ""},
		{"methods + all_tokens: held", "POST", "https://app.example.com/upload", "127.0.0.9", alice, 200, "", "alice"},
		{"methods + all_tokens: one missing", "POST", "https://app.example.com/upload", "127.0.0.9", bob, 403, "", ""},
		{"methods: another method, the fallback", "GET", "https://app.example.com/upload", "127.0.0.9", bob, 200, "", "bob"},
		{"users: listed", "GET", "https://app.example.com/board", "127.0.0.9", bob, 200, "", "bob"},
		{"users: not listed, unauth_url", "GET", "https://app.example.com/board", "127.0.0.9", alice, 403, "https://login.example.com/denied?back=https%3A%2F%2Fapp.example.com%2Fboard", ""},
		{"timeout 30d, ignore_ip: a 10-day service ticket", "GET", "https://app.example.com/backup/db", "127.0.0.5", backup, 200, "", "svc-backup"},
		{"the 10-day ticket elsewhere", "GET", "https://app.example.com/page", "127.0.0.5", backup, 401, "https://login.example.com/login?back=https%3A%2F%2Fapp.example.com%2Fpage", ""},
		{"require_tls", "GET", "http://app.example.com/secure?a=1", "127.0.0.9", alice, 401, "https://app.example.com/secure?a=1", ""},
		{"timeout_url", "GET", "https://app.example.com/secure", "127.0.0.9", old, 401, "https://login.example.com/timeout?back=https%3A%2F%2Fapp.example.com%2Fsecure", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, p.base+"/auth/nginx", nil)
			req.Header.Set("X-Original-URL", c.url)
			req.Header.Set("X-Original-Method", c.method)
			req.Header.Set("X-Forwarded-For", c.client)
			req.Header.Set("Accept", "text/html")
			if c.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "auth_tkt", Value: c.cookie})
			}
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status || resp.Header.Get("Location") != c.location || resp.Header.Get("Remote-User") != c.user {
				t.Errorf("%d %q user %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Remote-User"), c.status, c.location, c.user)
			}
		})
	}

	// The gate takes its own timeout and users from the same file.
	gate := startGate(t, tktdBin, nil, "--config", cfg)
	// 502: let through to the (absent) application.
	if got := atGate(t, gate, mint("svc", "", "127.0.0.1", 10*24*time.Hour)); got != http.StatusBadGateway {
		t.Errorf("gate, svc's 10-day ticket under gate.timeout 30d: %d, want it let through (502 from the absent application)", got)
	}
	if got := atGate(t, gate, mint("alice", "", "127.0.0.1", time.Minute)); got != http.StatusForbidden {
		t.Errorf("gate, alice, not in gate.users: %d, want 403", got)
	}
}
