package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/mfa/mfatest"
	"github.com/tkt-sso/tkt/ticket"
)

// mfaFixture is a portal with second factors in a real SQLite database,
// on the fixture's clock; alice has a TOTP factor and recovery codes.
type mfaFixture struct {
	*fixture
	m     *mfa.Manager
	key   *otp.Key
	codes []string
}

func newMFAFixture(t testing.TB, edit func(*Config)) *mfaFixture {
	t.Helper()
	f := &mfaFixture{}
	f.m, _ = mfatest.New(t, "Test", func() time.Time { return f.now })
	f.fixture = newFixture(t, func(c *Config) {
		c.MFA = &MFAConfig{Factors: f.m}
		if edit != nil {
			edit(c)
		}
	})
	var err error
	if f.key, err = f.m.EnrollTOTP(context.Background(), "alice", true); err != nil {
		t.Fatal(err)
	}
	if f.codes, err = f.m.NewRecoveryCodes(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	return f
}

var stateField = regexp.MustCompile(`name="state" value="([^"]+)"`)

// password posts alice's (or user's) password and returns the code
// page's state, checking that no ticket came with it.
func (f *mfaFixture) password(user, pw string) string {
	f.t.Helper()
	w := f.login(user, pw, testBackURL)
	body := w.Body.String()
	if w.Code != http.StatusOK || setCookie(w, "auth_tkt") != nil {
		f.t.Fatalf("password step: %d, cookie %v\n%s", w.Code, setCookie(w, "auth_tkt"), body)
	}
	for _, want := range []string{`name="otp"`, `inputmode="numeric"`, `autocomplete="one-time-code"`, `action="/login/code"`} {
		if !strings.Contains(body, want) {
			f.t.Errorf("the code page lacks %s", want)
		}
	}
	m := stateField.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no state on the code page:\n%s", body)
	}
	return m[1]
}

func (f *mfaFixture) code(state, code string, header map[string]string) *httptest.ResponseRecorder {
	f.t.Helper()
	form := url.Values{"state": {state}, "otp": {code}, "back": {testBackURL}}
	return f.do(req{method: http.MethodPost, target: "/login/code", form: form, header: header})
}

// totp is the code of k at the fixture's clock plus d steps.
func (f *mfaFixture) totp(k *otp.Key, d int) string {
	f.t.Helper()
	c, err := mfa.Code(k.Secret(), mfa.Step(f.now)+int64(d))
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// issued is the ticket a response set, verified.
func (f *mfaFixture) issued(w *httptest.ResponseRecorder) ticket.Ticket {
	f.t.Helper()
	c := setCookie(w, "auth_tkt")
	if c == nil {
		f.t.Fatalf("no ticket: %d %s", w.Code, w.Body.String())
	}
	v, _ := ticket.NewVerifier(f.opts.Ticket)
	res, err := v.VerifyCookies([]string{"auth_tkt=" + c.Value}, "auth_tkt", netipMust(testClient), f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Ticket
}

func TestMFALogin(t *testing.T) {
	f := newMFAFixture(t, nil)
	state := f.password("alice", alicePass)
	expect := func(what string, w *httptest.ResponseRecorder, status int) {
		t.Helper()
		if w.Code != status {
			t.Errorf("%s: %d, want %d\n%s", what, w.Code, status, w.Body.String())
		}
		if status != http.StatusSeeOther && setCookie(w, "auth_tkt") != nil {
			t.Errorf("%s: a ticket without a right code", what)
		}
	}
	expect("wrong code", f.code(state, mfatest.WrongCode(f.totp(f.key, -1), f.totp(f.key, 0), f.totp(f.key, 1)), nil), http.StatusUnauthorized)
	expect("two steps old", f.code(state, f.totp(f.key, -2), nil), http.StatusUnauthorized)
	expect("empty code", f.code(state, "", nil), http.StatusBadRequest)

	w := f.code(state, f.totp(f.key, -1), nil) // one step of clock skew
	expect("a code one step behind", w, http.StatusSeeOther)
	if loc := w.Header().Get("Location"); loc != testBackURL {
		t.Errorf("redirect to %q", loc)
	}
	if tk := f.issued(w); tk.UID != "alice" || tk.Tokens.Groups() != "admin,staff,mfa" {
		t.Errorf("ticket %+v; want alice with admin,staff,mfa", tk)
	} else if at, ok := tk.Tokens.AuthTime(); !ok || !at.Equal(f.now) {
		t.Errorf("ticket %+v: auth time %v, %v; want the code's time, %v", tk, at, ok, f.now)
	}
	expect("the same code again", f.code(state, f.totp(f.key, -1), nil), http.StatusUnauthorized)
	now := f.totp(f.key, 0)
	expect("the current code", f.code(state, now, nil), http.StatusSeeOther)
	expect("replayed in the same window", f.code(state, now, nil), http.StatusUnauthorized)
	f.now = f.now.Add(30 * time.Second)
	expect("replayed in the next window", f.code(state, now, nil), http.StatusUnauthorized)
	expect("a code one step ahead", f.code(state, f.totp(f.key, 1), nil), http.StatusSeeOther)

	// Bob has no factor: his password gives the ticket, without the token.
	w = f.login("bob", bobPass, testBackURL)
	if tk := f.issued(w); w.Code != http.StatusSeeOther || tk.Tokens.Has("mfa") {
		t.Errorf("bob: %d %+v", w.Code, tk)
	}
	// A wrong password never reaches the code page.
	if w := f.login("alice", "nope", testBackURL); w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), `name="otp"`) {
		t.Errorf("wrong password: %d", w.Code)
	}
}

