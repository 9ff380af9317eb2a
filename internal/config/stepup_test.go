package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ticket.max_lifetime, and max_auth_age on a forward_auth rule and at the
// gate, are read as durations and reach the ticket settings.
func TestMaxAuthAgeAndLifetime(t *testing.T) {
	got, err := Parse([]byte(`
ticket:
  timeout: 2h
  max_lifetime: 12h
forward_auth:
  rules:
    - paths: [/admin]
      max_auth_age: 15m
gate:
  max_auth_age: 1h
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ticket.MaxLifetime != 12*time.Hour || got.ForwardAuth.Rules[0].MaxAuthAge != 15*time.Minute || got.Gate.MaxAuthAge != time.Hour {
		t.Errorf("max_lifetime %v, rule max_auth_age %v, gate max_auth_age %v", got.Ticket.MaxLifetime, got.ForwardAuth.Rules[0].MaxAuthAge, got.Gate.MaxAuthAge)
	}
}

func TestMaxAuthAgeAndLifetimeProblems(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{"ticket: {timeout: 2h, max_lifetime: 1h}", []string{
			`ticket.max_lifetime: 1h is shorter than ticket.timeout 2h: set it to at least the timeout, or 0 for no cap`}},
		{"ticket: {timeout: 0, max_lifetime: 1h}", []string{
			`ticket.max_lifetime: needs ticket.timeout: without a timeout tickets never expire, so there is nothing to cap`}},
		{"ticket: {max_lifetime: -1h}", []string{`ticket.max_lifetime: must not be negative (0 means no cap)`}},
		{"ticket: {timeout: 2h, max_lifetime: 2h}", nil},
		{"forward_auth: {rules: [{max_auth_age: -1m}, {bypass: true, max_auth_age: 5m}, {max_auth_age: 10ms}]}", []string{
			`forward_auth.rules[0].max_auth_age: must not be negative (0 means any login)`,
			`forward_auth.rules[1].max_auth_age: a bypass rule checks nothing: drop its max_auth_age`,
			`forward_auth.rules[2].max_auth_age: 10ms is less than a second: tickets record the login to the second`}},
		{"forward_auth: {rules: [{max_auth_age: 900}]}", []string{
			`forward_auth.rules[0].max_auth_age: a duration needs a unit: write e.g. 30s, 15m, 2h or 1d (got the number 900)`}},
		{"gate: {max_auth_age: -1s}", []string{`gate.max_auth_age: must not be negative (0 means any login)`}},
	} {
		_, err := Parse([]byte(c.yaml), noEnv)
		if d := cmp.Diff(c.want, problemStrings(err)); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.yaml, d)
		}
	}
}
