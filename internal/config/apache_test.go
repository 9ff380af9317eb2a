package config

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`TKTAuthSecret abc`, []string{"TKTAuthSecret", "abc"}},
		{"  a \t b  ", []string{"a", "b"}},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}},
		{`a "say \"hi\"" 'it\'s'`, []string{"a", `say "hi"`, "it's"}},
		{`a "back\\slash" x\\y x\y`, []string{"a", `back\slash`, `x\y`, `x\y`}},
		{`a "x'y" 'x"y'`, []string{"a", `x'y`, `x"y`}},
		{`a "unterminated rest`, []string{"a", "unterminated rest"}},
		{`a ""`, []string{"a", ""}},
		{`a"b c"`, []string{`a"b`, `c"`}},
		{``, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, splitWords(tt.in)); diff != "" {
			t.Errorf("splitWords(%q) (-want +got)\n%s", tt.in, diff)
		}
	}
}

func TestApacheSeconds(t *testing.T) {
	tests := []struct {
		args  []string
		want  int64
		quirk bool
		err   bool
	}{
		{[]string{"7200"}, 7200, false, false},
		{[]string{"0"}, 0, false, false},
		{[]string{"2h"}, 7200, false, false},
		{[]string{"30m"}, 1800, false, false},
		{[]string{"1d"}, 86400, false, false},
		{[]string{"1w"}, 604800, false, false},
		{[]string{"1M"}, 30 * 86400, false, false},
		{[]string{"1y"}, 365 * 86400, false, false},
		{[]string{"45s"}, 45, false, false},
		{[]string{"1d", "12h"}, 129600, false, false},
		{[]string{"3600", "30m"}, 5400, false, false}, // a number sets, a unit adds
		{[]string{"30m", "3600"}, 3600, false, false},
		{[]string{"1h30m"}, 60, true, false}, // mod_auth_tkt: leading number, last unit
		{[]string{"1h5"}, 1, true, false},
		{[]string{"h"}, 0, false, true},
		{[]string{"2x"}, 0, false, true},
		{[]string{"99999999999"}, 0, false, true},
		{[]string{"1000y"}, 0, false, true},
		{nil, 0, false, true},
	}
	for _, tt := range tests {
		got, quirk, err := apacheSeconds(tt.args)
		if (err != nil) != tt.err || got != tt.want || (quirk != "") != tt.quirk {
			t.Errorf("apacheSeconds(%q) = %d, %q, %v; want %d, quirk %v, err %v", tt.args, got, quirk, err, tt.want, tt.quirk, tt.err)
		}
	}
}

