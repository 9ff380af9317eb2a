package config

import (
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/ticket"
)

func strictImport(t *testing.T, conf string) *Imported {
	t.Helper()
	im, err := ImportApache(strings.NewReader(conf), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("YAML:\n%s", im.YAML)
	for _, n := range im.Notes {
		t.Logf("note: %v", n)
	}
	var p problems
	im.Config.validateForwardAuth(&p)
	if err := p.err(); err != nil {
		t.Errorf("the imported rules do not validate: %v", err)
	}
	return im
}

// noOpenBypass fails on a rule letting every client in unchecked.
func noOpenBypass(t *testing.T, im *Imported, why string) {
	t.Helper()
	for _, r := range im.Config.ForwardAuth.Rules {
		if r.Bypass && len(r.Networks) == 0 {
			t.Errorf("imported rule bypasses every check for %v on %v; %s", r.Methods, r.Paths, why)
		}
	}
}

const strictHead = `TKTAuthSecret "0123456789abcdef0123456789abcdef0123"
DocumentRoot /var/www
`

// Apache: /app needs a ticket for every method (require valid-user outside
// the <LimitExcept>); non-GET additionally names a user (RequireAny: any
// valid user). The import must not let GET through without a ticket.
func TestImportApacheLimitExceptDropsOuterRequire(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  AuthType None
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
  <LimitExcept GET>
    require user admin
  </LimitExcept>
</Location>
`)
	noOpenBypass(t, im, "Apache asked a ticket of every method")
}

// Apache: <Limit GET> Require ip 10/8 beside require valid-user: GET from
// 10/8 without ticket, anything else needs a ticket. POST must not bypass.
func TestImportApacheLimitRequireIPOpensOtherMethods(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
  <Limit GET>
    Require ip 10.0.0.0/8
  </Limit>
</Location>
`)
	noOpenBypass(t, im, "Apache asked a ticket of POST")
}

// mod_auth_tkt merges per-directory config: /app/reports inherits /app's
// TKTAuthToken admin. The import gives /app/reports its own rule without it.
func TestImportApacheNestedLocationLosesTokens(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  TKTAuthToken admin
  require valid-user
</Location>
<Location /app/reports>
  TKTAuthTimeout 1h
</Location>
`)
	tokens := append([]string(nil), im.Config.Ticket.Tokens...)
	for _, r := range im.Config.ForwardAuth.Rules {
		for _, p := range r.Paths {
			if p == "/app/reports" && len(r.Tokens)+len(tokens) == 0 && !r.Deny {
				t.Errorf("/app/reports: rule %+v requires no token; Apache inherited TKTAuthToken admin", r)
			}
		}
	}
}

// Apache: /old is Require all denied, /old/sub has no Require of its own,
// so it inherits the denial (AuthMerging Off only replaces when the
// section has authz directives).
func TestImportApacheNestedLocationLosesDeny(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location />
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
</Location>
<Location /old>
  Require all denied
</Location>
<Location /old/sub>
  TKTAuthToken x
</Location>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if len(r.Paths) == 1 && r.Paths[0] == "/old/sub" && !r.Deny {
			t.Errorf("/old/sub: %+v is let in; Apache denied it (inherited Require all denied)", r)
		}
	}
}

// <RequireAll> with "Require not ip": the exclusion is silently dropped.
func TestImportApacheRequireNotIPDropped(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  <RequireAll>
    Require valid-user
    Require not ip 192.0.2.0/24
  </RequireAll>
</Location>
`)
	deny := false
	for _, r := range im.Config.ForwardAuth.Rules {
		deny = deny || r.Deny
	}
	warned := false
	for _, n := range im.Notes {
		warned = warned || strings.Contains(strings.ToLower(n.String()), "not")
	}
	if !deny && !warned {
		t.Errorf("Require not ip dropped without a word: 192.0.2.0/24 now gets in with a ticket")
	}
}