// TestMFAState: the state between the steps cannot be forged, moved to
// another client, kept past its time, or posted from another site.
func TestMFAState(t *testing.T) {
	f := newMFAFixture(t, nil)
	state := f.password("alice", alicePass)
	payload, sig, _ := strings.Cut(state, ".")
	forged := mfaState{User: "alice", Client: testClient, At: f.now.Unix()}.sign(mfaStateKey("some other secret 0123456789"))
	for _, c := range []struct {
		what, state string
		header      map[string]string
		status      int
	}{
		{"a forged state", forged, nil, http.StatusBadRequest},
		{"a changed payload", payload + "x." + sig, nil, http.StatusBadRequest},
		{"no state", "", nil, http.StatusBadRequest},
		{"from another site", state, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		if w := f.code(c.state, f.totp(f.key, 0), c.header); w.Code != c.status || setCookie(w, "auth_tkt") != nil {
			t.Errorf("%s: %d, want %d", c.what, w.Code, c.status)
		}
	}
	form := url.Values{"state": {state}, "otp": {f.totp(f.key, 0)}}
	if w := f.do(req{method: http.MethodPost, target: "/login/code", form: form, remote: "198.51.100.7:1"}); w.Code != http.StatusBadRequest {
		t.Errorf("from another client: %d", w.Code)
	}
	f.now = f.now.Add(mfaStateTTL + time.Second)
	if w := f.code(state, f.totp(f.key, 0), nil); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), string(reasonStepExpired)) {
		t.Errorf("an expired state: %d", w.Code)
	}
}

// TestMFAThrottle: wrong codes count like wrong passwords; once locked,
// even the right code is refused, and the password step does not forgive.
func TestMFAThrottle(t *testing.T) {
	f := newMFAFixture(t, func(c *Config) { c.Throttle = ThrottleConfig{MaxFailures: 3} })
	state := f.password("alice", alicePass)
	bad := mfatest.WrongCode(f.totp(f.key, -1), f.totp(f.key, 0), f.totp(f.key, 1))
	for i := range 3 {
		if w := f.code(state, bad, nil); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+1, w.Code)
		}
	}
	w := f.code(state, f.totp(f.key, 0), nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Errorf("the right code while locked: %d", w.Code)
	}
	// Codes have buckets of their own: the password still gets to the
	// code page, whose code is refused until the wait is over.
	if w := f.code(f.password("alice", alicePass), f.totp(f.key, 0), nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("the right code after the password again, while locked: %d", w.Code)
	}
	f.now = f.now.Add(10 * time.Minute)
	state = f.password("alice", alicePass)
	if w := f.code(state, f.totp(f.key, 0), nil); w.Code != http.StatusSeeOther {
		t.Errorf("after the wait: %d", w.Code)
	}
}

// TestMFARecoveryCodes: each code signs in once, in place of a TOTP code.
// Whoever holds the password cannot guess more codes by signing in with
// the password alone in between (HTTP Basic shares the throttle and asks
// no code): found by review, where each right password forgave the codes
// guessed on that network and made it known, sparing the per-user
// bucket that caps guesses across networks (100 guesses from 10 networks
// instead of 20).
func TestMFACodeGuessesAcrossNetworks(t *testing.T) {
	f := newMFAFixture(t, nil)
	basic := f.p.Passwords(f.opts.Source)
	guesses := 0
	for n := 1; n <= 10; n++ {
		ip := fmt.Sprintf("198.51.100.%d", n)
		w := f.do(req{method: http.MethodPost, target: "/login", remote: ip + ":1", form: url.Values{"user": {"alice"}, "password": {alicePass}}, cookies: []*http.Cookie{probe()}})
		m := stateField.FindStringSubmatch(w.Body.String())
		if m == nil {
			continue // the password itself throttled
		}
		for i := range 25 {
			if i%4 == 3 {
				basic.Check(context.Background(), "alice", alicePass, netipMust(ip), f.now)
			}
			if w := f.do(req{method: http.MethodPost, target: "/login/code", remote: ip + ":1", form: url.Values{"state": {m[1]}, "otp": {"000000"}}}); w.Code == http.StatusUnauthorized {
				guesses++
			}
		}
	}
	if max := (ThrottleConfig{}).withDefaults().MaxUserFailures; guesses > max {
		t.Errorf("%d code guesses checked from 10 networks in one window, want at most the per-user %d", guesses, max)
	}
}

