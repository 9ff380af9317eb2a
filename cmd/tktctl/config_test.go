package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/testenv"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	secret := testenv.WriteFile(t, filepath.Join(dir, "secret"), "a secret value of thirty-two b..\n", 0o600)
	good := testenv.WriteFile(t, filepath.Join(dir, "good.yaml"), "listen: 127.0.0.1:9000\nticket:\n  digest: md5\n  secret_file: "+secret+"\ncookie: {domain: example.com, secure: true}\nallowed_redirects: [.example.com]\n", 0o644)
	bad := testenv.WriteFile(t, filepath.Join(dir, "bad.yaml"), "listen: nope\nticket: {digest: sha1, timeout: 5}\nstores:\n  - type: htpasswd\n", 0o644)

	r := runTktctl(t, nil, "", "config", "check", good)
	want := good + `: OK
  listen     127.0.0.1:9000 (http)
  data_dir   ./tkt-data
  ticket     digest md5, timeout 2h, refresh 0.5, bound to the client IP
  secret     ` + secret + `
  cookie     auth_tkt, domain example.com, secure
  redirects  back to the portal's own host; .example.com (allowed_redirects)
  stores     1. sql: SQLite in ./tkt-data (the default)
  mfa        asked of users who enrolled one; token mfa, issuer "tkt", factors in sqlite tkt-data/users.db, key tkt-data/mfa.key
`
	if diff := cmp.Diff(cliResult{Out: want}, r); diff != "" {
		t.Errorf("good (-want +got)\n%s", diff)
	}
	if strings.Contains(r.Out, "s3cret-value") {
		t.Error("the summary shows the secret")
	}

	// The back URLs tktd allows by default are named with their source.
	site := testenv.WriteFile(t, filepath.Join(dir, "site.yaml"), "ticket: {secret_file: "+secret+"}\nurl_ticket_hosts: [app.example.org]\n"+
		"forward_auth: {rules: [{hosts: [wiki.example.com], guest: true}]}\ngate: {listen: '127.0.0.1:8081', upstream: 'http://127.0.0.1:9000'}\n", 0o644)
	r = runTktctl(t, nil, "", "config", "check", site)
	wantLine := "redirects  back to the portal's own host; wiki.example.com, 127.0.0.1:8081 (the rules' and the gate's hosts); port 8081 of the portal's host (the gate); app.example.org (url_ticket_hosts)\n"
	if r.Code != 0 || !strings.Contains(r.Out, wantLine) {
		t.Errorf("the default back URLs: %+v; want the line %q", r, wantLine)
	}

	// Every problem at once, exit 1.
	r = runTktctl(t, nil, "", "config", "check", bad)
	wantErr := bad + `: 4 problem(s):
  ticket.timeout: a duration needs a unit: write e.g. 30s, 15m, 2h or 1d (got the number 5)
  listen: "nope" is not host:port (e.g. 127.0.0.1:8080 or :443)
  ticket.digest: unknown digest "sha1": want md5, sha256, sha512 or hmac-sha256
  stores[0].path: missing: the htpasswd file
tktctl: ` + bad + ` is not a valid tktd configuration
`
	if diff := cmp.Diff(cliResult{Err: wantErr, Code: 1}, r); diff != "" {
		t.Errorf("bad (-want +got)\n%s", diff)
	}

	// Redis, with its password hidden.
	r = runTktctl(t, map[string]string{"TKT_REDIS_URL": "redis://:s3cret-pw@127.0.0.1:6379/0"}, "", "config", "check", good)
	if r.Code != 0 || !strings.Contains(r.Out, `redis        redis://:xxxxx@127.0.0.1:6379/0, key prefix "tkt:", on outage default (revocation open) after 1m`) || strings.Contains(r.Out, "s3cret") {
		t.Errorf("with TKT_REDIS_URL: %+v", r)
	}
	r = runTktctl(t, map[string]string{"TKT_REDIS_URL": "redis://127.0.0.1:6379/0", "TKT_SESSIONS_ENABLED": "true"}, "", "config", "check", good)
	if r.Code != 0 || !strings.Contains(r.Out, "on outage default (revocation open, sessions closed) after 1m") || !strings.Contains(r.Out, "sessions     on: a record per login in redis") {
		t.Errorf("with sessions: %+v", r)
	}

	r = runTktctl(t, map[string]string{"TKT_TICKET_MAX_LIFETIME": "12h"}, "", "config", "check", good)
	if r.Code != 0 || !strings.Contains(r.Out, "ticket       digest md5, timeout 2h, refresh 0.5, bound to the client IP, refreshed until 12h after the login\n") {
		t.Errorf("with max_lifetime: %+v", r)
	}

	// The environment counts, as for tktd, unless --no-env.
	env := map[string]string{"TKT_LISTEN": "bad listen"}
	if r := runTktctl(t, env, "", "config", "check", good); r.Code != 1 || !strings.Contains(r.Err, `listen: "bad listen"`) {
		t.Errorf("with TKT_LISTEN: %+v", r)
	}
	if r := runTktctl(t, env, "", "config", "check", "--no-env", good); r.Code != 0 {
		t.Errorf("--no-env: %+v", r)
	}
	env = map[string]string{"TKT_LISTEN": "127.0.0.1:7000"}
	if r := runTktctl(t, env, "", "config", "check", good); r.Code != 0 || !strings.Contains(r.Out, "environment  TKT_LISTEN") || !strings.Contains(r.Out, "127.0.0.1:7000") {
		t.Errorf("with a good TKT_LISTEN: %+v", r)
	}

	// Standard input, a missing file, usage.
	if r := runTktctl(t, nil, "ticket: {digest: sha512}\n", "config", "check", "-"); r.Code != 0 || !strings.HasPrefix(r.Out, "-: OK") {
		t.Errorf("stdin: %+v", r)
	}
	if r := runTktctl(t, nil, "", "config", "check", filepath.Join(dir, "missing.yaml")); r.Code != 1 || !strings.Contains(r.Err, "no such file") {
		t.Errorf("missing: %+v", r)
	}
	for _, args := range [][]string{{"config", "check"}, {"config", "check", "a", "b"}, {"config", "nope"}} {
		if r := runTktctl(t, nil, "", args...); r.Code != 2 {
			t.Errorf("%v: %+v, want exit 2", args, r)
		}
	}
}