// <RequireAll> with "Require ip 10.1" (a partial address Apache takes):
// skipped with a warning, and the rule no longer restricts networks at all.
func TestImportApacheSatisfyAllPartialIPDropped(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  Satisfy All
  require valid-user
  Require ip 10.1
</Location>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if len(r.Paths) == 1 && r.Paths[0] == "/app" && !r.Deny && len(r.Networks) == 0 {
			t.Errorf("/app: %+v admits a ticket from any network; Apache admitted only 10.1.0.0/16", r)
		}
	}
}

// A non-tkt <Location> that only restricts networks, under a
// tkt-protected root: Apache lets only 127.0.0.1 in; the import drops it.
func TestImportApacheRequireIPOnlyLocationDropped(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location />
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
</Location>
<Location /server-status>
  Require ip 127.0.0.1
</Location>
`)
	found := false
	for _, r := range im.Config.ForwardAuth.Rules {
		for _, p := range r.Paths {
			found = found || p == "/server-status"
		}
	}
	if !found {
		t.Errorf("/server-status's Require ip is gone: any ticket holder from anywhere reads it")
	}
}

// Apache's <Limit GET> covers HEAD too; the imported rule names GET only,
// so HEAD falls to "other methods than <Limit>'s": bypass.
func TestImportApacheLimitGETLeavesHEADOpen(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  <Limit GET POST>
    require valid-user
  </Limit>
</Location>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if r.Bypass && len(r.Methods) == 0 {
			t.Errorf("HEAD (covered by Apache's <Limit GET>) matches the bypass rule %+v", r)
		}
	}
}

// Two <Limit> blocks: only the last one's methods are kept, so the first
// block's methods fall to the bypass rule.
func TestImportApacheTwoLimitBlocks(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  <Limit POST>
    require user alice
  </Limit>
  <Limit DELETE>
    require user bob
  </Limit>
</Location>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if !r.Bypass && len(r.Methods) > 0 {
			t.Logf("protected methods: %v", r.Methods)
			for _, m := range r.Methods {
				if m == "POST" {
					return
				}
			}
		}
	}
	t.Errorf("POST, which Apache restricted to alice, matches the bypass rule")
}

// Apache 2.2 (and mod_access_compat): Satisfy defaults to All, so
// "Allow from 10.0.0.0/8" beside "require valid-user" means a ticket AND
// the office network. The import reads it as any-of: the office needs no
// ticket, and a ticket works from anywhere.
func TestImportApacheAllowFromDefaultsToSatisfyAll(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
  Order allow,deny
  Allow from 10.0.0.0/8
</Location>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if r.Bypass {
			t.Errorf("rule %+v lets %v in without a ticket; Apache 2.2 (Satisfy All by default) asked for both", r, r.Networks)
		}
	}
}

// <RequireNone> inverts its Require lines; the import reads its
// "Require ip" as an allow: the excluded network becomes the only one let in.
func TestImportApacheRequireNoneInverted(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  <RequireAll>
    Require valid-user
    <RequireNone>
      Require ip 192.0.2.0/24
    </RequireNone>
  </RequireAll>
</Location>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if !r.Deny && len(r.Networks) > 0 {
			t.Errorf("rule %+v admits %v, the network <RequireNone> shut out", r, r.Networks)
		}
	}
}

// TestImportApacheStrictAgainstApache asks a real Apache with mod_auth_tkt
// what the sections of the tests above mean, then checks that the rule
// tktd would take for each request the import wrote is no bypass where
// Apache refused it.
func TestImportApacheStrictAgainstApache(t *testing.T) {
	s := apachetest.Start(t, apachetest.Config{VHosts: []apachetest.VHost{{
		Name: "site", Digest: "MD5", Secret: apachetest.MainSecret,
		Extra: []string{
			"<Location /lx>", "AuthType None", "TKTAuthLoginURL $BASE/login", "require valid-user",
			"<LimitExcept GET>", "require user admin", "</LimitExcept>", "</Location>",
			"<Location /lim>", "AuthType None", "TKTAuthLoginURL $BASE/login",
			"<Limit GET POST>", "require valid-user", "</Limit>", "</Location>",
			"<Location /old>", "Require all denied", "</Location>",
			"<Location /old/sub>", "AuthType None", "TKTAuthLoginURL $BASE/login", "TKTAuthToken x", "</Location>",
		},
	}}})
	m := ticket.Minter{Digest: ticket.MD5, Secret: apachetest.MainSecret}
	withX, err := m.MintCookie(ticket.Ticket{UID: "alice", Tokens: "x", Time: time.Now()}, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(s.Dir(), "conf", "httpd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := ImportApache(f, ImportOptions{SecretDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, cookie string
	}{
		{"GET", "/lx/", ""},          // the require outside <LimitExcept> holds for GET
		{"HEAD", "/lim/", ""},        // <Limit GET> covers HEAD
		{"GET", "/old/sub/", withX},  // Require all denied reaches /old/sub
		{"POST", "/old/sub/", withX}, // for every method
	} {
		r := s.Do(t, apachetest.Request{VHost: "site", Method: tc.method, Path: tc.path, Cookie: tc.cookie})
		if r.Backend || r.Status == http.StatusOK {
			t.Errorf("%s %s: Apache let it in (%d); the premise of this test is wrong", tc.method, tc.path, r.Status)
			continue
		}
		rule := firstRule(im.Config.ForwardAuth.Rules, tc.method, tc.path, netip.MustParseAddr("127.0.0.1"))
		// with the ticket (alice, token x), a rule asking one lets it in
		ticketIn := tc.cookie != "" && rule != nil && !rule.Deny &&
			(len(rule.Users) == 0 || slices.Contains(rule.Users, "alice")) && (len(rule.Tokens) == 0 || slices.Contains(rule.Tokens, "x"))
		if rule == nil || rule.Bypass || ticketIn {
			t.Errorf("%s %s: Apache refused it (%d), the imported rule %+v lets it in\n%s", tc.method, tc.path, r.Status, rule, im.YAML)
		}
	}
}

// firstRule is the rule tktd takes for a request: the first whose paths,
// methods and networks match it.
func firstRule(rules []AuthRule, method, path string, client netip.Addr) *AuthRule {
	for i, r := range rules {
		if len(r.Methods) > 0 && !slices.Contains(r.Methods, method) {
			continue
		}
		if len(r.Paths) > 0 && !slices.ContainsFunc(r.Paths, func(p string) bool { return underPath(strings.TrimSuffix(path, "/"), p) || p == path }) {
			continue
		}
		if len(r.Networks) > 0 && !slices.ContainsFunc(r.Networks, func(n string) bool {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				a, _ := netip.ParseAddr(n)
				p = netip.PrefixFrom(a, a.BitLen())
			}
			return p.Contains(client)
		}) {
			continue
		}
		return &rules[i]
	}
	return nil
}

// A section under a protected root with only mod_access_compat's
// directives (here Satisfy All) keeps the root's Require lines in Apache;
// the import must not make it a bypass, nor drop it.
func TestImportApacheSatisfyAloneUnderRequire(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location />
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
</Location>
<Location /s>
  Satisfy All
</Location>
`)
	noOpenBypass(t, im, "Apache asked a ticket of /s (the root's require valid-user)")
	if r := firstRule(im.Config.ForwardAuth.Rules, "GET", "/s", netip.MustParseAddr("192.0.2.1")); r == nil || r.Bypass {
		t.Errorf("/s: rule %+v", r)
	}
}

