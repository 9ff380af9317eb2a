package config

import (
	"strings"
	"testing"
)

// sessions: {enabled: true} needs Redis and a ticket timeout; a required
// token can never be a session token, with or without sessions.
func TestSessionsSettings(t *testing.T) {
	c, err := Parse([]byte("redis: {url: 'redis://127.0.0.1:6379/0'}\nsessions: {enabled: true}\n"), noEnv)
	if err != nil || !c.Sessions.Enabled {
		t.Fatalf("sessions on: %+v, %v", c.Sessions, err)
	}
	if c, err := Parse(nil, envOf(map[string]string{"TKT_REDIS_URL": "redis://h:1/0", "TKT_SESSIONS_ENABLED": "true"})); err != nil || !c.Sessions.Enabled {
		t.Errorf("from the environment: %+v, %v", c.Sessions, err)
	}
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{"sessions: {enabled: true}", []string{"sessions.enabled: sessions live in Redis"}},
		{"redis: {url: 'redis://h:1'}\nticket: {timeout: 0s}\nsessions: {enabled: true}", []string{"sessions.enabled: sessions need ticket.timeout"}},
		{"ticket: {tokens: [staff, 'tkt-sid:AAAAAAAAAAAAAAAAAAAAAA']}", []string{`ticket.tokens[1]: invalid ticket content: token "tkt-sid:AAAAAAAAAAAAAAAAAAAAAA" starts with "tkt-sid:", reserved for session ids`}},
		{"forward_auth: {rules: [{paths: [/a], tokens: ['tkt-sid:x']}]}", []string{`forward_auth.rules[0].tokens[0]: invalid ticket content: token "tkt-sid:x" starts with`}},
	} {
		_, err := Parse([]byte(c.yaml+"\n"), noEnv)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", c.yaml, err, w)
			}
		}
	}
}
