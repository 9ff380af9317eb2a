package tkthttp_test

// The differential test: the same requests sent to the real Apache with
// mod_auth_tkt (internal/apachetest) and to the middleware configured the
// same way (differential_locations_test.go). Verdicts, REMOTE_USER, tokens,
// data, redirect targets, back URLs and the tickets set in cookies must
// agree, except for the deliberate differences (ticket.md section 7), each
// of which is asserted explicitly in diffDifferences.

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// diffOutcome is what one side did with a request, in comparable form.
type diffOutcome struct {
	Status   int
	Accepted bool // the application ran
	// What the application was told (REMOTE_USER, REMOTE_USER_TOKENS,
	// REMOTE_USER_DATA / the Identity); nil unless accepted.
	User, Tokens, Data *string
	// The redirect, split: Target up to the back argument, Sep the
	// character before it, Back the decoded back URL (from the argument
	// or the back cookie).
	Target, Sep, Back string
	BackCookie        bool
	// Ticket is the ticket cookie set: "" none, "deleted", or what the new
	// ticket says ("uid!tokens!data", + " fresh" when minted now) once
	// it verifies under the virtual host's current secret.
	Ticket string
}

// diffSeen is an outcome with the raw material behind it.
type diffSeen struct {
	out       diffOutcome
	location  string
	cookies   []*http.Cookie
	rawCookie []string
}

// diffEnv is the running Apache and what the test knows about it.
type diffEnv struct {
	s    *apachetest.Server
	vhs  map[string]diffVHost
	locs map[string]diffLoc
	now  time.Time
}

// diffCase is one request, sent to both.
type diffCase struct {
	name   string
	vhost  string // "" means md5
	loc    string
	path   string // "" means /loc/page?x=1
	method string
	cookie string // the ticket cookie's value
	header http.Header
	from   string // client address; "" means 127.0.0.1
	// tweak changes our config away from the mirror (a variant); the
	// case must then name the difference it shows.
	tweak func(*tkthttp.Config)
	// differ names the deliberate difference (diffDifferences) the case
	// shows; "" means both must agree.
	differ string
	// guest is a regexp both guest names must match; they then compare
	// as equal (each guest gets a random name).
	guest string
}

func startDiffEnv(t *testing.T) *diffEnv {
	t.Helper()
	e := &diffEnv{s: apachetest.Start(t, diffApacheConfig()), vhs: map[string]diffVHost{}, locs: map[string]diffLoc{}}
	for _, vh := range diffVHosts() {
		e.vhs[vh.name] = vh
	}
	for _, l := range diffLocations() {
		e.locs[l.name] = l
	}
	e.now = time.Now().Truncate(time.Second)
	return e
}

func (c diffCase) vh() string     { return diffOr(c.vhost, "md5") }
func (c diffCase) client() string { return diffOr(c.from, "127.0.0.1") }
func (c diffCase) target() string { return diffOr(c.path, "/"+c.loc+"/page?x=1") }

func diffOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// config is our mirror of the case's location.
func (e *diffEnv) config(t *testing.T, c diffCase) tkthttp.Config {
	t.Helper()
	vh, ok := e.vhs[c.vh()]
	l, ok2 := e.locs[c.loc]
	if !ok || !ok2 || !vh.has(c.loc) {
		t.Fatalf("no location %s on virtual host %s", c.loc, c.vh())
	}
	cfg := l.ours(e.s.URL(vh.name))
	cfg.Ticket.Digest, cfg.Ticket.Secret = vh.digest, vh.secret
	if vh.old != "" {
		cfg.Ticket.OldSecrets = []string{vh.old}
	}
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	return cfg
}

func (e *diffEnv) mint(t *testing.T, vhost string, tk ticket.Ticket, ip string) string {
	t.Helper()
	return e.mintWith(t, e.vhs[vhost].digest, e.vhs[vhost].secret, tk, ip)
}

func (e *diffEnv) mintWith(t *testing.T, d ticket.Digest, secret string, tk ticket.Ticket, ip string) string {
	t.Helper()
	v, err := ticket.Minter{Digest: d, Secret: secret}.MintCookie(tk, netip.MustParseAddr(diffOr(ip, "127.0.0.1")))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *diffEnv) request(c diffCase) apachetest.Request {
	return apachetest.Request{VHost: c.vh(), Path: c.target(), Method: c.method, Cookie: c.cookie,
		CookieName: e.locCookieName(c), Header: c.header, From: netip.MustParseAddr(c.client())}
}

func (e *diffEnv) locCookieName(c diffCase) string {
	if c.loc == "cookiename" {
		return "my_tkt"
	}
	return ""
}