const apacheSnippet = `TKTAuthSecret "the secret"
TKTAuthSecretOld old-secret
TKTAuthDigestType SHA512
<VirtualHost *:443>
  ServerName app.example.com
  <Location />
    TKTAuthTimeout 4h
    TKTAuthCookieName sso
    TKTAuthWhatever on
  </Location>
</VirtualHost>
`

func TestConfigImportApache(t *testing.T) {
	dir := t.TempDir()
	conf := testenv.WriteFile(t, filepath.Join(dir, "site.conf"), apacheSnippet, 0o644)
	secrets := filepath.Join(dir, "secrets")

	r := runTktctl(t, nil, "", "config", "import-apache", "--secret-dir", secrets, conf)
	if r.Code != 0 {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"digest: sha512", "secret_file: " + secrets + "/secret", "timeout: 4h", "name: sso", "allowed_redirects: [app.example.com]"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("YAML lacks %q:\n%s", want, r.Out)
		}
	}
	wantErr := conf + `: line 1: warning: TKTAuthSecret is only 10 bytes long: anyone holding one ticket can guess it and forge tickets for any user; the YAML keeps it with ticket.allow_weak_secret: true until you rotate it to one of 32 bytes or more (tktctl secret new)
` + conf + `: line 9: warning: TKTAuthWhatever: unknown mod_auth_tkt directive; ignored
tktctl: put the value of TKTAuthSecret (line 1) into ` + secrets + `/secret, mode 0600, or run again with --write-secrets
tktctl: put the value of TKTAuthSecretOld (line 2) into ` + secrets + `/secret.old, mode 0600, or run again with --write-secrets
`
	if diff := cmp.Diff(wantErr, r.Err); diff != "" {
		t.Errorf("stderr (-want +got)\n%s", diff)
	}
	if strings.Contains(r.Out+r.Err, "the secret") || strings.Contains(r.Out+r.Err, "old-secret") {
		t.Error("a secret was printed")
	}
	if _, err := os.Stat(secrets); !os.IsNotExist(err) {
		t.Errorf("secrets written without --write-secrets: %v", err)
	}

	// --write-secrets writes them, 0600, and the YAML then checks out.
	r = runTktctl(t, nil, apacheSnippet, "config", "import-apache", "--secret-dir", secrets, "--write-secrets", "-")
	if r.Code != 0 || !strings.Contains(r.Err, "wrote the value of TKTAuthSecret (line 1) to "+secrets+"/secret (mode 0600)") {
		t.Fatalf("%+v", r)
	}
	for name, want := range map[string]string{"secret": "the secret\n", "secret.old": "old-secret\n"} {
		b, err := os.ReadFile(filepath.Join(secrets, name))
		fi, _ := os.Stat(filepath.Join(secrets, name))
		if err != nil || string(b) != want || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %q, %v, mode %v", name, b, err, fi.Mode().Perm())
		}
	}
	yamlFile := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), r.Out, 0o644)
	if c := runTktctl(t, nil, "", "config", "check", yamlFile); c.Code != 0 {
		t.Errorf("the imported YAML does not check: %+v", c)
	}
	// The imported secret, a weak one, works where tktctl takes secrets
	// when it is allowed to, as the YAML allows it, and says so.
	if m := runTktctl(t, nil, "", "mint", "--digest", "sha512", "--secret-file", filepath.Join(secrets, "secret"), "--user", "alice"); m.Code != exitUsage || !strings.Contains(m.Err, "--allow-weak-secret") {
		t.Errorf("mint with the imported weak secret: %+v", m)
	}
	m := runTktctl(t, nil, "", "mint", "--digest", "sha512", "--secret-file", filepath.Join(secrets, "secret"), "--allow-weak-secret", "--user", "alice")
	if m.Code != 0 || !strings.Contains(m.Err, "is only 10 bytes long (--allow-weak-secret): rotate it") {
		t.Errorf("mint with the imported weak secret, allowed: %+v", m)
	}

	// Existing files are left alone.
	testenv.WriteFile(t, filepath.Join(secrets, "secret"), "kept\n", 0o600)
	r = runTktctl(t, nil, apacheSnippet, "config", "import-apache", "--secret-dir", secrets, "--write-secrets", "-")
	if b, _ := os.ReadFile(filepath.Join(secrets, "secret")); r.Code != 0 || string(b) != "kept\n" || !strings.Contains(r.Err, "exists and was left alone") {
		t.Errorf("%+v; secret file now %q", r, b)
	}

	if r := runTktctl(t, nil, "", "config", "import-apache", filepath.Join(dir, "missing.conf")); r.Code != 1 {
		t.Errorf("missing file: %+v", r)
	}
}

