package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"

	"github.com/tkt-sso/tkt/authsrc/ldap"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// envOf is an environment holding m.
func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// problemStrings is Problems as text, for cmp.
func problemStrings(err error) []string {
	var out []string
	for _, e := range Problems(err) {
		out = append(out, e.Error())
	}
	return out
}

func TestZeroConfiguration(t *testing.T) {
	for _, in := range []string{"", "\n", "# only a comment\n", "---\n"} {
		got, err := Parse([]byte(in), noEnv)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if diff := cmp.Diff(Defaults(), got); diff != "" {
			t.Errorf("Parse(%q) (-want +got)\n%s", in, diff)
		}
	}
	d := Defaults()
	if d.Listen != "127.0.0.1:8080" || d.DataDir != "./tkt-data" || d.Ticket.Digest != "hmac-sha256" || !d.DefaultStore() {
		t.Errorf("defaults changed: %+v", d)
	}
	if got := d.SecretPath(); got != filepath.Join("tkt-data", "secret") {
		t.Errorf("SecretPath = %q", got)
	}
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	secret := testenv.WriteFile(t, filepath.Join(dir, "secret"), "a current secret, 32 bytes long\n", 0o600)
	old := testenv.WriteFile(t, filepath.Join(dir, "old"), "an older secret, 32 bytes long.\n", 0o600)
	users := testenv.WriteFile(t, filepath.Join(dir, "users"), "alice:$2y$05$abcdefghijklmnopqrstuu5Z1d1mGWGqHvn4l.B3n3z3O6D0cq0a\n", 0o644)
	pwfile := testenv.WriteFile(t, filepath.Join(dir, "bindpw"), "pw\n", 0o600)

	tests := []struct {
		name string
		yaml string
		want func(*Config)
	}{
		{"top level", `
listen: "0.0.0.0:8443"
data_dir: /var/lib/tkt
back_arg: dest
allowed_redirects: [app.example.com, .example.org]
default_url: https://app.example.com/
url_ticket_hosts: ["other.example.net:8443"]
title: Example SSO
trusted_proxies: [10.0.0.0/8, 192.0.2.1]
store_timeout: 3s
`, func(c *Config) {
			c.Listen, c.DataDir, c.BackArg = "0.0.0.0:8443", "/var/lib/tkt", "dest"
			c.AllowedRedirects = []string{"app.example.com", ".example.org"}
			c.DefaultURL = "https://app.example.com/"
			c.URLTicketHosts = []string{"other.example.net:8443"}
			c.Title = "Example SSO"
			c.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1"}
			c.StoreTimeout = 3 * time.Second
		}},
		{"ticket", `
ticket:
  digest: SHA256
  secret_file: ` + secret + `
  old_secret_files: [` + old + `]
  timeout: 1d
  refresh: 0.25
  ignore_ip: true
  tokens: [admin, staff]
  max_skew: -1s
`, func(c *Config) {
			c.Ticket = Ticket{Digest: "SHA256", SecretFile: secret, OldSecretFiles: []string{old},
				Timeout: 24 * time.Hour, Refresh: 0.25, IgnoreIP: true, Tokens: []string{"admin", "staff"}, MaxSkew: -time.Second}
		}},
		{"timeout 0 turns the time check off", "ticket: {timeout: 0, refresh: 0}\n", func(c *Config) {
			c.Ticket.Timeout, c.Ticket.Refresh = 0, 0
		}},
		{"hmac network binding", "ticket: {ipv4_prefix: 24, ipv6_prefix: 64}\n", func(c *Config) {
			c.Ticket.IPv4Prefix, c.Ticket.IPv6Prefix = 24, 64
		}},
		{"cookie, guest, throttle, server, log", `
cookie: {name: my_tkt, domain: .example.com, path: /app, secure: true, expires: 1w}
guest: {enabled: true, user: "guest-%12U"}
throttle: {max_failures: 3, window: 5m}
server: {shutdown_timeout: 5s, max_header_bytes: 8192, reload_interval: 0}
log: {level: debug, format: json}
`, func(c *Config) {
			c.Cookie = Cookie{Name: "my_tkt", Domain: ".example.com", Path: "/app", Secure: true, Expires: 7 * 24 * time.Hour}
			c.Guest = Guest{Enabled: true, User: "guest-%12U"}
			c.Throttle = Throttle{MaxFailures: 3, Window: 5 * time.Minute}
			c.Server.ShutdownTimeout, c.Server.MaxHeaderBytes, c.Server.ReloadInterval = 5*time.Second, 8192, 0
			c.Log = Log{Level: "debug", Format: "json", Access: "info", AccessRate: 50}
		}},
		{"stores", `
stores:
  - type: htpasswd
    name: local
    path: ` + users + `
    check_interval: 10s
    rehash: true
    bcrypt_cost: 12
    cache: {enabled: true, ttl: 2m, max_entries: 50, negative_ttl: 5s}
  - type: sql
    driver: postgres
    dsn: postgres://tkt@db/tkt
    queries: {password: "SELECT pw FROM users WHERE name = $1", groups: "SELECT g FROM groups WHERE u = $1"}
    query_timeout: 2s
  - type: ldap
    urls: [ldap://ldap.example.com]
    base_dn: dc=example,dc=com
    bind_dn: cn=tkt,dc=example,dc=com
    bind_password_file: ` + pwfile + `
    group_base_dn: ou=groups,dc=example,dc=com
    connect_timeout: 2s
  - type: sql
`, func(c *Config) {
			c.Stores = []Store{
				{Type: "htpasswd", Name: "local", Cache: Cache{Enabled: true, TTL: 2 * time.Minute, MaxEntries: 50, NegativeTTL: 5 * time.Second},
					Htpasswd: &HtpasswdStore{Path: users, CheckInterval: 10 * time.Second, Rehash: true, BcryptCost: 12}},
				{Type: "sql", SQL: &SQLStore{Driver: "postgres", DSN: "postgres://tkt@db/tkt", QueryTimeout: 2 * time.Second,
					Queries: &Queries{Password: "SELECT pw FROM users WHERE name = $1", Groups: "SELECT g FROM groups WHERE u = $1"}}},
				{Type: "ldap", LDAP: &LDAPStore{BindPasswordFile: pwfile, Config: ldap.Config{
					URLs: []string{"ldap://ldap.example.com"}, BaseDN: "dc=example,dc=com", BindDN: "cn=tkt,dc=example,dc=com",
					GroupBaseDN: "ou=groups,dc=example,dc=com", ConnectTimeout: 2 * time.Second}}},
				{Type: "sql", SQL: &SQLStore{}},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.yaml), noEnv)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Defaults()
			tt.want(&want)
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(ldap.Config{})); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestEveryProblemAtOnce is the promise of Load: one pass lists them all,
// each with its key path.
func TestEveryProblemAtOnce(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{"types, unknown keys and values", `
listen: nope
ticket:
  digest: sha1
  timeout: 7200
  refresh: 2
  secrte_file: x
  secret: inline
cookie:
  name: "a b"
  secure: maybe
  path: app
throttle:
  max_failures: lots
trusted_proxies: [10.0.0.300]
allowed_redirects: ["https://app.example.com", .ok.example.com, "bad host"]
`, nil, []string{
			`ticket.timeout: a duration needs a unit: write e.g. 30s, 15m, 2h or 1d (got the number 7200)`,
			`cookie.secure: want true or false, got "maybe"`,
			`throttle.max_failures: want a whole number, got "lots"`,
			`ticket.secret: secrets are not read from the configuration file: put the secret in a file of its own (mode 0600) and name it in ticket.secret_file`,
			`ticket.secrte_file: unknown setting (did you mean ticket.secret_file?)`,
			`listen: "nope" is not host:port (e.g. 127.0.0.1:8080 or :443)`,
			`ticket.digest: unknown digest "sha1": want md5, sha256, sha512 or hmac-sha256`,
			`ticket.refresh: 2 is outside 0 to 1`,
			`cookie.name: "a b" is not a cookie name (letters, digits and -._~)`,
			`cookie.path: "app" must start with / and hold no ';', ',', blanks or control characters`,
			`allowed_redirects[0]: "https://app.example.com": give the host only, without the scheme`,
			`allowed_redirects[2]: "bad host": not a host name (letters, digits, '-' and '.' only; IDNs in xn-- form; no path, user info or blanks)`,
			`trusted_proxies: [0]: "10.0.0.300" is not an address or CIDR prefix`,
		}},
		{"stores", `
stores:
  - type: htpasswd
    grup_path: x
  - type: ldap
    urls: [ldap://x]
  - type: foo
  - 5
  - type: sql
    driver: oracle
    bcrypt_cost: 99
    cache: {negative_ttl: 1m, tll: 5m}
  - type: htpasswd
    name: twin
    path: /nonexistent/tkt-users
    lazy: true
  - type: htpasswd
    name: twin
    path: /nonexistent/tkt-users
  - type: htpasswd
    path: /nonexistent/tkt-dir/users
    lazy: true
    rehash: true
    bcrypt_cost: 3
  - type: htpasswd
    path: /nonexistent/tkt-dir/users-2
    lazy: true
    bcrypt_cost: 12
`, nil, []string{
			`stores[0].grup_path: unknown setting (did you mean group_path?) for a htpasswd store`,
			`stores[2].type: unknown store type "foo": want htpasswd, sql or ldap`,
			`stores[3]: want a map with a type (htpasswd, sql or ldap), got 5`,
			`stores[4].cache.tll: unknown setting (did you mean cache.ttl?)`,
			`stores[0].path: missing: the htpasswd file`,
			`stores[1]: ldap: set BaseDN (search then bind) or UserDNTemplate (direct bind)`,
			`stores[4].cache.negative_ttl: 1m0s is outside 0 to 10s: a rejection is remembered for seconds at most`,
			`stores[4].driver: unknown driver "oracle": want sqlite, postgres (pgx) or mysql (mariadb)`,
			`stores[4].dsn: missing: the oracle connection string (or dsn_file)`,
			`stores[4].bcrypt_cost: 99 is outside 4 to 17`,
			`stores[6].name: "twin" is also the name of stores[5]: give each store its own name`,
			`stores[6].path: open /nonexistent/tkt-users: no such file or directory`,
			`stores[7].bcrypt_cost: 3 is outside 4 to 17`,
			`stores[7].rehash: rehashing writes the file anew beside it, but /nonexistent/tkt-dir takes no new file: no such file or directory`,
			`stores[8].bcrypt_cost: is only used with rehash: true; tkt writes no hash into a file it does not own`,
		}},
		{"environment", "", map[string]string{
			"TKT_TICKET_TIMEOUT": "forever", "TKT_COOKIE_SECURE": "on", "TKT_LOG_FORMAT": "xml",
		}, []string{
			`ticket.timeout: bad duration "forever": want e.g. 30s, 15m, 2h, 1d`,
			`cookie.secure: want true or false, got "on"`,
			`log.format: unknown format "xml": want json, text or auto`,
		}},
		{"not a map", "- a\n- b\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), envOf(tt.env))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if tt.want == nil {
				var fe *FieldError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), "not a YAML map of settings") {
					t.Errorf("got %v, want a YAML error", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, problemStrings(err)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			for _, e := range Problems(err) {
				var fe *FieldError
				if !errors.As(e, &fe) || fe.Key == "" {
					t.Errorf("%v is not a FieldError with a key", e)
				}
			}
		})
	}
}