// "Allow from" in a sub-section of one with "require user alice": Apache
// keeps the parent's Require lines (the sub-section has none of its own),
// so bob never gets in; the import must not let any ticket holder in.
func TestImportApacheAllowFromKeepsParentRequire(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location />
  TKTAuthLoginURL https://login.example.com/login
  require user alice
</Location>
<Location /a>
  Allow from 10.0.0.0/8
</Location>
`)
	r := firstRule(im.Config.ForwardAuth.Rules, "GET", "/a", netip.MustParseAddr("10.1.2.3"))
	if r == nil || r.Bypass || !r.Deny && !slices.Equal(r.Users, []string{"alice"}) {
		t.Errorf("/a from 10.1.2.3: rule %+v lets users other than alice in", r)
	}
}

// A <VirtualHost> whose names no rule can hold: its rules would have no
// hosts and hold for the other sites too, opening /public on app.
func TestImportApacheUnnamedVHostStaysOnItsOwn(t *testing.T) {
	im := strictImport(t, strictHead+`
<VirtualHost *:80>
  <Location />
    TKTAuthLoginURL https://login.example.com/login
    require valid-user
  </Location>
  <Location /public>
    Require all granted
  </Location>
</VirtualHost>
<VirtualHost *:443>
  ServerName app.example.com
  <Location />
    TKTAuthLoginURL https://login.example.com/login
    require valid-user
  </Location>
</VirtualHost>
`)
	for _, r := range im.Config.ForwardAuth.Rules {
		if r.Bypass && len(r.Hosts) == 0 {
			t.Errorf("rule %+v opens %v on every site", r, r.Paths)
		}
	}
}

// A main-server <Location /x/open> (Require all granted) under a virtual
// host's <Location /x> (require valid-user): Apache merges the virtual
// host's over it there, asking a ticket; no rule may open /x/open on it.
func TestImportApacheMainServerSectionUnderVHost(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /x/open>
  Require all granted
</Location>
<VirtualHost *:443>
  ServerName app.example.com
  <Location /x>
    TKTAuthLoginURL https://login.example.com/login
    require valid-user
  </Location>
</VirtualHost>
`)
	noOpenBypass(t, im, "Apache asks a ticket of /x/open on app.example.com")
}

