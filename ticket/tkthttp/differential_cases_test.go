package tkthttp_test

import (
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile("^" + pattern + "$").MatchString(s)
}

// diffDifference asserts one deliberate difference on a case's two
// outcomes. It returns true when it has compared everything; otherwise it
// has made the difference disappear and the rest is compared as usual.
type diffDifference func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool

// diffDifferences are the deliberate differences between the middleware
// and mod_auth_tkt (ticket.md section 7, and the Config docs),
// by name. Besides these, every case checks two that apply everywhere:
// backKeepsPort and checkCookieAttributes.
func diffDifferences() map[string]diffDifference {
	login := func(e *diffEnv, c diffCase) string { return e.s.URL(c.vh()) + "/login" }
	return map[string]diffDifference{
		// The module's TKTAuthQuerySeparator defaults to ';', which Go's
		// net/url and the WHATWG URL standard no longer split on; ours
		// defaults to '&'.
		"separator-default": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Sep != ";" || o.out.Sep != "&" {
				t.Errorf("separators: Apache %q, ours %q; want ; and &", a.out.Sep, o.out.Sep)
			}
			o.out.Sep = a.out.Sep
			return false
		},
		// A relative TKTAuthLoginURL: the module glues "scheme://host/" in
		// front (port cut, slash doubled); ours stays relative, which the
		// browser resolves against the right origin.
		"relative-login-url": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Target != "http://127.0.0.1//login" || o.out.Target != "/login" {
				t.Errorf("targets: Apache %q, ours %q", a.out.Target, o.out.Target)
			}
			o.out.Target = a.out.Target
			return false
		},
		// The back URL is the exact URL asked for; the module rebuilds it
		// from the decoded path and re-joins the query with '&'.
		"back-exact": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if want := e.s.URL(c.vh()) + c.target(); o.out.Back != want {
				t.Errorf("our back URL %q, want exactly %q", o.out.Back, want)
			}
			if want := "http://127.0.0.1/main/a b?x=1&y=2&z=%2F"; a.out.Back != want {
				t.Errorf("Apache's back URL %q, want the module's rebuilt %q", a.out.Back, want)
			}
			o.out.Back = e.s.URL(c.vh()) + "/main/a b?x=1&y=2&z=%2F" // then backKeepsPort
			return false
		},
		// A valid ticket without the required token and no unauth URL: the
		// module sends the user to the login page (which can do nothing for
		// a logged-in user); ours answers 403.
		"unauth-403": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Status != 307 || a.out.Target != login(e, c) || o.out.Status != 403 || o.location != "" {
				t.Errorf("Apache %d %q, ours %d %q; want 307 to the login URL and 403", a.out.Status, a.location, o.out.Status, o.location)
			}
			return true
		},
		// TKTAuthRequireSSL over plain HTTP: the module redirects to the
		// login URL with a plain-HTTP back URL (a loop once logged in);
		// ours redirects to the same URL over https.
		"require-tls": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Status != 307 || a.out.Target != login(e, c) || a.out.Back != "http://127.0.0.1"+c.target() {
				t.Errorf("Apache: %d %q", a.out.Status, a.location)
			}
			if want := "https://127.0.0.1" + c.target(); o.out.Status != 307 || o.location != want || o.out.Accepted {
				t.Errorf("ours: %d %q, want 307 to %q", o.out.Status, o.location, want)
			}
			return true
		},
		// A good URL ticket: the module sets it as the cookie and serves
		// the page with the ticket still in the address bar; ours sets the
		// cookie and redirects to the URL without it. Following that
		// redirect with the cookie must give Apache's answer.
		"url-ticket-redirect": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			clean := strings.Replace(strings.Replace(c.target(), "auth_tkt="+urlTicket(c), "", 1), "&&", "&", 1)
			clean = strings.TrimSuffix(strings.TrimSuffix(clean, "&"), "?")
			if o.out.Status != 307 || o.location != e.s.URL(c.vh())+clean || o.out.Accepted {
				t.Fatalf("ours: %d %q, want 307 to %s%s", o.out.Status, o.location, e.s.URL(c.vh()), clean)
			}
			follow := c
			follow.path, follow.cookie, follow.differ = clean, o.cookies[0].Value, ""
			again := e.ours(t, follow, e.config(t, c))
			again.out.Ticket = o.out.Ticket // the cookie came with the redirect
			if d := cmp.Diff(a.out, again.out); d != "" {
				t.Errorf("Apache (-) and ours after the redirect (+):\n%s", d)
			}
			return true
		},
		// A URL ticket that is not one: the module copies it into the
		// cookie anyway (before checking it, and verbatim); ours sets
		// nothing. Both then judge the request without it.
		"url-ticket-unchecked": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if len(a.rawCookie) != 1 || !strings.HasPrefix(a.rawCookie[0], "auth_tkt="+urlTicket(c)+";") || o.out.Ticket != "" {
				t.Errorf("Set-Cookie: Apache %q (want the raw URL value), ours %q (want none)", a.rawCookie, o.rawCookie)
			}
			a.out.Ticket = ""
			return false
		},
		// An expired URL ticket beside a good cookie: the module takes
		// the URL ticket (its signature is good), finds it expired, deletes
		// the cookie and sends the user to log in again; ours ignores the
		// stale hand-over and lets the cookie's owner in.
		"url-ticket-expired": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Accepted || a.out.Status != 307 || a.out.Target != login(e, c) || a.out.Ticket != "deleted" ||
				!o.out.Accepted || o.out.User == nil || *o.out.User != "bob" || o.out.Ticket != "" {
				t.Errorf("Apache %d %q %q, ours %d as %v %q; want a login redirect with deletion, and bob let in",
					a.out.Status, a.location, a.rawCookie, o.out.Status, o.out.User, o.rawCookie)
			}
			return true
		},
		// URL tickets on a host that is not on our allow-list: the module
		// takes them on any host; ours ignores them.
		"url-ticket-not-allowed": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if !a.out.Accepted || o.out.Accepted || o.out.Status != 307 || o.out.Target != login(e, c) || o.out.Ticket != "" {
				t.Errorf("Apache accepted %v; ours %d %q %q, want a login redirect and no cookie", a.out.Accepted, o.out.Status, o.location, o.rawCookie)
			}
			return true
		},
		// TKTAuthGuestCookie: ours marks the guest's ticket as a guest's
		// (ticket.GuestToken), so that tkt's validators take it only
		// where guests are let in anyway; the module's carries no token,
		// and is a login wherever a valid ticket is enough.
		"guest-token": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Ticket != "<guest>!! fresh" || o.out.Ticket != "<guest>!"+ticket.GuestToken+"! fresh" {
				t.Errorf("guest tickets: Apache %q, ours %q; want no tokens and %s", a.out.Ticket, o.out.Ticket, ticket.GuestToken)
			}
			o.out.Ticket = a.out.Ticket
			return false
		},
		// A guest ticket of ours where guests are not let in: the module
		// sees a valid ticket with one more token and lets the guest in as
		// a user; ours takes it for no ticket and asks for a login.
		"guest-ticket-elsewhere": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if !a.out.Accepted || a.out.User == nil || *a.out.User != "guest-0123abcd-4ef" ||
				o.out.Accepted || o.out.Status != 307 || o.out.Target != login(e, c) || o.out.Ticket != "" {
				t.Errorf("Apache accepted %v as %v; ours %d %q %q; want the guest let in, and a login redirect without a cookie",
					a.out.Accepted, a.out.User, o.out.Status, o.location, o.rawCookie)
			}
			return true
		},
		// A guest ticket of ours where guests are let in: both let the
		// guest in; the module passes the guest token on to the
		// application, ours takes it out of the tokens (it is the
		// identity's Guest).
		"guest-ticket-tokens": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Tokens == nil || *a.out.Tokens != ticket.GuestToken || o.out.Tokens == nil || *o.out.Tokens != "" {
				t.Errorf("tokens: Apache %v, ours %v; want %s and none", a.out.Tokens, o.out.Tokens, ticket.GuestToken)
			}
			o.out.Tokens = a.out.Tokens
			return false
		},
		// TKTAuthGuestUser g%8U: the module drops a prefix shorter than
		// two characters; ours keeps it.
		"guest-one-char-prefix": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.User == nil || o.out.User == nil || !regexpMatch("[0-9a-f]{8}", *a.out.User) || !regexpMatch("g[0-9a-f]{8}", *o.out.User) {
				t.Errorf("guests: Apache %v, ours %v; want 8 hex digits and g + 8 hex digits", a.out.User, o.out.User)
			}
			o.out.User = a.out.User
			return false
		},
		// A ticket from further in the future than the allowed skew: the
		// module accepts it (until then); ours asks for a login.
		"future-ticket": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if !a.out.Accepted || o.out.Accepted || o.out.Status != 307 || o.out.Ticket != "" {
				t.Errorf("Apache accepted %v, ours %d %q; want accepted and a login redirect", a.out.Accepted, o.out.Status, o.location)
			}
			return true
		},
		// A ticket at 0xffffffff: the module's 32-bit ts+timeout wraps, so
		// it counts it as expired and deletes the cookie; in 64 bits it
		// lies in the future, so ours refuses it without a deletion.
		"ts-wrap": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Ticket != "deleted" || o.out.Ticket != "" {
				t.Errorf("cookies: Apache %q (want deletion), ours %q (want none)", a.rawCookie, o.rawCookie)
			}
			a.out.Ticket = ""
			return false
		},
		// Several ticket cookies, the first bad: the module tries only the
		// first; ours tries each (a stale parent-domain cookie would lock
		// the user out).
		"each-cookie-tried": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if a.out.Accepted || a.out.Status != 307 || !o.out.Accepted {
				t.Errorf("Apache %d accepted %v, ours %d accepted %v; want login and accepted", a.out.Status, a.out.Accepted, o.out.Status, o.out.Accepted)
			}
			return true
		},
		// An empty user id: the module accepts it (REMOTE_USER ""); ours
		// refuses the ticket.
		"empty-uid": func(t *testing.T, e *diffEnv, c diffCase, a, o *diffSeen) bool {
			if !a.out.Accepted || a.out.User == nil || *a.out.User != "" || o.out.Accepted {
				t.Errorf("Apache accepted %v as %v, ours accepted %v; want \"\" accepted by Apache only", a.out.Accepted, a.out.User, o.out.Accepted)
			}
			return true
		},
	}
}

