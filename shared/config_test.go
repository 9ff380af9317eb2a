package shared_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/shared"
)

// Open refuses what describes no deployment, saying why, and never with
// the password a URL holds.
func TestOpenConfig(t *testing.T) {
	const pw = "s3cret-pw%41"
	for _, c := range []struct {
		name string
		cfg  shared.Config
		want string // in the error; "" for none
	}{
		{"one server", shared.Config{URL: "redis://:" + pw + "@127.0.0.1:1/2"}, ""},
		{"tls", shared.Config{URL: "rediss://u:" + pw + "@127.0.0.1:1"}, ""},
		{"unix", shared.Config{URL: "unix:///run/redis.sock"}, ""},
		{"cluster url", shared.Config{URL: "redis://:" + pw + "@127.0.0.1:1?addr=127.0.0.1:2", Cluster: true}, ""},
		{"sentinel", shared.Config{Addrs: []string{"127.0.0.1:26379"}, MasterName: "mymaster", Password: pw}, ""},
		{"cluster", shared.Config{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, Cluster: true}, ""},
		{"nothing", shared.Config{}, "no URL and no addresses"},
		{"both", shared.Config{URL: "redis://h:1", Addrs: []string{"h:2"}}, "not both"},
		{"scheme", shared.Config{URL: "http://:" + pw + "@h:1"}, `scheme "http"`},
		{"no host", shared.Config{URL: "redis://"}, "no host"},
		{"bad escape", shared.Config{URL: "redis://:pw%zz@h:1"}, "bad %-escape"},
		{"bad port", shared.Config{URL: "redis://:" + pw + "@h:port"}, "not a URL"},
		{"db", shared.Config{URL: "redis://:" + pw + "@h:1/x"}, "invalid database number"},
		{"parameter", shared.Config{URL: "redis://:" + pw + "@h:1?nope=1"}, "nope"},
		{"unix cluster", shared.Config{URL: "unix:///s", Cluster: true}, "over TCP"},
		{"master with url", shared.Config{URL: "redis://h:1", MasterName: "m"}, "Sentinel addresses"},
		{"password with url", shared.Config{URL: "redis://h:1", Password: pw}, "carries its own"},
		{"addrs alone", shared.Config{Addrs: []string{"h:1"}}, "one server goes in a URL"},
		{"sentinel and cluster", shared.Config{Addrs: []string{"h:1"}, MasterName: "m", Cluster: true}, "not both"},
		{"bad addr", shared.Config{Addrs: []string{"h"}, Cluster: true}, `"h" is not host:port`},
		{"on_outage", shared.Config{URL: "redis://h:1", OnOutage: "maybe"}, `unknown on_outage "maybe"`},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no PING
		cl, err := shared.Open(ctx, c.cfg)
		if cl != nil {
			cl.Close()
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, shared.ErrConfig)):
			t.Errorf("%s: %v, want ErrConfig saying %q", c.name, err, c.want)
		}
		for _, s := range []string{errString(err), c.cfg.String()} {
			if strings.Contains(s, "s3cret") {
				t.Errorf("%s: the password shows: %s", c.name, s)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// String names the deployment for logs and errors, without credentials.
func TestConfigString(t *testing.T) {
	for cfg, want := range map[*shared.Config]string{
		{URL: "redis://:pw@127.0.0.1:6379/0"}:                   "redis://:xxxxx@127.0.0.1:6379/0",
		{URL: "rediss://user:pw@redis.example:6380"}:            "rediss://user:xxxxx@redis.example:6380",
		{URL: "unix:///run/redis.sock"}:                         "redis at unix:///run/redis.sock",
		{URL: "redis://h:1?addr=h:2", Cluster: true}:            "redis cluster redis://h:1?addr=h:2",
		{Addrs: []string{"a:1", "b:1"}, MasterName: "mymaster"}: `redis sentinel master "mymaster" at a:1,b:1`,
		{Addrs: []string{"a:1", "b:1"}, Cluster: true}:          "redis cluster a:1,b:1",
		{URL: "redis://:p w@h:1"}:                               "redis://(unparsable)",
	} {
		if got := cfg.String(); got != want {
			t.Errorf("%+v: %q, want %q", *cfg, got, want)
		}
	}
}

func TestParseOutage(t *testing.T) {
	for in, want := range map[string]shared.Outage{"": shared.OutageDefault, "open": shared.OutageOpen, " Closed ": shared.OutageClosed} {
		if got, err := shared.ParseOutage(in); got != want || err != nil {
			t.Errorf("ParseOutage(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := shared.ParseOutage("fail"); err == nil {
		t.Error("ParseOutage(fail): no error")
	}
}
