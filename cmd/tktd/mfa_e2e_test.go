package main

import (
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/mfa/mfatest"
	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/internal/sqltest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// mfaSite is a real tktd (sha256 tickets, an htpasswd store where bob is
// in a group named mfa) and a real Apache mod_auth_tkt whose /mfa/
// location says TKTAuthToken mfa.
type mfaSite struct {
	t       *testing.T
	tktd    *tktdProcess
	apache  *apachetest.Server
	conf    string
	secret  string
	tktctl  string
	browser *http.Client
}

func startMFASite(t *testing.T) *mfaSite {
	tktdBin, tktctlBin := buildBinaries(t)
	vh := apachetest.VHost{Name: "sha256", Digest: "SHA256", Secret: apachetest.MainSecret,
		Locations: append(apachetest.DefaultLocations("sha256"), apachetest.Location{
			Path: "/mfa/", Directives: []string{"TKTAuthLoginURL $BASE/login", "TKTAuthUnauthURL $BASE/unauth", "TKTAuthToken mfa"},
		})}
	s := &mfaSite{t: t, apache: apachetest.Start(t, apachetest.Config{VHosts: []apachetest.VHost{vh}}), tktctl: tktctlBin, browser: testenv.Browser(t)}
	dir := t.TempDir()
	file := privateFiles(t, dir)
	s.secret = file("secret", apachetest.MainSecret+"\n")
	var users strings.Builder
	for _, u := range []string{"alice", "bob"} {
		h, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		users.WriteString(u + ":" + string(h) + "\n")
	}
	s.conf = file("tktd.yaml", `
data_dir: `+filepath.Join(dir, "data")+`
ticket: {digest: sha256, secret_file: `+s.secret+`}
allowed_redirects: ["127.0.0.1"]
trusted_proxies: [127.0.0.1]
throttle: {max_failures: 3}
mfa: {issuer: E2E}
log: {format: json}
forward_auth:
  rules:
    - {paths: [/basic-mfa], basic: true, tokens: [mfa]}
    - {paths: [/basic], basic: true}
stores:
  - type: htpasswd
    path: `+file("users", users.String())+`
    group_path: `+file("groups", "staff: alice bob\nmfa: bob\n")+`
`)
	s.tktd = startTktd(t, tktdBin, nil, "--config", s.conf)
	return s
}

// run runs tktctl with the site's configuration and returns its stdout.
func (s *mfaSite) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.tktctl, args...).Output()
	if err != nil {
		s.t.Fatalf("tktctl %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

var e2eState = regexp.MustCompile(`name="state" value="([^"]+)"`)

// password posts user's password from a fresh browser (one holding a
// ticket would be signed in already) and returns the code page's state.
func (s *mfaSite) password(user string) string {
	s.t.Helper()
	s.browser = testenv.Browser(s.t)
	resp, body := testenv.Login(s.t, s.browser, s.tktd.base, user, user+"-pw", "")
	m := e2eState.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, `autocomplete="one-time-code"`) {
		s.t.Fatalf("%s's password: %d, no code page\n%s", user, resp.StatusCode, body)
	}
	return m[1]
}

// code posts a code with state and returns the status and the ticket.
func (s *mfaSite) code(state, code string) (int, string) {
	s.t.Helper()
	form := url.Values{"state": {state}, "otp": {code}}
	req, _ := http.NewRequest(http.MethodPost, s.tktd.base+"/login/code", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.tktd.base)
	resp, err := s.browser.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	v, _ := testenv.SetCookieValue(resp, "auth_tkt")
	return resp.StatusCode, v
}

// tokens verifies a ticket as tkt's own validators would and returns its
// tokens.
func (s *mfaSite) tokens(value string) ticket.Tokens {
	s.t.Helper()
	r, err := verifyWith(s.t, s.secret, ticket.SHA256, value)
	if err != nil {
		s.t.Fatalf("ticket %q: %v", value, err)
	}
	return r.Tokens.Groups() // without the login's time
}

// midStep waits, if needed, until the current TOTP step has 5 s left at
// least, so that codes computed now mean the same at tktd.
func midStep() time.Time {
	for {
		now := time.Now()
		if left := mfa.Period - time.Duration(now.Unix()%30)*time.Second; left > 5*time.Second {
			return now
		}
		time.Sleep(time.Second)
	}
}

func totpAt(t *testing.T, secret string, now time.Time, d int) string {
	t.Helper()
	c, err := mfa.Code(secret, mfa.Step(now)+int64(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestE2EMFA follows TOTP through the real binaries and the real Apache
// mod_auth_tkt: tktctl enrolls alice; her password gets a code page, a
// wrong code nothing, a code one step old the ticket with the mfa token,
// which Apache's TKTAuthToken mfa lets in; a code is taken once; bob, in a
// store group named mfa, gets no token by login, HTTP Basic or refresh;
// refreshes keep alice's; wrong codes lock the login like wrong passwords.
func TestE2EMFA(t *testing.T) {
	s := startMFASite(t)
	uri := strings.SplitN(s.run("user", "totp", "enroll", "alice", "--config", s.conf), "\n", 2)[0]
	u, err := url.Parse(uri)
	if err != nil || !strings.HasPrefix(uri, "otpauth://totp/E2E:alice?") {
		t.Fatalf("enroll printed %q", uri)
	}
	secret := u.Query().Get("secret")

	now := midStep()
	state := s.password("alice")
	if st, v := s.code(state, "000000"); st != http.StatusUnauthorized || v != "" {
		if totpAt(t, secret, now, 0) != "000000" {
			t.Errorf("a wrong code: %d, ticket %q", st, v)
		}
	}
	st, value := s.code(state, totpAt(t, secret, now, -1))
	if st != http.StatusSeeOther || s.tokens(value) != "staff,mfa" {
		t.Fatalf("a code one step old: %d, tokens %q", st, s.tokens(value))
	}
	for _, path := range []string{"/mfa/", "/sha256/"} {
		r := s.apache.Do(t, apachetest.Request{VHost: "sha256", Path: path, Cookie: value})
		if !r.Backend || deref(r.RemoteUser) != "alice" || ticket.Tokens(deref(r.Tokens)).Groups() != "staff,mfa" {
			t.Errorf("Apache %s with alice's ticket: %d %q, backend %v, user %s, tokens %s\n%s", path, r.Status, r.Location, r.Backend,
				deref(r.RemoteUser), deref(r.Tokens), s.apache.ErrorLogTail(5))
		}
	}
	if st, _ := s.code(state, totpAt(t, secret, now, -1)); st != http.StatusUnauthorized {
		t.Errorf("the same code again: %d", st)
	}
	current := totpAt(t, secret, now, 0)
	if st, _ := s.code(s.password("alice"), current); st != http.StatusSeeOther {
		t.Errorf("the current code: %d", st)
	}
	if st, _ := s.code(s.password("alice"), current); st != http.StatusUnauthorized {
		t.Errorf("the current code replayed: %d", st)
	}

	// Bob's store group named mfa grants nothing, anywhere.
	resp, body := testenv.Login(t, testenv.Browser(t), s.tktd.base, "bob", "bob-pw", "")
	bob, _ := testenv.SetCookieValue(resp, "auth_tkt")
	if resp.StatusCode != http.StatusSeeOther || s.tokens(bob) != "staff" {
		t.Fatalf("bob's login: %d, tokens %q\n%s", resp.StatusCode, s.tokens(bob), body)
	}
	if r := s.apache.Do(t, apachetest.Request{VHost: "sha256", Path: "/mfa/", Cookie: bob}); r.Backend {
		t.Error("Apache's TKTAuthToken mfa let bob's password-only ticket in")
	}
	auth := func(path, cookie string, basic ...string) (int, string) {
		return askAuth(t, s.tktd.base, "http://127.0.0.1"+path, cookie, basic...)
	}
	if st, _ := auth("/basic-mfa", "", "bob", "bob-pw"); st != http.StatusForbidden {
		t.Errorf("bob with HTTP Basic where mfa is required: %d, want 403", st)
	}
	if st, _ := auth("/basic", "", "bob", "bob-pw"); st != http.StatusOK {
		t.Errorf("bob with HTTP Basic: %d", st)
	}
	if st, _ := auth("/basic-mfa", value); st != http.StatusOK {
		t.Errorf("alice's ticket where mfa is required: %d", st)
	}

	// Refreshes ask the store: alice keeps her token, bob gets none.
	mint := func(user, tokens string) string {
		return strings.TrimSpace(s.run("mint", "--secret-file", s.secret, "--digest", "sha256", "--user", user, "--tokens", tokens,
			"--ip", "127.0.0.1", "--ts", strconv.FormatInt(time.Now().Add(-61*time.Minute).Unix(), 10)))
	}
	for _, c := range []struct{ user, tokens, want string }{{"alice", "staff,mfa", "staff,mfa"}, {"bob", "staff", "staff"}} {
		st, fresh := auth("/basic", mint(c.user, c.tokens))
		if st != http.StatusOK || fresh == "" || s.tokens(fresh) != ticket.Tokens(c.want) {
			t.Errorf("%s's refresh: %d, tokens %q; want %q", c.user, st, s.tokens(fresh), c.want)
		}
	}

	// Wrong codes lock the login like wrong passwords (max_failures 3):
	// the replayed code above was the first failure since the last
	// success, two more lock alice out from here.
	now = midStep()
	state = s.password("alice")
	bad := mfatest.WrongCode(totpAt(t, secret, now, -1), totpAt(t, secret, now, 0), totpAt(t, secret, now, 1))
	for i := range 2 {
		if st, _ := s.code(state, bad); st != http.StatusUnauthorized {
			t.Errorf("wrong code %d: %d", i+1, st)
		}
	}
	if st, v := s.code(state, totpAt(t, secret, now, 1)); st != http.StatusTooManyRequests || v != "" {
		t.Errorf("the right code after three failures: %d, want 429", st)
	}
}

// TestE2EMFATwoInstances: two tktd instances share users and factors in
// the real PostgreSQL; a code accepted at one is refused at the other,
// whose next code then works.
func TestE2EMFATwoInstances(t *testing.T) {
	tktdBin, tktctlBin := buildBinaries(t)
	dsn, _ := sqltest.Postgres(t)
	dir := t.TempDir()
	file := privateFiles(t, dir)
	keyFile := filepath.Join(dir, "mfa.key")
	if _, err := mfa.EnsureKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	conf := file("tktd.yaml", `
data_dir: `+filepath.Join(dir, "data")+`
ticket: {secret_file: `+file("secret", "a shared secret of thirty-two b.\n")+`}
mfa: {key_file: `+keyFile+`}
log: {format: json}
stores:
  - {type: sql, driver: postgres, dsn_file: `+file("dsn", dsn+"\n")+`}
`)
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(tktctlBin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tktctl %s: %v", strings.Join(args[:3], " "), err)
		}
		return string(out)
	}
	run("carol-pw\n", "user", "add", "carol", "--password-stdin", "--bcrypt-cost", "4", "--driver", "postgres", "--dsn", dsn)
	u, _ := url.Parse(strings.SplitN(run("", "user", "totp", "enroll", "carol", "--config", conf), "\n", 2)[0])
	secret := u.Query().Get("secret")
	a, b := startTktd(t, tktdBin, nil, "--config", conf), startTktd(t, tktdBin, nil, "--config", conf)
	site := func(p *tktdProcess) *mfaSite { return &mfaSite{t: t, tktd: p, browser: testenv.Browser(t)} }
	now := midStep()
	code := totpAt(t, secret, now, 0)
	if st, _ := site(a).code(site(a).password("carol"), code); st != http.StatusSeeOther {
		t.Fatalf("the code at A: %d", st)
	}
	sb := site(b)
	if st, _ := sb.code(sb.password("carol"), code); st != http.StatusUnauthorized {
		t.Errorf("the same code at B: %d, want 401", st)
	}
	if st, v := sb.code(sb.password("carol"), totpAt(t, secret, now, 1)); st != http.StatusSeeOther || v == "" {
		t.Errorf("the next code at B: %d", st)
	}
}