// TestConfigCheckWarns: config check says what tktd would warn about at
// start (a secret file others may read, a short secret, a TKT_ variable
// naming no setting), and refuses a variable one typo from a setting's, as
// tktd does.
func TestConfigCheckWarns(t *testing.T) {
	dir := t.TempDir()
	secret := testenv.WriteFile(t, filepath.Join(dir, "secret"), "a secret of twenty bytes\n", 0o644)
	conf := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"), "ticket: {secret_file: "+secret+"}\n", 0o644)

	r := runTktctl(t, map[string]string{"TKT_NOT_OURS_AT_ALL": "1", "TKT_SECRET": "tktctl's own"}, "", "config", "check", conf)
	wantErr := conf + ": warning: ticket.secret_file: " + secret + ": secret file is readable by group or others; run chmod 600 on it\n" +
		conf + ": warning: ticket.secret_file: " + secret + ": short secret: tkt generates 32 random bytes (tktctl secret new) (24 bytes)\n" +
		conf + ": warning: TKT_NOT_OURS_AT_ALL names no setting: tktd ignores it\n"
	if r.Code != 0 || r.Err != wantErr {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.Code, r.Err, wantErr)
	}

	r = runTktctl(t, map[string]string{"TKT_TIKET_DIGEST": "md5"}, "", "config", "check", conf)
	if r.Code != 1 || !strings.Contains(r.Err, "  TKT_TIKET_DIGEST: not a setting (did you mean TKT_TICKET_DIGEST?)\n") {
		t.Errorf("a mistyped variable: %+v", r)
	}
	if r := runTktctl(t, map[string]string{"TKT_TIKET_DIGEST": "md5"}, "", "config", "check", "--no-env", conf); r.Code != 0 {
		t.Errorf("--no-env looks at the environment: %+v", r)
	}
}

func TestDefaultSecretDir(t *testing.T) {
	if d := defaultSecretDir(0, "/home/alice/site"); d != "/etc/tkt" {
		t.Errorf("root: %s", d)
	}
	if d := defaultSecretDir(1000, "/home/alice/site"); d != "/home/alice/site/tkt-data" {
		t.Errorf("a user: %s", d)
	}
}

// TestConfigImportApacheFails: when the secrets cannot be written, no
// YAML naming them is printed (it would land in tktd.yaml as if all went
// well), and the error says so.
func TestConfigImportApacheFails(t *testing.T) {
	dir := t.TempDir()
	notADir := testenv.WriteFile(t, filepath.Join(dir, "file"), "", 0o600)
	r := runTktctl(t, nil, apacheSnippet, "config", "import-apache", "--secret-dir", filepath.Join(notADir, "secrets"), "--write-secrets", "-")
	if r.Code != 1 || r.Out != "" || !strings.Contains(r.Err, "not a directory; no YAML printed") {
		t.Errorf("%+v", r)
	}
}

// TestConfigImportApacheGuest: the note about guests comes with
// TKTAuthGuestLogin on only, never with off.
func TestConfigImportApacheGuest(t *testing.T) {
	secrets := "--secret-dir=" + t.TempDir()
	r := runTktctl(t, nil, "TKTAuthGuestLogin off\n", "config", "import-apache", secrets, "-")
	if r.Code != 0 || strings.Contains(r.Err, "guest") || !strings.Contains(r.Out, "enabled: false") {
		t.Errorf("off: %+v", r)
	}
	r = runTktctl(t, nil, "TKTAuthGuestLogin on\n", "config", "import-apache", secrets, "-")
	if r.Code != 0 || !strings.Contains(r.Err, `offer "continue as guest"`) || !strings.Contains(r.Out, "enabled: true") {
		t.Errorf("on: %+v", r)
	}
}