func TestMFARecoveryCodes(t *testing.T) {
	f := newMFAFixture(t, func(c *Config) { c.Throttle.Disabled = true })
	for i, c := range f.codes {
		state := f.password("alice", alicePass)
		if w := f.code(state, c, nil); w.Code != http.StatusSeeOther || !f.issued(w).Tokens.Has("mfa") {
			t.Errorf("recovery code %d: %d", i, w.Code)
		}
		if w := f.code(state, c, nil); w.Code != http.StatusUnauthorized {
			t.Errorf("recovery code %d again: %d", i, w.Code)
		}
	}
}

// TestMFAStoreGroup: a store group named mfa grants nothing at the login.
func TestMFAStoreGroup(t *testing.T) {
	f := newMFAFixture(t, nil)
	if err := os.WriteFile(filepath.Join(f.dir, "groups"), []byte("staff: alice bob\nmfa: bob alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.src.Source.(*htpasswd.Store).Reload(); err != nil {
		t.Fatal(err)
	}
	w := f.login("bob", bobPass, testBackURL)
	if tk := f.issued(w); tk.Tokens.Groups() != "staff" {
		t.Errorf("bob in a group named mfa: tokens %q", tk.Tokens)
	}
}

// TestMFARequired: a user without a factor enrolls right after the
// password, confirms with a first code, sees ten recovery codes once, and
// leaves with the token.
func TestMFARequired(t *testing.T) {
	f := newMFAFixture(t, func(c *Config) { c.MFA.Required = true })
	state := f.password("bob", bobPass)
	w := f.code(state, "000000", nil)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `src="data:image/png;base64,`) {
		t.Fatalf("a wrong first code: %d\n%s", w.Code, w.Body.String())
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") {
		t.Errorf("CSP %q", csp)
	}
	key, err := f.m.PendingTOTP(context.Background(), "bob")
	if err != nil || key == nil {
		t.Fatal(key, err)
	}
	w = f.code(state, f.totp(key, 0), nil)
	if w.Code != http.StatusOK || !f.issued(w).Tokens.Has("mfa") || strings.Count(w.Body.String(), "<li><code>") != mfa.RecoveryCodes ||
		!strings.Contains(w.Body.String(), `href="`+strings.ReplaceAll(testBackURL, "&", "&amp;")+`"`) {
		t.Errorf("confirmed: %d\n%s", w.Code, w.Body.String())
	}
	if s, _ := f.m.Status(context.Background(), "bob"); !s.TOTP || s.Recovery != mfa.RecoveryCodes {
		t.Errorf("bob's factors: %+v", s)
	}
}