// importGolden imports testdata/import/NAME.conf, compares the YAML with
// NAME.yaml (rewritten with -update) and returns the result and its notes.
func importGolden(t *testing.T, name string) (*Imported, []string) {
	t.Helper()
	f, err := os.Open("testdata/import/" + name + ".conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := ImportApache(f, ImportOptions{SecretDir: "/etc/tkt"})
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/import/" + name + ".yaml"
	if *update {
		os.WriteFile(golden, im.YAML, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(im.YAML)); diff != "" {
		t.Errorf("YAML (-want +got)\n%s", diff)
	}
	var notes []string
	for _, n := range im.Notes {
		notes = append(notes, n.String())
	}
	return im, notes
}

// Each protected <Location> and <Directory> of rules.conf becomes
// forward_auth rules with its per-location settings and Apache's access
// rules around them; the YAML is a configuration tktd takes whole.
func TestImportApacheRulesGolden(t *testing.T) {
	im, notes := importGolden(t, "rules")
	wantNotes := []string{
		// Apache merges <Location /> over the <Directory>: its own <Limit>
		// is replaced, which no rule order can say (the old import let GET
		// through unchecked).
		"line 38: warning: <Directory /srv/wiki/backup> (line 38): cannot be reproduced exactly (<Location /> (line 11) is merged over it by Apache): imported as deny: true, stricter than Apache; review and replace this deny by hand",
		`line 53: warning: Require: "10.1": only full addresses and CIDR prefixes become forward_auth networks; skipped`,
		"line 70: warning: TKTAuthToken: inside <LocationMatch>, which no forward_auth rule can express (rules match path prefixes); write that rule by hand",
	}
	for _, w := range wantNotes {
		if !slices.Contains(notes, w) {
			t.Errorf("no note %q in\n%s", w, strings.Join(notes, "\n"))
		}
	}
	var p problems
	im.Config.validateForwardAuth(&p)
	if err := p.err(); err != nil {
		t.Errorf("the imported rules do not validate: %v", err)
	}
}

func TestImportApacheGolden(t *testing.T) {
	im, notes := importGolden(t, "site")
	wantNotes := []string{
		"line 5: warning: TKTAuthSecretOld is only 12 bytes long: anyone holding one ticket can guess it and forge tickets for any user; the YAML keeps it with ticket.allow_weak_secret: true until you rotate it to one of 32 bytes or more (tktctl secret new)",
		"line 27: note: TKTAuthToken staff: required in this place only: its forward_auth rule requires it, ticket.tokens stays unset",
		"line 35: note: TKTAuthToken admin root: required in this place only: its forward_auth rule requires it, ticket.tokens stays unset",
		`line 37: warning: TKTAuthTimeout: "1h30m" means 60s to mod_auth_tkt (its leading number in its last unit); imported as Apache reads it`,
		"line 38: warning: TKTAuthLetMeIn: unknown mod_auth_tkt directive; ignored",
		"line 46: warning: Include conf.d/more-sso.conf is not followed: import that file too",
	}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("notes (-want +got)\n%s", diff)
	}
	wantSecrets := []ImportedSecret{
		{Path: "/etc/tkt/secret", Value: `0f8c2b1e-5d4a secret with "quotes" and spaces`, Directive: "TKTAuthSecret", Line: 4},
		{Path: "/etc/tkt/secret.old", Value: "older secret", Directive: "TKTAuthSecretOld", Line: 5},
	}
	if diff := cmp.Diff(wantSecrets, im.Secrets); diff != "" {
		t.Errorf("secrets (-want +got)\n%s", diff)
	}
	if bytes.Contains(im.YAML, []byte("older secret")) || bytes.Contains(im.YAML, []byte("0f8c2b1e")) {
		t.Error("a secret is in the YAML")
	}
	want2 := Defaults()
	want2.Ticket = Ticket{Digest: "sha256", SecretFile: "/etc/tkt/secret", OldSecretFiles: []string{"/etc/tkt/secret.old"},
		AllowWeakSecret: true, Timeout: DefaultTimeout, Refresh: DefaultRefresh, IgnoreIP: true}
	want2.Cookie = Cookie{Name: "sso_tkt", Domain: ".example.com", Path: "/", Secure: true, Expires: 36 * time.Hour}
	want2.BackArg = "dest"
	want2.AllowedRedirects = []string{"app.example.com", "www.example.com", ".apps.example.com", ".example.com"}
	eight, twoThirds, minute := 8*time.Hour, 0.66, time.Minute
	hosts := []string{"app.example.com", "www.example.com", ".apps.example.com"}
	want2.ForwardAuth = ForwardAuth{LoginURL: "https://sso.example.com/login", Rules: []AuthRule{
		{Hosts: hosts, Paths: []string{"/private"}, Tokens: []string{"staff"}, UnauthURL: "https://sso.example.com/login?unauth=1",
			Location: Location{Timeout: &eight, Refresh: &twoThirds, TimeoutURL: "https://sso.example.com/login?timeout=1"}},
		{Hosts: hosts, Paths: []string{"/admin"}, Tokens: []string{"admin", "root"}, Location: Location{Timeout: &minute}},
	}}
	if diff := cmp.Diff(want2, im.Config); diff != "" {
		t.Errorf("Config (-want +got)\n%s", diff)
	}
}

func TestImportApacheCases(t *testing.T) {
	tests := []struct {
		name  string
		conf  string
		check func(t *testing.T, im *Imported)
	}{
		{"empty: md5 and a warning about the secret", "", func(t *testing.T, im *Imported) {
			if im.Config.Ticket.Digest != "md5" || len(im.Secrets) != 0 {
				t.Errorf("got %+v", im.Config.Ticket)
			}
			if len(im.Notes) != 2 || !strings.Contains(im.Notes[0].Text, "no TKTAuthSecret") {
				t.Errorf("notes %v", im.Notes)
			}
		}},
		{"same tokens everywhere are required", "<Location /a>\nTKTAuthToken x y\n</Location>\n<Location /b>\nTKTAuthToken x\nTKTAuthToken y\n</Location>\n", func(t *testing.T, im *Imported) {
			if diff := cmp.Diff([]string{"x", "y"}, im.Config.Ticket.Tokens); diff != "" {
				t.Errorf("tokens (-want +got)\n%s", diff)
			}
		}},
		{"case-insensitive names, flags and the minutes directive", "tktauthignoreip ON\nTKTAUTHTIMEOUTMIN 90\n", func(t *testing.T, im *Imported) {
			if !im.Config.Ticket.IgnoreIP || im.Config.Ticket.Timeout != 90*time.Minute {
				t.Errorf("got %+v", im.Config.Ticket)
			}
		}},
		{"bad values are skipped with a warning", "TKTAuthDigestType sha1\nTKTAuthIgnoreIP maybe\nTKTAuthTimeoutRefresh 2\nTKTAuthCookieName \"a b\"\nTKTAuthTimeout 2h # comment\nTKTAuthSecret ${SECRET}\n", func(t *testing.T, im *Imported) {
			d := Defaults()
			if im.Config.Ticket.Digest != "md5" || im.Config.Ticket.IgnoreIP || im.Config.Ticket.Refresh != d.Ticket.Refresh ||
				im.Config.Cookie.Name != d.Cookie.Name || im.Config.Ticket.Timeout != d.Ticket.Timeout || len(im.Secrets) != 0 {
				t.Errorf("got %+v %+v", im.Config.Ticket, im.Config.Cookie)
			}
			warnings := 0
			for _, n := range im.Notes {
				if n.Warning {
					warnings++
				}
			}
			if warnings != 8 { // six directives, no secret, no host
				t.Errorf("%d warnings: %v", warnings, im.Notes)
			}
		}},
		{"sections: unbalanced ones are reported", "<VirtualHost *:80>\n</Location>\n<Location /x\n", func(t *testing.T, im *Imported) {
			var texts []string
			for _, n := range im.Notes[:3] {
				texts = append(texts, n.String())
			}
			want := []string{
				"line 1: warning: <VirtualHost *:80> is never closed",
				"line 2: warning: </Location> closes no open <Location> section; ignored",
				`line 3: warning: section line "<Location /x" does not end with '>'; ignored`,
			}
			if diff := cmp.Diff(want, texts); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		}},
		{"conflicting secrets are never shown", "<VirtualHost a:80>\nTKTAuthSecret one-secret\n</VirtualHost>\n<VirtualHost b:80>\nTKTAuthSecret two-secret\n</VirtualHost>\n", func(t *testing.T, im *Imported) {
			for _, n := range im.Notes {
				if strings.Contains(n.Text, "one-secret") || strings.Contains(n.Text, "two-secret") {
					t.Errorf("secret in a note: %v", n)
				}
			}
			if len(im.Secrets) != 1 || im.Secrets[0].Value != "one-secret" {
				t.Errorf("secrets %+v", im.Secrets)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := ImportApache(strings.NewReader(tt.conf), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, im)
		})
	}
	if _, err := ImportApache(strings.NewReader(strings.Repeat("x", maxApacheLine+1)), ImportOptions{}); err == nil {
		t.Error("an over-long line was accepted")
	}
}

// TestImportApacheReal imports the configuration of a real Apache with
// mod_auth_tkt and checks that a ticket made from the imported settings and
// secrets, current and old, gets through that Apache.
func TestImportApacheReal(t *testing.T) {
	s := apachetest.Start(t, apachetest.Config{VHosts: []apachetest.VHost{{
		Name: "site", Digest: "SHA512", Secret: apachetest.MainSecret, OldSecret: apachetest.NewSecret,
		Locations: []apachetest.Location{{Path: "/app/", Directives: []string{
			"TKTAuthLoginURL $BASE/login", "TKTAuthTimeout 2h", "TKTAuthIgnoreIP on", "TKTAuthCookieName sso_tkt",
		}}},
	}}})
	f, err := os.Open(filepath.Join(s.Dir(), "conf", "httpd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	im, err := ImportApache(f, ImportOptions{SecretDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range im.Secrets {
		testenv.WriteFile(t, filepath.Join(dir, filepath.Base(sec.Path)), sec.Value+"\n", 0o600)
	}
	c, err := Parse(im.YAML, noEnv)
	if err != nil {
		t.Fatalf("the imported YAML does not load: %v\n%s", err, im.YAML)
	}
	tc, err := c.TicketConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc.Digest != ticket.SHA512 || !tc.IgnoreIP || tc.Timeout != 2*time.Hour || c.Cookie.Name != "sso_tkt" {
		t.Fatalf("imported %+v, cookie %q", tc, c.Cookie.Name)
	}
	for i, secret := range append([]string{tc.Secret}, tc.OldSecrets...) {
		m := ticket.Minter{Digest: tc.Digest, Secret: secret}
		value, err := m.MintCookie(ticket.Ticket{UID: "alice", Tokens: "staff", Time: time.Now()}, netip.Addr{})
		if err != nil {
			t.Fatal(err)
		}
		r := s.Do(t, apachetest.Request{VHost: "site", Path: "/app/", Cookie: value, CookieName: c.Cookie.Name})
		if !r.Backend || r.RemoteUser == nil || *r.RemoteUser != "alice" {
			t.Errorf("secret %d: Apache answered %d, location %q, backend %v\n%s", i, r.Status, r.Location, r.Backend, s.ErrorLogTail(5))
		}
	}
}

func FuzzImportApache(f *testing.F) {
	for _, name := range []string{"site.conf", "rules.conf"} {
		if b, err := os.ReadFile("testdata/import/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("<Directory /a>\nTKTAuthToken x\n</Directory>\nDocumentRoot /\n<Directory />\n<Limit get>\nrequire user a!b c\n</Limit>\n</Directory>\n<Location ~ x>\nTKTAuthRequireSSL on\n</Location>\n"))
	f.Add([]byte("TKTAuthTimeout 1h30m 2d\nTKTAuthToken a,b c\n<Location \"/x y\">\nTKTAuthDomain ..\n</Location>\n"))
	f.Add([]byte("<VirtualHost *>\nServerName [::1]:80\nServerAlias *.x.y \\\nz\nTKTAuthCookieSecure on\n</VirtualHost>\n"))
	f.Add([]byte("TKTAuthGuestUser 'a\\'b'\nTKTAuthBackArgName None\nTKTAuthSecret \"\"\n"))
	f.Add([]byte("<Location />\nTKTAuthToken a\nrequire valid-user\n<LimitExcept GET>\nrequire user b\n</LimitExcept>\n<Limit POST>\nRequire ip 10.1 10.0.0.0/8\n</Limit>\n</Location>\n<Location /x>\nOrder allow,deny\nAllow from 192.0.2.1 all\nSatisfy any\n<RequireAll>\n<RequireNone>\nRequire not ip ::1\n</RequireNone>\nRequire local\n</RequireAll>\n</Location>\n<Location /x/y>\nTKTAuthTimeout 1m\n</Location>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := ImportApache(bytes.NewReader(data), ImportOptions{SecretDir: "/s"})
		if err != nil {
			return // too large or a line too long
		}
		// What ImportApache writes, it reads back without a problem:
		// decode errors would mean a value the importer should have
		// refused or quoted.
		c, probs, err := decode(im.YAML, nil, nil)
		if err != nil || len(probs) > 0 {
			t.Fatalf("the YAML does not read back: %v %v\n%s", err, probs, im.YAML)
		}
		// Its forward_auth rules are ones tktd takes.
		c.validateForwardAuth(&probs)
		if len(probs) > 0 {
			t.Fatalf("the forward_auth rules do not validate: %v\n%s", probs.err(), im.YAML)
		}
		// No secret is in a value. Only secrets that can't be anything
		// else are looked for: long, once in the input, not a path or a
		// duration the importer writes itself.
		var doc map[string]any
		if err := yaml.Unmarshal(im.YAML, &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range im.Secrets {
			distinct := len(s.Value) >= 8 && bytes.Count(data, []byte(s.Value)) == 1 &&
				!strings.Contains("/s/secret.old", s.Value) && strings.Trim(s.Value, "0123456789dwhms.") != ""
			if distinct && holds(doc, s.Value) {
				t.Fatalf("secret %q in the YAML\n%s", s.Value, im.YAML)
			}
		}
	})
}

// holds reports whether any string in a decoded YAML tree contains s.
func holds(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, s)
	case map[string]any:
		for _, x := range v {
			if holds(x, s) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if holds(x, s) {
				return true
			}
		}
	}
	return false
}