func TestSecretFileProblems(t *testing.T) {
	dir := t.TempDir()
	empty := testenv.WriteFile(t, filepath.Join(dir, "empty"), "", 0o600)
	big := testenv.WriteFile(t, filepath.Join(dir, "big"), strings.Repeat("x", maxSecretSize+1), 0o600)
	y := "ticket:\n  secret_file: " + filepath.Join(dir, "missing") + "\n  old_secret_files: [" + empty + ", " + big + ", " + dir + "]\n"
	_, err := Parse([]byte(y), noEnv)
	want := []string{
		"ticket.secret_file: open " + filepath.Join(dir, "missing") + ": no such file or directory",
		"ticket.old_secret_files[0]: " + empty + " is empty",
		"ticket.old_secret_files[1]: " + big + " is larger than 65536 bytes: not a secret file",
		"ticket.old_secret_files[2]: " + dir + " is not a regular file",
	}
	if diff := cmp.Diff(want, problemStrings(err)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), "listen: 127.0.0.1:1111\ndata_dir: /from/file\ncookie: {name: from_file}\n", 0o644)
	env := envOf(map[string]string{
		"TKT_LISTEN":                 "127.0.0.1:2222",
		"TKT_COOKIE_NAME":            "from_env",
		"TKT_ALLOWED_REDIRECTS":      "a.example.com, .b.example.com",
		"TKT_TICKET_IGNORE_IP":       "true",
		"TKT_SERVER_RELOAD_INTERVAL": "1m",
	})
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.String("listen", DefaultListen, "")
	fs.String("data-dir", DefaultDataDir, "")
	fs.String("config", "", "") // not a setting: ignored
	if err := fs.Parse([]string{"--listen", "127.0.0.1:3333", "--config", file}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadWithFlags(file, env, fs)
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Listen = "127.0.0.1:3333" // flag over env over file
	want.DataDir = "/from/file"    // the flag was not given: its default doesn't count
	want.Cookie.Name = "from_env"  // env over file
	want.AllowedRedirects = []string{"a.example.com", ".b.example.com"}
	want.Ticket.IgnoreIP = true
	want.Server.ReloadInterval = time.Minute
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
	huge := testenv.WriteFile(t, filepath.Join(dir, "huge.yaml"), "# "+strings.Repeat("x", maxFileSize), 0o644)
	if _, err := Load(huge, nil); !errors.Is(err, errTooLarge) {
		t.Errorf("huge file: got %v", err)
	}
}

