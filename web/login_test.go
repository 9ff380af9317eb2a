package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// reasonOf returns the data-reason of the page's message.
func reasonOf(body string) string {
	m := regexp.MustCompile(`data-reason="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// hiddenBack returns the value of the hidden back field.
func hiddenBack(body string) string {
	m := regexp.MustCompile(`name="back" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return "<none>"
	}
	return m[1]
}

func TestLoginFormReasons(t *testing.T) {
	f := newFixture(t, nil)
	alice := ticket.Ticket{UID: "alice", Tokens: "staff"}
	expired := alice
	expired.Time = f.now.Add(-3 * time.Hour)
	tests := []struct {
		name    string
		target  string
		cookie  string
		reason  reason
		current string // "signed in as" shown
	}{
		{"no ticket", "/login", "", reasonNone, ""},
		{"expired", "/login", f.ticketFor(expired, testSecret), reasonExpired, ""},
		{"other secret", "/login", f.ticketFor(alice, "another secret, not the portal's"), reasonInvalid, ""},
		{"garbage", "/login", "bm90IGEgdGlja2V0", reasonInvalid, ""},
		{"unauth marker", "/login?unauth=1", "", reasonUnauthorized, ""},
		{"unauth marker, signed in", "/login?unauth=1", f.ticketFor(alice, testSecret), reasonUnauthorized, "alice"},
		{"timeout marker", "/login?timeout=1", "", reasonExpired, ""},
		{"logout marker", "/login?reason=logout", "", reasonLoggedOut, ""},
		{"cookie wins over marker", "/login?reason=logout", f.ticketFor(expired, testSecret), reasonExpired, ""},
		{"unknown marker", "/login?reason=<script>", "", reasonNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req{target: tt.target}
			if tt.cookie != "" {
				r.cookies = []*http.Cookie{ticketCookie(tt.cookie)}
			}
			w := f.do(r)
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if got := reasonOf(body); got != string(tt.reason) {
				t.Errorf("reason %q, want %q", got, tt.reason)
			}
			msg, _ := tt.reason.message()
			if !strings.Contains(body, msg) {
				t.Errorf("body lacks %q", msg)
			}
			if got := strings.Contains(body, "signed in as <strong>alice</strong>"); got != (tt.current != "") {
				t.Errorf("signed-in note shown = %v", got)
			}
			if c := setCookie(w, probeCookie); c == nil || !c.HttpOnly {
				t.Errorf("probe cookie %v", c)
			}
			if setCookie(w, "auth_tkt") != nil {
				t.Error("form set a ticket cookie")
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
		})
	}
}

func TestLoginFormMissingToken(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Ticket.Tokens = []string{"admin"} })
	w := f.do(req{target: "/login", cookies: []*http.Cookie{ticketCookie(f.ticketFor(ticket.Ticket{UID: "bob", Tokens: "staff"}, testSecret))}})
	if got := reasonOf(w.Body.String()); got != string(reasonUnauthorized) || !strings.Contains(w.Body.String(), "<strong>bob</strong>") {
		t.Errorf("reason %q, body %s", got, w.Body)
	}
}

func TestLoginFormKeepsBack(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct{ back, want string }{
		{testBackURL, "https://app.example.com/page?x=1"},
		{"/local?a=b", "/local?a=b"},
		{"https://evil.com/", ""},
		{"//evil.com", ""},
		{`"><script>alert(1)</script>`, ""},
	}
	for _, tt := range tests {
		w := f.do(req{target: "/login?back=" + url.QueryEscape(tt.back)})
		want := strings.ReplaceAll(tt.want, "&", "&amp;")
		if got := hiddenBack(w.Body.String()); got != want {
			t.Errorf("back %q: hidden field %q, want %q", tt.back, got, want)
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Errorf("back %q reflected unescaped", tt.back)
		}
	}
}

func TestLoginFormConfiguredBackArg(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.BackArg = "dest" })
	w := f.do(req{target: "/login?dest=" + url.QueryEscape(testBackURL)})
	if !strings.Contains(w.Body.String(), `name="dest" value="https://app.example.com/page?x=1"`) {
		t.Fatalf("hidden dest field missing: %s", w.Body)
	}
	w = f.do(req{method: "POST", target: "/login", form: url.Values{"user": {"bob"}, "password": {bobPass}, "dest": {testBackURL}}, cookies: []*http.Cookie{probe()}})
	if loc := w.Header().Get("Location"); loc != testBackURL {
		t.Fatalf("Location %q", loc)
	}
}