func (e *diffEnv) apache(t *testing.T, c diffCase, cfg tkthttp.Config) diffSeen {
	t.Helper()
	r := e.s.Do(t, e.request(c))
	seen := diffSeen{location: r.Location, rawCookie: r.SetCookie}
	seen.out.Status = r.Status
	if r.Backend && r.Status == 200 {
		seen.out.Accepted = true
		seen.out.User, seen.out.Tokens, seen.out.Data = r.RemoteUser, r.Tokens, r.Data
	}
	for _, h := range r.SetCookie {
		if ck, err := http.ParseSetCookie(h); err == nil {
			seen.cookies = append(seen.cookies, ck)
		}
	}
	e.describe(t, c, cfg, &seen)
	return seen
}

// ours sends the case's request through the middleware, built as the Go
// server would see the one Apache got: same target, Host, client address
// and Cookie header lines.
func (e *diffEnv) ours(t *testing.T, c diffCase, cfg tkthttp.Config) diffSeen {
	t.Helper()
	m, err := tkthttp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	areq := e.request(c)
	r := httptest.NewRequest(diffOr(c.method, "GET"), areq.Path, strings.NewReader(areq.Body))
	r.Host = strings.TrimPrefix(e.s.URL(c.vh()), "http://")
	r.RemoteAddr = c.client() + ":40000"
	for k, vs := range c.header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if c.cookie != "" {
		r.Header["Cookie"] = append([]string{diffOr(areq.CookieName, "auth_tkt") + "=" + c.cookie}, r.Header["Cookie"]...)
	}
	var seen diffSeen
	rec := httptest.NewRecorder()
	m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tkthttp.IdentityFrom(r.Context())
		tokens := string(id.Tokens)
		seen.out.Accepted = true
		seen.out.User, seen.out.Tokens, seen.out.Data = &id.UID, &tokens, &id.Data
	})).ServeHTTP(rec, r)
	res := rec.Result()
	seen.out.Status, seen.location = res.StatusCode, res.Header.Get("Location")
	seen.rawCookie = res.Header.Values("Set-Cookie")
	seen.cookies = res.Cookies()
	e.describe(t, c, cfg, &seen)
	return seen
}

// describe fills the redirect and cookie parts of an outcome.
func (e *diffEnv) describe(t *testing.T, c diffCase, cfg tkthttp.Config, seen *diffSeen) {
	t.Helper()
	o := &seen.out
	o.Target = seen.location
	arg := diffOr(cfg.BackArg, "back") + "="
	if i := strings.LastIndex(seen.location, arg); i > 0 && strings.ContainsRune("?&;", rune(seen.location[i-1])) {
		o.Target, o.Sep = seen.location[:i-1], seen.location[i-1:i]
		o.Back = unescape(t, seen.location[i+len(arg):])
	}
	name := diffOr(cfg.CookieName, ticket.DefaultCookieName)
	for _, ck := range seen.cookies {
		switch {
		case ck.Name == cfg.BackCookieName && ck.Name != "":
			o.BackCookie, o.Back = true, unescape(t, ck.Value)
		case ck.Name == name && ck.Value == "":
			o.Ticket = "deleted"
		case ck.Name == name:
			o.Ticket = e.readTicket(t, c, cfg, ck.Value)
		default:
			t.Errorf("unexpected cookie %q", ck.Name)
		}
	}
}

func unescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	if err != nil {
		t.Errorf("back URL %q: %v", s, err)
	}
	return u
}