func TestEnvNames(t *testing.T) {
	for key, want := range map[string]string{
		"listen":             "TKT_LISTEN",
		"ticket.digest":      "TKT_TICKET_DIGEST",
		"ticket.secret_file": "TKT_TICKET_SECRET_FILE",
		"tls.cert_file":      "TKT_TLS_CERT_FILE",
	} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
	seen := map[string]string{}
	for _, k := range SettingKeys() {
		if prev, dup := seen[EnvName(k)]; dup {
			t.Errorf("%s and %s share %s", prev, k, EnvName(k))
		}
		seen[EnvName(k)] = k
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		fmt  string
	}{
		{"0", 0, "0"},
		{"90s", 90 * time.Second, "90s"},
		{"2h", 2 * time.Hour, "2h"},
		{"2h30m", 150 * time.Minute, "150m"},
		{"1d", 24 * time.Hour, "1d"},
		{"1.5d", 36 * time.Hour, "36h"},
		{"2w", 14 * 24 * time.Hour, "2w"},
		{"1w2d3h", (9*24 + 3) * time.Hour, "219h"},
		{"-1d", -24 * time.Hour, "-1d"},
		{"250ms", 250 * time.Millisecond, "250ms"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if f := FormatDuration(tt.want); f != tt.fmt {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.want, f, tt.fmt)
		}
		if back, err := ParseDuration(FormatDuration(tt.want)); err != nil || back != tt.want {
			t.Errorf("round trip of %v: %v, %v", tt.want, back, err)
		}
	}
	for _, bad := range []string{"", "7200", "2.5", "d", "1x", "h1", "1dd", "abc"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, d)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("listen: 127.0.0.1:8080\nticket: {digest: md5, timeout: 2h}\n"))
	f.Add([]byte("stores:\n  - type: ldap\n    urls: [ldap://x]\n    base_dn: dc=x\n  - type: sql\n    driver: mysql\n"))
	f.Add([]byte("cookie: [1, 2]\nticket: 5\nstores: {a: b}\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("ticket:\n  timeout: 1.5d\n  tokens: 'a,b'\n"))
	f.Add([]byte("ticket:\n\tdigest: md5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, noEnv)
		if err != nil {
			for _, p := range Problems(err) {
				if p == nil || p.Error() == "" {
					t.Fatalf("empty problem in %v", err)
				}
			}
			return
		}
		// A configuration that loads is valid.
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
	})
}

func TestHSTSValue(t *testing.T) {
	for _, c := range []struct {
		tls  TLS
		want string
	}{
		{Defaults().TLS, "max-age=31536000"},
		{TLS{HSTSMaxAge: time.Hour, HSTSIncludeSubdomains: true}, "max-age=3600; includeSubDomains"},
		{TLS{}, ""},
	} {
		if got := c.tls.HSTS(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.tls, got, c.want)
		}
	}
}
