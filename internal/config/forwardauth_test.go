package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestForwardAuthAndGate(t *testing.T) {
	got, err := Parse([]byte(`
trusted_proxies: [127.0.0.1]
forward_auth:
  login_url: https://login.example.com/login
  headers: {user: X-User}
  rules:
    - hosts: [admin.example.com]
      paths: [/admin]
      tokens: [admin]
    - paths: [/static/]
      bypass: true
    - hosts: [.wiki.example.com]
      guest: true
gate:
  upstream: http://127.0.0.1:9000
  login_url: https://login.example.com/login
  pass_ticket_cookie: true
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := ForwardAuth{
		LoginURL: "https://login.example.com/login",
		Headers:  Headers{User: "X-User"},
		Rules: []AuthRule{
			{Hosts: []string{"admin.example.com"}, Paths: []string{"/admin"}, Tokens: []string{"admin"}},
			{Paths: []string{"/static/"}, Bypass: true},
			{Hosts: []string{".wiki.example.com"}, Guest: true},
		},
	}
	if diff := cmp.Diff(want, got.ForwardAuth); diff != "" {
		t.Errorf("forward_auth (-want +got):\n%s", diff)
	}
	wantGate := Gate{Listen: DefaultGateListen, Upstream: "http://127.0.0.1:9000", LoginURL: "https://login.example.com/login", PassTicketCookie: true}
	if diff := cmp.Diff(wantGate, got.Gate); diff != "" {
		t.Errorf("gate (-want +got):\n%s", diff)
	}
}

// A mistyped key in a rule must not make a rule that checks less.
func TestForwardAuthProblems(t *testing.T) {
	_, err := Parse([]byte(`
forward_auth:
  login_url: javascript:alert(1)
  headers: {groups: "bad header"}
  rules:
    - paths: [admin]
      token: [admin]
    - bypass: true
      tokens: [x]
    - hosts: ["https://x.example.com", "app.example.com:8443"]
    - just a string
gate:
  listen: nowhere
  upstream: ftp://x
`), noEnv)
	want := []string{
		`forward_auth.rules[0].token: unknown setting (did you mean tokens?)`,
		`forward_auth.rules[3]: want a map (hosts, paths, tokens, guest, bypass, basic, max_auth_age), got "just a string"`,
		`forward_auth.login_url: "javascript:alert(1)": must be an http or https URL, or a path`,
		`forward_auth.headers.groups: "bad header" is not a header name`,
		`forward_auth.rules[0].paths[0]: "admin": want a path starting with / (no query)`,
		`forward_auth.rules[1].bypass: a bypass rule checks nothing: drop its tokens, guest and basic`,
		`forward_auth.rules[2].hosts[0]: "https://x.example.com": give the host only, without the scheme`,
		`forward_auth.rules[2].hosts[1]: "app.example.com:8443": rules match host names, without a port`,
		`gate.listen: "nowhere" is not host:port`,
		`gate.upstream: "ftp://x": want http(s)://host:port[/path]`,
	}
	if diff := cmp.Diff(want, problemStrings(err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// Flags named otherwise than their setting say which one they override.
func TestFlagKeyAnnotation(t *testing.T) {
	fs := pflag.NewFlagSet("gate", pflag.ContinueOnError)
	fs.String("upstream", "", "")
	fs.SetAnnotation("upstream", FlagKey, []string{"gate.upstream"})
	fs.StringSlice("tokens", nil, "")
	fs.SetAnnotation("tokens", FlagKey, []string{"ticket.tokens"})
	if err := fs.Parse([]string{"--upstream", "http://127.0.0.1:9", "--tokens", "a,b"}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWithFlags("", noEnv, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Gate.Upstream != "http://127.0.0.1:9" || !cmp.Equal(c.Ticket.Tokens, []string{"a", "b"}) {
		t.Errorf("flags not applied: %q %q", c.Gate.Upstream, c.Ticket.Tokens)
	}
}