// urlTicket is the auth_tkt value in a case's URL.
func urlTicket(c diffCase) string {
	_, after, _ := strings.Cut(c.target(), "auth_tkt=")
	v, _, _ := strings.Cut(after, "&")
	return v
}

// TestDifferentialApache starts one Apache for the hand-written cases and
// the reference vectors.
func TestDifferentialApache(t *testing.T) {
	e := startDiffEnv(t)
	t.Run("cases", func(t *testing.T) { diffCases(t, e) })
	t.Run("vectors", func(t *testing.T) { diffVectors(t, e) })
}

func diffCases(t *testing.T, e *diffEnv) {
	now := e.now
	at := func(d time.Duration) time.Time { return now.Add(d) }
	alice := ticket.Ticket{UID: "alice", Tokens: "finance", Data: "Alice A.", Time: at(-10 * time.Second)}
	tk := func(f func(*ticket.Ticket)) ticket.Ticket { tick := alice; f(&tick); return tick }
	md5 := func(tick ticket.Ticket, ip string) string { return e.mint(t, "md5", tick, ip) }
	good := md5(alice, "")
	wrong := e.mintWith(t, ticket.MD5, apachetest.WrongSecret, alice, "")
	bob := md5(ticket.Ticket{UID: "bob", Data: "b", Time: at(-10 * time.Second)}, "")
	old := md5(tk(func(t *ticket.Ticket) { t.Time = at(-90 * time.Minute) }), "")
	expired := md5(tk(func(t *ticket.Ticket) { t.Time = at(-3 * time.Hour) }), "")
	cookies := func(lines ...string) http.Header { return http.Header{"Cookie": lines} }
	trustOthers := func(c *tkthttp.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	}
	ourGuest := md5(ticket.Ticket{UID: "guest-0123abcd-4ef", Tokens: ticket.GuestToken, Time: at(-10 * time.Second)}, "")
	uuid := "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
	cases := []diffCase{
		{name: "valid", loc: "main", cookie: good},
		{name: "no-ticket", loc: "main"},
		{name: "no-ticket-post", loc: "main", method: "POST"},
		{name: "wrong-secret", loc: "main", cookie: wrong},
		{name: "garbage", loc: "main", cookie: "bm90IGEgdGlja2V0"},
		{name: "bound-other-address", loc: "main", cookie: md5(alice, "127.0.0.2"), from: "127.0.0.2"},
		{name: "bound-wrong-client", loc: "main", cookie: md5(alice, "127.0.0.2"), from: "127.0.0.3"},
		{name: "unbound-at-ip-location", loc: "main", cookie: md5(alice, "0.0.0.0")},
		// Header spoofing: neither believes X-Forwarded-For from a client.
		{name: "xff-spoof", loc: "main", cookie: md5(alice, "127.0.0.9"), header: http.Header{"X-Forwarded-For": {"127.0.0.9"}}},
		{name: "xff-spoof-untrusted-peer", loc: "main", cookie: md5(alice, "127.0.0.9"), header: http.Header{"X-Forwarded-For": {"127.0.0.9"}}, tweak: trustOthers},
		{name: "expired", loc: "main", cookie: expired},
		{name: "refresh-due", loc: "main", cookie: old},
		{name: "refresh-data-bang", loc: "main", cookie: md5(ticket.Ticket{UID: "carol", Data: "a!b", Time: at(-100 * time.Minute)}, "")},
		{name: "future-within-skew", loc: "main", cookie: md5(tk(func(t *ticket.Ticket) { t.Time = at(time.Minute) }), "")},
		{name: "future-beyond-skew", loc: "main", cookie: md5(tk(func(t *ticket.Ticket) { t.Time = at(time.Hour) }), ""), differ: "future-ticket"},
		{name: "bad-then-good", loc: "main", header: cookies("auth_tkt=" + wrong + "; auth_tkt=" + good), differ: "each-cookie-tried"},
		{name: "empty-then-good", loc: "main", header: cookies("auth_tkt=; auth_tkt=" + good)},
		{name: "other-cookie-name-suffix", loc: "main", header: cookies("xauth_tkt=" + good)},
		{name: "back-exact", loc: "main", path: "/main/a%20b?x=1;y=2&z=%2F", differ: "back-exact"},
		{name: "token-ok", loc: "tokens", cookie: md5(tk(func(t *ticket.Ticket) { t.Tokens = "other,admin" }), "")},
		{name: "token-missing", loc: "tokens", cookie: bob},
		{name: "token-case", loc: "tokens", cookie: md5(tk(func(t *ticket.Ticket) { t.Tokens = "Admin" }), "")},
		{name: "token-missing-refresh-due", loc: "tokens", cookie: md5(ticket.Ticket{UID: "bob", Time: at(-90 * time.Minute)}, "")},
		{name: "token-no-ticket", loc: "tokens"},
		{name: "token-missing-no-unauth-url", loc: "tokensnounauth", cookie: bob, differ: "unauth-403"},
		{name: "noip", loc: "noip", cookie: md5(alice, "0.0.0.0"), from: "127.0.0.5"},
		{name: "noip-bound-ticket", loc: "noip", cookie: md5(alice, "127.0.0.5"), from: "127.0.0.5"},
		{name: "short-fresh", loc: "short", cookie: good},
		{name: "short-refresh", loc: "short", cookie: md5(tk(func(t *ticket.Ticket) { t.Time = at(-40 * time.Second) }), "")},
		{name: "short-expired", loc: "short", cookie: md5(tk(func(t *ticket.Ticket) { t.Time = at(-2 * time.Minute) }), "")},
		{name: "timeout-url-get", loc: "timeouturl", cookie: expired},
		{name: "timeout-url-post", loc: "timeouturl", method: "POST", cookie: expired},
		{name: "timeout-url-no-ticket", loc: "timeouturl"},
		{name: "refresh-always", loc: "refresh1", cookie: good},
		{name: "refresh-never", loc: "norefresh", cookie: old},
		{name: "notimeout-ancient", loc: "notimeout", cookie: md5(tk(func(t *ticket.Ticket) { t.Time = time.Unix(1_000_000_000, 0) }), "")},
		{name: "back-query-separator", loc: "backq"},
		{name: "back-query-separator-default", loc: "backq", tweak: func(c *tkthttp.Config) { c.QuerySeparator = "" }, differ: "separator-default"},
		{name: "back-query-amp", loc: "backamp"},
		{name: "back-cookie", loc: "backcookie"},
		{name: "back-none", loc: "backnone"},
		{name: "back-arg-name", loc: "backname"},
		{name: "relative-login", loc: "relative", differ: "relative-login-url"},
		{name: "cookie-name", loc: "cookiename", cookie: good},
		{name: "cookie-name-wrong", loc: "cookiename", header: cookies("auth_tkt=" + good)},
		{name: "secure-domain-expires", loc: "secure", cookie: good},
		{name: "require-ssl", loc: "requiressl", cookie: good, differ: "require-tls"},
		{name: "url-ticket", loc: "urltkt", path: "/urltkt/page?x=1&auth_tkt=" + good + "&y=2", differ: "url-ticket-redirect"},
		{name: "url-ticket-over-cookie", loc: "urltkt", path: "/urltkt/page?auth_tkt=" + good, cookie: bob, differ: "url-ticket-redirect"},
		{name: "url-ticket-refresh-due", loc: "urltkt", path: "/urltkt/page?auth_tkt=" + old, differ: "url-ticket-redirect"},
		{name: "url-ticket-garbage", loc: "urltkt", path: "/urltkt/page?x=1&auth_tkt=bm90IGEgdGlja2V0", differ: "url-ticket-unchecked"},
		{name: "url-ticket-garbage-cookie-good", loc: "urltkt", path: "/urltkt/page?auth_tkt=bm90IGEgdGlja2V0", cookie: bob, differ: "url-ticket-unchecked"},
		{name: "url-ticket-expired-over-good-cookie", loc: "urltkt", path: "/urltkt/page?auth_tkt=" + expired, cookie: bob, differ: "url-ticket-expired"},
		{name: "url-ticket-expired-no-cookie", loc: "urltkt", path: "/urltkt/page?auth_tkt=" + expired},
		{name: "url-ticket-empty", loc: "urltkt", path: "/urltkt/page?auth_tkt=", cookie: bob, differ: "url-ticket-unchecked"},
		{name: "url-ticket-host-not-allowed", loc: "main", path: "/main/page?auth_tkt=" + good, differ: "url-ticket-not-allowed"},
		{name: "guest-cookie", loc: "guest", guest: "guest-[0-9a-f]{8}-[0-9a-f]{3}", differ: "guest-token"},
		{name: "guest-valid-ticket", loc: "guest", cookie: good},
		{name: "guest-ticket-elsewhere", loc: "main", cookie: ourGuest, differ: "guest-ticket-elsewhere"},
		{name: "guest-ticket-at-guest-location", loc: "guest", cookie: ourGuest, differ: "guest-ticket-tokens"},
		{name: "guest-uuid", loc: "guestuuid", guest: "visitor-" + uuid + "-x"},
		{name: "guest-uuid-prefix", loc: "guestuuid1", differ: "guest-one-char-prefix"},
		{name: "guest-plain", loc: "guestplain", cookie: wrong},
		{name: "guest-empty", loc: "guestempty"},
		{name: "guest-fallback-expired", loc: "guestfallback", cookie: md5(tk(func(t *ticket.Ticket) { t.Time = at(-2 * time.Minute) }), "")},
		{name: "guest-fallback-none", loc: "guestfallback"},
		{name: "guest-fallback-valid", loc: "guestfallback", cookie: good},
		{name: "guest-tokens", loc: "guesttokens"},
		{name: "guest-tokens-valid", loc: "guesttokens", cookie: md5(tk(func(t *ticket.Ticket) { t.Tokens = "admin" }), "")},
		// SHA-256 virtual host
		{name: "sha256-valid", vhost: "sha256", loc: "main", cookie: e.mint(t, "sha256", alice, "")},
		{name: "sha256-md5-ticket", vhost: "sha256", loc: "main", cookie: good},
		{name: "sha256-token-missing", vhost: "sha256", loc: "tokens", cookie: e.mint(t, "sha256", ticket.Ticket{UID: "bob", Time: at(-time.Second)}, "")},
		{name: "sha256-guest", vhost: "sha256", loc: "guest", guest: "guest-[0-9a-f]{8}-[0-9a-f]{3}", differ: "guest-token"},
		{name: "sha256-url-ticket", vhost: "sha256", loc: "urltkt", path: "/urltkt/page?auth_tkt=" + e.mint(t, "sha256", alice, ""), differ: "url-ticket-redirect"},
		// Secret rotation: current secret NewSecret, old MainSecret.
		{name: "old-secret-reissued", vhost: "old", loc: "main", cookie: good},
		{name: "new-secret", vhost: "old", loc: "main", cookie: e.mint(t, "old", alice, "")},
		{name: "unknown-secret", vhost: "old", loc: "main", cookie: wrong},
		{name: "old-secret-guest", vhost: "old", loc: "guest", guest: "guest-[0-9a-f]{8}-[0-9a-f]{3}", differ: "guest-token"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case %s", c.name)
		}
		seen[c.name] = true
		if c.tweak != nil && c.differ == "" && c.name != "xff-spoof-untrusted-peer" {
			t.Fatalf("%s: a variant config must name its difference", c.name)
		}
		t.Run(c.name, func(t *testing.T) { e.diff(t, c) })
	}
	for name := range diffDifferences() {
		if !diffShown(name, cases) && !vectorShows(name) {
			t.Errorf("deliberate difference %q is shown by no case", name)
		}
	}
}

func diffShown(name string, cases []diffCase) bool {
	for _, c := range cases {
		if c.differ == name {
			return true
		}
	}
	return false
}
