package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The mfa section: its defaults, the environment, and every bad value
// named by its key.
func TestMFASettings(t *testing.T) {
	c, err := Parse(nil, noEnv)
	if err != nil || c.MFA != (MFA{Issuer: "tkt", Token: "mfa"}) {
		t.Fatalf("defaults: %+v, %v", c.MFA, err)
	}
	c, err = Parse([]byte("mfa: {required: true, issuer: Example SSO, token: two-factor}\n"), noEnv)
	if err != nil || !c.MFA.Required || c.MFA.Issuer != "Example SSO" || c.MFA.Token != "two-factor" {
		t.Errorf("set: %+v, %v", c.MFA, err)
	}
	if c, err := Parse(nil, envOf(map[string]string{"TKT_MFA_REQUIRED": "true", "TKT_MFA_TOKEN": "otp"})); err != nil || !c.MFA.Required || c.MFA.Token != "otp" {
		t.Errorf("from the environment: %+v, %v", c.MFA, err)
	}
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	os.WriteFile(open, []byte(strings.Repeat("ab", 32)+"\n"), 0o644)
	for _, c := range []struct{ yaml, want string }{
		{"mfa: {token: ''}", "mfa.token: invalid ticket content"},
		{"mfa: {token: 'a,b'}", "mfa.token: invalid ticket content"},
		{"mfa: {token: 'tkt-sid:x'}", `mfa.token: invalid ticket content: token "tkt-sid:x" starts with "tkt-sid:"`},
		{"mfa: {issuer: ''}", "mfa.issuer: empty"},
		{"mfa: {issuer: 'a:b'}", "mfa.issuer: \"a:b\" holds a ':'"},
		{"mfa: {key_file: " + filepath.Join(dir, "missing") + "}", "mfa.key_file: stat"},
		{"mfa: {key_file: " + open + "}", "mfa.key_file: factor key " + open + ": mode 0644 lets others read it; chmod 600"},
		{"mfa: {bogus: 1}", "mfa.bogus"},
	} {
		if _, err := Parse([]byte(c.yaml+"\n"), noEnv); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.yaml, err, c.want)
		}
	}
}

// Factors live in the first store with tkt's own schema, else in the data
// directory's SQLite file: never in an existing database read by queries.
func TestFactorStore(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"data_dir: /d\n", "sqlite /d/users.db"},
		{"data_dir: /d\nstores: [{type: htpasswd, path: /etc/hosts}]\n", "sqlite /d/users.db"},
		{"data_dir: /d\nstores: [{type: sql, driver: mysql, dsn: 'u@tcp(h)/app', queries: {password: 'SELECT p FROM u WHERE n = ?'}}, {type: sql, name: main, driver: postgres, dsn: 'postgres://h/tkt'}]\n", "main"},
	} {
		cfg, err := Parse([]byte(c.yaml), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.FactorStoreName(); got != c.want {
			t.Errorf("%s: factors in %q, want %q", c.yaml, got, c.want)
		}
	}
}

// tktd may start without second factors only where no user can have one:
// nothing asks for them, and their database would be the data
// directory's SQLite file, not there yet.
func TestFactorsOptional(t *testing.T) {
	dir := t.TempDir()
	withDB := filepath.Join(dir, "with-db")
	if err := os.MkdirAll(withDB, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withDB, "users.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	htpasswd := "stores: [{type: htpasswd, path: /etc/hosts}]\n"
	for _, c := range []struct {
		yaml string
		want bool
	}{
		{"data_dir: " + filepath.Join(dir, "none") + "\n" + htpasswd, true},
		{"data_dir: " + withDB + "\n" + htpasswd, false}, // factors may be there
		{"data_dir: " + filepath.Join(dir, "none") + "\n" + htpasswd + "mfa: {required: true}\n", false},
		{"data_dir: " + filepath.Join(dir, "none") + "\nstores: [{type: sql, name: main, driver: postgres, dsn: 'postgres://h/tkt'}]\n", false},
	} {
		cfg, err := Parse([]byte(c.yaml), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.FactorsOptional(); got != c.want {
			t.Errorf("%s: FactorsOptional %v, want %v", c.yaml, got, c.want)
		}
		if cfg.MFA.KeyFile = filepath.Join(dir, "mfa.key"); cfg.FactorsOptional() {
			t.Errorf("%s with a key file of its own: FactorsOptional", c.yaml)
		}
	}
}

// HTTP Basic's ticket is a login with the password alone: not where every
// login must give a second factor.
func TestMFARequiredWithBasicTickets(t *testing.T) {
	_, err := Parse([]byte("mfa: {required: true}\nbasic: {issue_ticket: true}\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "basic.issue_ticket") || !strings.Contains(err.Error(), "mfa.required") {
		t.Errorf("mfa.required with basic.issue_ticket: %v", err)
	}
	if _, err := Parse([]byte("mfa: {required: true}\n"), noEnv); err != nil {
		t.Errorf("mfa.required alone: %v", err)
	}
}