// A Require inside <If> within a <Location> holds on a condition no rule
// has: the section is a deny with a warning, not read as unconditional
// (an <If> "Require all denied" would otherwise be lost); a Require in a
// <LocationMatch> is warned about.
func TestImportApacheConditionalRequire(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location /app>
  TKTAuthLoginURL https://login.example.com/login
  require valid-user
  <If "%{REMOTE_ADDR} == '192.0.2.1'">
    Require all denied
  </If>
</Location>
<LocationMatch "^/admin">
  Require ip 10.0.0.0/8
</LocationMatch>
`)
	if r := firstRule(im.Config.ForwardAuth.Rules, "GET", "/app", netip.MustParseAddr("192.0.2.1")); r == nil || !r.Deny {
		t.Errorf("/app from 192.0.2.1: rule %+v; Apache denies it", r)
	}
	var warned []string
	for _, n := range im.Notes {
		if n.Warning && (strings.Contains(n.Text, "<If>") || strings.Contains(n.Text, "<LocationMatch>")) {
			warned = append(warned, n.Text)
		}
	}
	if len(warned) != 2 {
		t.Errorf("want a warning about <If> and one about <LocationMatch>, got %q", warned)
	}
}

// <RequireAll> with "Require all granted" beside "require valid-user"
// asks a ticket (granted and a ticket is a ticket); AuthMerging And joins
// a section's Require lines with its parent's, which no rule can say.
func TestImportApacheGrantedInRequireAllAndAuthMerging(t *testing.T) {
	im := strictImport(t, strictHead+`
<Location />
  TKTAuthLoginURL https://login.example.com/login
  require user alice
</Location>
<Location /all>
  <RequireAll>
    Require all granted
    Require valid-user
  </RequireAll>
</Location>
<Location /and>
  AuthMerging And
  Require valid-user
</Location>
`)
	noOpenBypass(t, im, "Apache asked a ticket")
	if r := firstRule(im.Config.ForwardAuth.Rules, "GET", "/and", netip.MustParseAddr("192.0.2.1")); r == nil || !r.Deny && !slices.Equal(r.Users, []string{"alice"}) {
		t.Errorf("/and: rule %+v lets users other than alice in (AuthMerging And keeps the parent's require user alice)", r)
	}
}
