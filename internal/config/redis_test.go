package config

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
)

// The redis section as the issue writes it, and the environment variable.
func TestRedisSettings(t *testing.T) {
	if c, err := Parse(nil, noEnv); err != nil || c.Redis.Enabled() {
		t.Fatalf("no settings: Redis enabled %v, %v", c.Redis.Enabled(), err)
	} else if _, err := c.Shared(nil); !errors.Is(err, ErrNoRedis) {
		t.Errorf("Shared without Redis: %v, want ErrNoRedis", err)
	}

	c, err := Parse([]byte(`
ticket: {timeout: 1h, max_skew: 30s}
redis:
  url: redis://127.0.0.1:6379/0
  key_prefix: "site1:"
  on_outage: closed
  stale_after: 30s
  request_timeout: 100ms
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.Shared(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := shared.Config{
		URL: "redis://127.0.0.1:6379/0", KeyPrefix: "site1:", OnOutage: shared.OutageClosed,
		StaleAfter: 30 * time.Second, ResyncInterval: shared.DefaultResyncInterval,
		CallTimeout: shared.DefaultCallTimeout, RequestTimeout: 100 * time.Millisecond,
		TicketTimeout: time.Hour, MaxSkew: 30 * time.Second,
	}
	if diff := cmp.Diff(want, sc, cmpopts.IgnoreFields(shared.Config{}, "Logger")); diff != "" {
		t.Errorf("Shared (-want +got)\n%s", diff)
	}

	c, err = Parse(nil, envOf(map[string]string{"TKT_REDIS_URL": "rediss://:pw@redis.example:6380/1", "TKT_REDIS_KEY_PREFIX": "env:"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "rediss://:pw@redis.example:6380/1" || c.Redis.KeyPrefix != "env:" {
		t.Errorf("from the environment: %+v", c.Redis)
	}

	c, err = Parse([]byte("redis: {addrs: [10.0.0.1:26379, 10.0.0.2:26379], master_name: mymaster}\n"), noEnv)
	if err != nil || c.Redis.Describe() != `redis sentinel master "mymaster" at 10.0.0.1:26379,10.0.0.2:26379` {
		t.Errorf("Sentinel: %q, %v", c.Redis.Describe(), err)
	}
	c, err = Parse([]byte("redis: {addrs: [10.0.0.1:6379, 10.0.0.2:6379, 10.0.0.3:6379], cluster: true}\n"), noEnv)
	if err != nil || c.Redis.Describe() != "redis cluster 10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379" {
		t.Errorf("Cluster: %q, %v", c.Redis.Describe(), err)
	}
}

// Secrets come from files, and no message or log line shows them.
func TestRedisSecretFiles(t *testing.T) {
	dir := t.TempDir()
	urlFile := testenv.WriteFile(t, filepath.Join(dir, "redis-url"), "rediss://tkt:s3cret-pw@redis.example:6380/2\n", 0o600)
	pwFile := testenv.WriteFile(t, filepath.Join(dir, "redis-pw"), "s3cret-pw \n", 0o644)
	sentinelFile := testenv.WriteFile(t, filepath.Join(dir, "sentinel-pw"), "sentinel-pw", 0o600)

	c, err := Parse([]byte("redis: {url_file: "+urlFile+"}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Redis.Describe(); d != "redis, URL in "+urlFile {
		t.Errorf("Describe: %q", d)
	}
	sc, err := c.Shared(nil)
	if err != nil || sc.URL != "rediss://tkt:s3cret-pw@redis.example:6380/2" {
		t.Errorf("Shared: URL %q, %v", sc.URL, err)
	}
	if s := sc.String(); strings.Contains(s, "s3cret") {
		t.Errorf("shared.Config.String shows the password: %s", s)
	}

	var logs bytes.Buffer
	c, err = Parse([]byte("redis: {addrs: [h:1, h:2], cluster: true, username: tkt, password_file: "+pwFile+"}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sc, err = c.Shared(slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || sc.Password != "s3cret-pw " || sc.Username != "tkt" {
		t.Errorf("Shared: user %q, password %q, %v (the password file's blanks are the password's)", sc.Username, sc.Password, err)
	}
	if !strings.Contains(logs.String(), "readable by group or others") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("log: %s", logs.String())
	}

	// The Sentinels' own password, apart from the master's.
	c, err = Parse([]byte("redis: {addrs: [h:26379], master_name: m, password_file: "+pwFile+", sentinel_username: watcher, sentinel_password_file: "+sentinelFile+"}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = c.Shared(nil); err != nil || sc.SentinelPassword != "sentinel-pw" || sc.SentinelUsername != "watcher" || sc.Password != "s3cret-pw " {
		t.Errorf("Shared: sentinel %q/%q, master password %q, %v", sc.SentinelUsername, sc.SentinelPassword, sc.Password, err)
	}

	// A bad URL in a file is reported without its content.
	bad := testenv.WriteFile(t, filepath.Join(dir, "bad-url"), "http://tkt:s3cret-pw@redis.example/\n", 0o600)
	_, err = Parse([]byte("redis: {url_file: "+bad+"}\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), `redis.url_file: scheme "http"`) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a bad URL in url_file: %v", err)
	}
}

// Every problem of the section at once, each with its key path, and no
// password in any of them.
func TestRedisValidation(t *testing.T) {
	dir := t.TempDir()
	urlFile := testenv.WriteFile(t, filepath.Join(dir, "redis-url"), "redis://h:1\n", 0o600)
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{"redis: {url: 'redis://:s3cret@h:1', url_file: " + urlFile + "}", []string{"redis.url_file: set url or url_file, not both"}},
		{"redis: {url: 'redis://:s3cret%zz@h:1'}", []string{"redis.url: not a URL (a bad %-escape)"}},
		{"redis: {url: 'redis://:s3cret@h:1/x'}", []string{`redis.url: redis: invalid database number: "x"`}},
		{"redis: {url: 'redis://:s3cret@h:1', addrs: ['h:2'], cluster: true}", []string{"redis.addrs: set url (or url_file) or addrs, not both"}},
		{"redis: {url: 'redis://h:1', master_name: m}", []string{"redis.master_name: Sentinel takes the Sentinels' addresses in redis.addrs, not a URL"}},
		{"redis: {url: 'redis://h:1', tls: true}", []string{"redis.password_file: username, password_file and tls go with addrs; a URL carries its own (rediss://user:password@host, in url_file)"}},
		{"redis: {addrs: ['h:1']}", []string{"redis.addrs: addresses are Sentinels (set master_name) or Cluster nodes (set cluster: true); one server goes in url"}},
		{"redis: {addrs: ['h:1'], master_name: m, cluster: true}", []string{"redis.cluster: Sentinel (master_name) or Cluster, not both"}},
		{"redis: {addrs: ['h:1', 'nohost'], cluster: true, password_file: /nonexistent}", []string{
			`redis.addrs[1]: "nohost" is not host:port`,
			"redis.password_file: open /nonexistent: no such file or directory",
		}},
		{"redis: {master_name: m}", []string{"redis: no server: set url (or url_file) or addrs"}},
		{"redis: {addrs: ['h:1'], cluster: true, sentinel_password_file: " + urlFile + "}", []string{
			"redis.sentinel_password_file: sentinel_username and sentinel_password_file are for Sentinels: set master_name and the Sentinels' addrs"}},
		{"redis: {addrs: ['h:1'], master_name: m, sentinel_password_file: /nonexistent}", []string{
			"redis.sentinel_password_file: open /nonexistent: no such file or directory"}},
		{"redis: {url: 'redis://h:1', key_prefix: 'a b', on_outage: sometimes, stale_after: 0, resync_interval: -1s}", []string{
			`redis.key_prefix: "a b": want 1 to 64 bytes without blanks or control characters (default "tkt:")`,
			`redis.on_outage: unknown on_outage "sometimes": want open or closed`,
			"redis.stale_after: must be positive (default 1m)",
			"redis.resync_interval: must be positive (default 10s)",
		}},
		{"redis: {url: 'redis://h:1', call_timeout: 0s}", []string{"redis.call_timeout: must be positive (default 2s)"}},
		{"redis: {url: 'redis://h:1', call_timeout: 1s, request_timeout: 2s}", []string{"redis.request_timeout: must be positive and at most call_timeout 1s (default 250ms)"}},
		{"redis: {url: 'redis://h:1', stale_afterr: 1m}", []string{"redis.stale_afterr: unknown setting (did you mean redis.stale_after?)"}},
	} {
		_, err := Parse([]byte(c.yaml+"\n"), noEnv)
		if diff := cmp.Diff(c.want, problemStrings(err)); diff != "" {
			t.Errorf("%s (-want +got)\n%s", c.yaml, diff)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the password shows: %v", c.yaml, err)
		}
	}
}