func TestAutoLogin(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Ticket.OldSecrets = []string{"the old secret of the portal"} })
	fresh := ticket.Ticket{UID: "alice", Tokens: "staff", Data: "d"}
	due := fresh
	due.Time = f.now.Add(-90 * time.Minute) // less than Refresh*Timeout left
	tests := []struct {
		name     string
		cookie   string
		back     string
		location string // "" = the portal's default page
		reissue  bool
	}{
		{"fresh ticket", f.ticketFor(fresh, testSecret), testBackURL, testBackURL, false},
		{"no back", f.ticketFor(fresh, testSecret), "", "/", false},
		{"refused back", f.ticketFor(fresh, testSecret), "https://evil.com/", "/", false},
		{"due for refresh", f.ticketFor(due, testSecret), testBackURL, testBackURL, true},
		{"old secret", f.ticketFor(fresh, "the old secret of the portal"), testBackURL, testBackURL, true},
		{"URL ticket host", f.ticketFor(fresh, testSecret), "https://other.example.net/cb", "https://other.example.net/cb?auth_tkt=", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(req{target: "/login?back=" + url.QueryEscape(tt.back), cookies: []*http.Cookie{ticketCookie(tt.cookie)}})
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, body %s", w.Code, w.Body)
			}
			loc := w.Header().Get("Location")
			if !strings.HasPrefix(loc, tt.location) || (!strings.HasSuffix(tt.location, "=") && loc != tt.location) {
				t.Errorf("Location %q, want %q", loc, tt.location)
			}
			c := setCookie(w, "auth_tkt")
			if (c != nil) != tt.reissue {
				t.Fatalf("reissued = %v, want %v", c != nil, tt.reissue)
			}
			if c != nil {
				res := verifyAs(t, f, c.Value, testClient)
				if res.SecretIndex != 0 || !res.Time.Equal(f.now) || res.UID != "alice" || res.Tokens != "staff" || res.Data != "d" {
					t.Errorf("reissued ticket %+v", res)
				}
			}
			if lc := setCookie(w, loopCookie); lc == nil || lc.Value != "1" {
				t.Errorf("loop cookie %v", lc)
			}
		})
	}
}

func TestAutoLoginLoopGuard(t *testing.T) {
	f := newFixture(t, nil)
	tkt := ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))
	w := f.do(req{target: "/login?back=%2Fx", cookies: []*http.Cookie{tkt, {Name: loopCookie, Value: "2"}}})
	if w.Code != http.StatusSeeOther || setCookie(w, loopCookie).Value != "3" {
		t.Fatalf("below the limit: status %d", w.Code)
	}
	w = f.do(req{target: "/login?back=%2Fx", cookies: []*http.Cookie{tkt, {Name: loopCookie, Value: "3"}}})
	if w.Code != http.StatusOK || reasonOf(w.Body.String()) != string(reasonUnauthorized) {
		t.Fatalf("at the limit: status %d, reason %q", w.Code, reasonOf(w.Body.String()))
	}
	if hiddenBack(w.Body.String()) != "/x" {
		t.Errorf("back lost: %q", hiddenBack(w.Body.String()))
	}
	// Signing in with a password resets the guard.
	w = f.login("alice", alicePass, "/x", &http.Cookie{Name: loopCookie, Value: "3"})
	if c := setCookie(w, loopCookie); w.Code != http.StatusSeeOther || c == nil || c.MaxAge != -1 {
		t.Errorf("status %d, loop cookie %v", w.Code, c)
	}
}

func verifyAs(t *testing.T, f *fixture, value, client string) ticket.Result {
	t.Helper()
	c := f.opts.Ticket
	c.Guests = true // a guest's ticket reads as what it says, like any other
	v, err := ticket.NewVerifier(c)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(value, netipMust(client), f.now)
	if err != nil {
		t.Fatalf("ticket does not verify: %v", err)
	}
	return res
}