func (e *diffEnv) readTicket(t *testing.T, c diffCase, cfg tkthttp.Config, value string) string {
	t.Helper()
	vh := e.vhs[c.vh()]
	// Guests: a guest ticket is read as what it says, like any other.
	v, err := ticket.NewVerifier(ticket.Config{Digest: vh.digest, Secret: vh.secret, IgnoreIP: cfg.Ticket.IgnoreIP, Guests: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(value, netip.MustParseAddr(c.client()), e.now)
	if err != nil {
		return "unverifiable (" + err.Error() + ")"
	}
	s := res.UID + "!" + string(res.Tokens) + "!" + res.Data
	if d := time.Since(res.Time); d > -5*time.Second && d < 5*time.Second {
		s += " fresh"
	}
	return s
}

// diff compares the two sides of one case.
func (e *diffEnv) diff(t *testing.T, c diffCase) {
	t.Helper()
	cfg := e.config(t, c)
	a, o := e.apache(t, c, cfg), e.ours(t, c, cfg)
	e.checkCookieAttributes(t, c, cfg, a, o)
	if c.guest != "" {
		sameGuest(t, c.guest, &a.out, &o.out)
	}
	if c.differ != "" {
		f, ok := diffDifferences()[c.differ]
		if !ok {
			t.Fatalf("unknown deliberate difference %q", c.differ)
		}
		if done := f(t, e, c, &a, &o); done {
			return
		}
	}
	e.backKeepsPort(t, c, &a.out, &o.out)
	if d := cmp.Diff(a.out, o.out); d != "" {
		t.Errorf("Apache (-) and the middleware (+) differ:\n%s\nApache:  Location %q, Set-Cookie %q\nours:    Location %q, Set-Cookie %q",
			d, a.location, a.rawCookie, o.location, o.rawCookie)
	}
}

// backKeepsPort is a deliberate difference found in every back URL: the
// module cuts the port from the Host header (in place, by accident: it
// computes the cookie domain first), so its back URL names another
// server; ours is the exact URL the client asked for.
func (e *diffEnv) backKeepsPort(t *testing.T, c diffCase, a, o *diffOutcome) {
	t.Helper()
	base := e.s.URL(c.vh())
	if o.Back == "" {
		return
	}
	if !strings.HasPrefix(o.Back, base+"/") || !strings.HasPrefix(a.Back, "http://127.0.0.1/") {
		t.Errorf("back URLs: ours %q should start with %s/, Apache's %q with http://127.0.0.1/ (port cut)", o.Back, base, a.Back)
		return
	}
	o.Back = "http://127.0.0.1" + strings.TrimPrefix(o.Back, base)
}

// checkCookieAttributes asserts the deliberate differences in cookie
// attributes: ours are HttpOnly and SameSite=Lax and host-only unless a
// domain is configured; the module's are none of these and carry the
// request's host as domain. Deletions: ours say Max-Age=0 and a true past
// Expires; the module's Expires is computed from seconds taken as
// microseconds (a date in January 1970 anyway, but not Max-Age).
func (e *diffEnv) checkCookieAttributes(t *testing.T, c diffCase, cfg tkthttp.Config, a, o diffSeen) {
	t.Helper()
	for _, ck := range o.cookies {
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Domain != cfg.CookieDomain || ck.Secure != cfg.SecureCookie {
			t.Errorf("our cookie %q: HttpOnly %v, SameSite %v, Domain %q, Secure %v", ck.Raw, ck.HttpOnly, ck.SameSite, ck.Domain, ck.Secure)
		}
		if ck.Value == "" && (ck.MaxAge != -1 || !ck.Expires.Equal(time.Unix(0, 0))) {
			t.Errorf("our deletion %q lacks Max-Age=0 or Expires 1970-01-01", ck.Raw)
		}
		if ck.Value != "" && cfg.CookieExpires > 0 && ck.MaxAge != int(cfg.CookieExpires/time.Second) && ck.Name == diffOr(cfg.CookieName, "auth_tkt") {
			t.Errorf("our cookie %q: Max-Age %d, want %v", ck.Raw, ck.MaxAge, cfg.CookieExpires)
		}
	}
	for i, ck := range a.cookies {
		raw := strings.ToLower(a.rawCookie[i])
		if ck.HttpOnly || ck.SameSite != 0 || ck.Domain != diffOr(cfg.CookieDomain, "127.0.0.1") || ck.Secure != cfg.SecureCookie {
			t.Errorf("Apache's cookie %q: the module was thought to set domain=host and no HttpOnly/SameSite", a.rawCookie[i])
		}
		// (An empty URL ticket is copied as is: not a deletion.)
		if ck.Value == "" && c.differ != "url-ticket-unchecked" && (strings.Contains(raw, "max-age") || !strings.Contains(raw, "expires=thu 01 jan 1970")) {
			t.Errorf("Apache's deletion %q is not the module's known form", a.rawCookie[i])
		}
		if ck.Value != "" && cfg.CookieExpires > 0 && !strings.Contains(raw, "expires=") && ck.Name == diffOr(cfg.CookieName, "auth_tkt") {
			t.Errorf("Apache's cookie %q has no expires for TKTAuthCookieExpires", a.rawCookie[i])
		}
	}
}

// sameGuest checks both guest names against the pattern, and the guest
// tickets' user ids against the names, then makes them compare equal.
func sameGuest(t *testing.T, pattern string, a, o *diffOutcome) {
	t.Helper()
	for side, out := range map[string]*diffOutcome{"Apache": a, "ours": o} {
		if out.User == nil {
			continue
		}
		if !regexpMatch(pattern, *out.User) {
			t.Errorf("%s guest %q does not match %s", side, *out.User, pattern)
		}
		if out.Ticket != "" && out.Ticket != "deleted" {
			// The rest (tokens, data, time) is compared as usual.
			rest, ok := strings.CutPrefix(out.Ticket, *out.User+"!")
			if !ok {
				t.Errorf("%s guest ticket %q, want one for %q", side, out.Ticket, *out.User)
			}
			out.Ticket = "<guest>!" + rest
		}
		out.User = &pattern
	}
}