// TestSecurityPage: a signed-in user sets up, replaces, renews recovery
// codes for and removes their factor; each change asks for the password,
// and a user with a factor must hold a ticket got with it.
func TestSecurityPage(t *testing.T) {
	f := newMFAFixture(t, nil)
	post := func(cookie string, form url.Values) *httptest.ResponseRecorder {
		return f.do(req{method: http.MethodPost, target: "/account/security", form: form, cookies: []*http.Cookie{ticketCookie(cookie)}})
	}
	if w := f.do(req{target: "/account/security"}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?back=%2Faccount%2Fsecurity" {
		t.Errorf("signed out: %d %q", w.Code, w.Header().Get("Location"))
	}
	// Bob, without a factor, sets one up.
	bob := f.ticketFor(ticket.Ticket{UID: "bob"}, testSecret)
	w := f.do(req{target: "/account/security", cookies: []*http.Cookie{ticketCookie(bob)}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "No authenticator app is set up") {
		t.Fatalf("bob's page: %d\n%s", w.Code, w.Body.String())
	}
	if w := post(bob, url.Values{"action": {"enroll"}, "password": {"wrong"}}); w.Code != http.StatusUnauthorized {
		t.Errorf("enroll with a wrong password: %d", w.Code)
	}
	if s, _ := f.m.Status(context.Background(), "bob"); s.PendingTOTP {
		t.Error("a wrong password started an enrollment")
	}
	w = post(bob, url.Values{"action": {"enroll"}, "password": {bobPass}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `src="data:image/png;base64,`) || !strings.Contains(w.Body.String(), `autocomplete="one-time-code"`) {
		t.Fatalf("enroll: %d\n%s", w.Code, w.Body.String())
	}
	key, _ := f.m.PendingTOTP(context.Background(), "bob")
	if w := post(bob, url.Values{"action": {"confirm"}, "otp": {"999999"}}); w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), key.Secret()[:8]) {
		t.Errorf("confirm with a wrong code: %d, the secret shown again: %v", w.Code, strings.Contains(w.Body.String(), key.Secret()[:8]))
	}
	w = post(bob, url.Values{"action": {"confirm"}, "otp": {f.totp(key, 0)}})
	if w.Code != http.StatusOK || strings.Count(w.Body.String(), "<li><code>") != mfa.RecoveryCodes {
		t.Fatalf("confirm: %d\n%s", w.Code, w.Body.String())
	}
	tk := f.issued(w)
	if tk.UID != "bob" || !tk.Tokens.Has("mfa") || !tk.Time.Equal(f.now) {
		t.Errorf("the ticket after confirming: %+v", tk)
	}
	withMFA := setCookie(w, "auth_tkt").Value

	// With a factor: the old ticket (no mfa token) may change nothing.
	if w := post(bob, url.Values{"action": {"remove"}, "password": {bobPass}}); w.Code != http.StatusForbidden {
		t.Errorf("remove with a ticket got without the factor: %d", w.Code)
	}
	w = post(withMFA, url.Values{"action": {"recovery"}, "password": {bobPass}})
	if w.Code != http.StatusOK || strings.Count(w.Body.String(), "<li><code>") != mfa.RecoveryCodes {
		t.Errorf("new recovery codes: %d", w.Code)
	}
	if w := post(withMFA, url.Values{"action": {"remove"}, "password": {"nope"}}); w.Code != http.StatusUnauthorized {
		t.Errorf("remove with a wrong password: %d", w.Code)
	}
	if w := post(withMFA, url.Values{"action": {"remove"}, "password": {bobPass}}); w.Code != http.StatusOK {
		t.Errorf("remove: %d", w.Code)
	}
	if s, _ := f.m.Status(context.Background(), "bob"); s.TOTP || s.Recovery != 0 {
		t.Errorf("after remove: %+v", s)
	}
	if w := f.do(req{method: http.MethodGet, target: "/login/code"}); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET /login/code: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
	for _, h := range []string{"cross-site", "same-site"} {
		w := f.do(req{method: http.MethodPost, target: "/account/security", form: url.Values{"action": {"enroll"}, "password": {bobPass}},
			cookies: []*http.Cookie{ticketCookie(withMFA)}, header: map[string]string{"Sec-Fetch-Site": h}})
		if w.Code != http.StatusForbidden {
			t.Errorf("a %s POST: %d", h, w.Code)
		}
	}
}

// TestRenewKeepsMFA: a refresh asks the store, which never grants the mfa
// token (a group of that name is dropped), and keeps it when the old
// ticket had it.
// An enrollment begun by alice (who has a factor) cannot be finished, nor
// its secret read, with a ticket of hers got without the factor (HTTP
// Basic's, an older one, a stolen one): found by review, where a wrong
// code showed the pending secret and a right one replaced her factor.
func TestSecurityConfirmNeedsTheFactor(t *testing.T) {
	f := newMFAFixture(t, nil)
	ctx := context.Background()
	pending, err := f.m.EnrollTOTP(ctx, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	noMFA := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	for _, code := range []string{"000000", f.totp(pending, 0)} {
		w := f.do(req{method: http.MethodPost, target: "/account/security", form: url.Values{"action": {"confirm"}, "otp": {code}}, cookies: []*http.Cookie{noMFA}})
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), pending.Secret()[:8]) || setCookie(w, "auth_tkt") != nil {
			t.Errorf("confirm %s with a ticket without the factor: %d, secret shown %v, ticket %v", code, w.Code,
				strings.Contains(w.Body.String(), pending.Secret()[:8]), setCookie(w, "auth_tkt"))
		}
	}
	if _, err := f.m.Verify(ctx, "alice", f.totp(f.key, 0)); err != nil {
		t.Errorf("alice's own factor: %v", err)
	}
	w := f.do(req{method: http.MethodPost, target: "/account/security", form: url.Values{"action": {"passkey-finish"}}, cookies: []*http.Cookie{noMFA}})
	if w.Code != http.StatusForbidden {
		t.Errorf("passkey-finish with a ticket without the factor: %d", w.Code)
	}
	// Left past its time, the enrollment is gone even for her.
	f.now = f.now.Add(mfa.PendingTTL + time.Minute)
	if k, err := f.m.PendingTOTP(ctx, "alice"); k != nil || err != nil {
		t.Errorf("an enrollment left %v: %v, %v", mfa.PendingTTL+time.Minute, k, err)
	}
}

