package config

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckEnv(t *testing.T) {
	unknown, typos := CheckEnv([]string{
		"PATH=/bin", "TKT_LISTEN=:80", "TKT_LISTN=:81", "TKT_TICKET_DIGST=md5", "TKT_GATE_METRICS_LISTEN=:9",
		"TKT_SECRET=x", "TKT_CONFIG=a.yaml", "TKT_TEST_REDIS_ADDR=127.0.0.1:1", "TKT_STORES=x",
		"TKT_SOMETHING_ELSE_ENTIRELY=1", "TKT_SERVER_METRICS_LISTEN=:9100",
	})
	var got []string
	for _, e := range Problems(typos) {
		got = append(got, e.Error())
	}
	want := []string{
		"TKT_LISTN: not a setting (did you mean TKT_LISTEN?)",
		"TKT_TICKET_DIGST: not a setting (did you mean TKT_TICKET_DIGEST?)",
		"TKT_STORES: the stores have no environment variables: configure them in the file's stores list",
	}
	if !slices.Equal(got, want) {
		t.Errorf("typos:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(unknown, []string{"TKT_SOMETHING_ELSE_ENTIRELY"}) {
		t.Errorf("unknown: %q", unknown)
	}
}