func TestRenewKeepsMFA(t *testing.T) {
	dir := t.TempDir()
	pw, gr := writeHtpasswd(t, dir)
	os.WriteFile(gr, []byte("staff: alice bob\nmfa: bob\n"), 0o600)
	store, err := htpasswd.New(htpasswd.Config{Path: pw, GroupPath: gr})
	if err != nil {
		t.Fatal(err)
	}
	rn, err := NewRenew(RenewConfig{Source: store, Keep: []string{"mfa"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   ticket.Ticket
		want ticket.Tokens
	}{
		{ticket.Ticket{UID: "alice", Tokens: "staff,mfa"}, "staff,mfa"},
		{ticket.Ticket{UID: "alice", Tokens: "old"}, "staff"},
		{ticket.Ticket{UID: "bob"}, "staff"},
	} {
		got, err := rn(context.Background(), c.in)
		if err != nil || got.Tokens != c.want {
			t.Errorf("renew %+v = %q, %v; want %q", c.in, got.Tokens, err, c.want)
		}
	}
	if _, err := NewRenew(RenewConfig{Source: store, Keep: []string{"a,b"}}); err == nil {
		t.Error("a kept token with a comma was taken")
	}
}

// TestPasskeyStep: a passkey answer that proves nothing counts as a wrong
// code, and a state without a ceremony (or none) is refused. (The real
// ceremonies run in Chromium: TestBrowserPasskeys.)
func TestPasskeyStep(t *testing.T) {
	f := newMFAFixture(t, func(c *Config) { c.Throttle = ThrottleConfig{MaxFailures: 3} })
	state := f.password("alice", alicePass)
	post := func(form url.Values) *httptest.ResponseRecorder {
		return f.do(req{method: http.MethodPost, target: "/login/passkey", form: form})
	}
	if w := post(url.Values{"state": {state}, "credential": {"{}"}}); w.Code != http.StatusBadRequest {
		t.Errorf("the code form's state (no ceremony): %d", w.Code)
	}
	ms, err := parseMFAState(state, f.p.state.Load().mfa.key, netipMust(testClient), f.now)
	if err != nil {
		t.Fatal(err)
	}
	ms.Ceremony = []byte(`{"challenge":"abc"}`)
	withCeremony := ms.sign(f.p.state.Load().mfa.key)
	for i, cred := range []string{"", "{}", `{"id":"x","type":"public-key"}`} {
		if w := post(url.Values{"state": {withCeremony}, "credential": {cred}}); w.Code != http.StatusUnauthorized || setCookie(w, "auth_tkt") != nil {
			t.Errorf("bad credential %d: %d", i, w.Code)
		}
	}
	if w := post(url.Values{"state": {withCeremony}, "credential": {"{}"}}); w.Code != http.StatusTooManyRequests {
		t.Errorf("after three bad passkeys: %d, want 429", w.Code)
	}
	// A passkey sign-in's state (no user) is no code step's, and its
	// answer must prove something.
	signIn := mfaState{Client: testClient, At: f.now.Unix(), Discoverable: true, Ceremony: []byte(`{"challenge":"abc"}`)}.sign(f.p.state.Load().mfa.key)
	if w := f.code(signIn, f.totp(f.key, 0), nil); w.Code != http.StatusBadRequest {
		t.Errorf("a sign-in state at /login/code: %d", w.Code)
	}
	if w := post(url.Values{"state": {signIn}, "credential": {`{"id":"x"}`}}); w.Code != http.StatusUnauthorized || setCookie(w, "auth_tkt") != nil {
		t.Errorf("a passkey sign-in with a bad answer: %d", w.Code)
	}
	noCeremony := mfaState{Client: testClient, At: f.now.Unix(), Discoverable: true}.sign(f.p.state.Load().mfa.key)
	if w := post(url.Values{"state": {noCeremony}, "credential": {"{}"}}); w.Code != http.StatusBadRequest {
		t.Errorf("a sign-in state without a ceremony: %d", w.Code)
	}
	if w := f.do(req{target: "/login/passkey"}); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /login/passkey: %d", w.Code)
	}
}
