package web

// Browser tests: the real portal in Debian's Chromium, driven through the
// DevTools protocol with real key presses and clicks. They catch what
// handler tests cannot: cookie attributes as a browser applies them, the
// redirect chain application → portal → application, autofocus and tab
// order, and how the page looks.

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
)

// loginPage is what a login form shows, read from the browser's DOM.
type loginPage struct {
	Reason  string // #message data-reason
	Message string // #message text
	Back    string // the hidden back field
	User    string // the user field
	Focus   string // the focused element
}

// cookieAttrs are the attributes of a cookie as the browser stored it.
type cookieAttrs struct {
	HTTPOnly, Secure, Session bool
	SameSite                  network.CookieSameSite
	Domain, Path              string
}

func readLoginPage(t *testing.T, ctx context.Context) loginPage {
	t.Helper()
	// Fail at once elsewhere: the queries below would wait for elements
	// that never come.
	if loc, err := url.Parse(run(t, ctx, chromedp.Location())); err != nil || loc.Path != "/login" {
		t.Fatalf("the browser is at %s, not on the login form; page text: %q", loc, textOf(t, ctx, "body"))
	}
	return loginPage{
		Reason:  run(t, ctx, chromedp.AttributeValue(chromedp.ID("message"), "data-reason")).Value,
		Message: textOf(t, ctx, "#message"),
		Back:    run(t, ctx, chromedp.Value(chromedp.CSS(`form.login input[name="back"]`))),
		User:    run(t, ctx, chromedp.Value(chromedp.ID("user"))),
		Focus:   focusAfterLoad(t, ctx),
	}
}

// submitLogin types user and password into the form with key events and
// clicks the submit button; it returns the response of the page that
// follows (after redirects).
func submitLogin(t *testing.T, ctx context.Context, user, password string) *network.Response {
	t.Helper()
	return navigateTo(t, ctx,
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)),
	)
}

func TestBrowserLoginLandsOnBackWithTicket(t *testing.T) {
	s := newSite(t, nil)
	browser := startBrowser(t, browserConfig{})
	tests := []struct {
		name     string
		start    string // first URL the browser opens
		wantBack string // the form's back field
		wantEnd  string // where the login ends
	}{
		{
			name:     "sent by the application",
			start:    s.url + "/app/page?x=1",
			wantBack: s.url + "/app/page?x=1",
			wantEnd:  s.url + "/app/page?x=1",
		},
		{
			name:     "relative back",
			start:    s.url + "/login?back=" + url.QueryEscape("/app/rel?y=2"),
			wantBack: "/app/rel?y=2",
			wantEnd:  s.url + "/app/rel?y=2",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newTab(t, browser)
			if resp := navigateTo(t, ctx, chromedp.Navigate(tc.start)); resp.Status != 200 {
				t.Fatalf("login form: status %d", resp.Status)
			}
			got := readLoginPage(t, ctx)
			want := loginPage{Reason: "no_ticket", Message: "Sign in to continue.", Back: tc.wantBack, Focus: "user"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("login form (-want +got):\n%s", d)
			}

			resp := submitLogin(t, ctx, "alice", alicePass)
			if resp.Status != 200 || resp.URL != tc.wantEnd {
				t.Fatalf("after login: status %d at %s, want 200 at %s", resp.Status, resp.URL, tc.wantEnd)
			}
			if who := textOf(t, ctx, "#who"); who != "alice" {
				t.Errorf("application sees user %q, want alice", who)
			}

			c := browserCookies(t, ctx, s.url)["auth_tkt"]
			if c == nil {
				t.Fatal("no auth_tkt cookie in the browser")
			}
			gotAttrs := cookieAttrs{c.HTTPOnly, c.Secure, c.Session, c.SameSite, c.Domain, c.Path}
			wantAttrs := cookieAttrs{HTTPOnly: true, Session: true, SameSite: network.CookieSameSiteLax, Domain: loopback, Path: "/"}
			if d := cmp.Diff(wantAttrs, gotAttrs); d != "" {
				t.Errorf("ticket cookie attributes (-want +got):\n%s", d)
			}
			// HttpOnly as the browser applies it: scripts cannot read it.
			if js := run(t, ctx, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(js, "auth_tkt") {
				t.Errorf("document.cookie shows the ticket: %q", js)
			}
			res, err := s.verify(c.Value)
			if err != nil {
				t.Fatalf("ticket cookie does not verify: %v", err)
			}
			if tok := string(res.Tokens); res.UID != "alice" || !strings.Contains(tok, "staff") || !strings.Contains(tok, "admin") {
				t.Errorf("ticket for %q with tokens %q, want alice with admin and staff", res.UID, res.Tokens)
			}
		})
	}
}

func TestBrowserWrongCredentialsShowMessage(t *testing.T) {
	s := newSite(t, nil)
	browser := startBrowser(t, browserConfig{})
	start := s.url + "/app/page?x=1"
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", "alice", "not the password"},
		{"unknown user", "mallory", "whatever"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newTab(t, browser)
			navigateTo(t, ctx, chromedp.Navigate(start))
			hits := s.appHits.Load()
			resp := submitLogin(t, ctx, tc.user, tc.password)
			if resp.Status != 401 {
				t.Errorf("status %d, want 401", resp.Status)
			}
			got := readLoginPage(t, ctx)
			// The user name stays, so the focus goes to the password.
			want := loginPage{Reason: "wrong_credentials", Message: "Wrong user name or password.",
				Back: start, User: tc.user, Focus: "password"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("after a failed login (-want +got):\n%s", d)
			}
			if pw := run(t, ctx, chromedp.Value(chromedp.ID("password"))); pw != "" {
				t.Error("the password field was filled in again")
			}
			if c := browserCookies(t, ctx, s.url)["auth_tkt"]; c != nil {
				t.Errorf("a failed login left a ticket cookie %+v", c)
			}
			if n := s.appHits.Load() - hits; n != 0 {
				t.Errorf("the application was visited %d times after a failed login", n)
			}
		})
	}
}

func TestBrowserCookiesDisabledShowsProbeMessage(t *testing.T) {
	s := newSite(t, nil)
	// The first tab of the blocking profile: a new browser context would
	// not carry the profile's content setting.
	ctx := startBrowser(t, browserConfig{blockCookies: true})

	// Record why the browser refused each Set-Cookie, to show that the
	// profile setting, not something else, blocks the probe.
	var mu sync.Mutex
	blocked := map[string]network.SetCookieBlockedReason{}
	if err := chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*network.EventResponseReceivedExtraInfo)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, b := range e.BlockedCookies {
			if b.Cookie != nil && len(b.BlockedReasons) > 0 {
				blocked[b.Cookie.Name] = b.BlockedReasons[0]
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	start := s.url + "/app/page?x=1"
	navigateTo(t, ctx, chromedp.Navigate(start))
	if got := readLoginPage(t, ctx); got.Reason != "no_ticket" || got.Back != start {
		t.Fatalf("login form: %+v", got)
	}
	resp := submitLogin(t, ctx, "alice", alicePass)
	if resp.Status != 400 {
		t.Errorf("status %d, want 400", resp.Status)
	}
	got := readLoginPage(t, ctx)
	want := loginPage{Reason: "cookies_disabled",
		Message: "Your browser refuses cookies: enable them for this site, then sign in again.",
		Back:    start, User: "alice", Focus: "password"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("with cookies blocked (-want +got):\n%s", d)
	}
	// No loop: the correct password did not send the browser on to the
	// application (which would send it straight back).
	if n := s.appHits.Load(); n != 1 {
		t.Errorf("the application was visited %d times, want 1 (the first visit)", n)
	}
	if jar := browserCookies(t, ctx, s.url); len(jar) != 0 {
		t.Errorf("the browser stored cookies although they are blocked: %v", jar)
	}
	mu.Lock()
	defer mu.Unlock()
	if r := blocked[probeCookie]; r != network.SetCookieBlockedReasonUserPreferences {
		t.Errorf("probe cookie blocked for %q, want %q (all blocked: %v)", r, network.SetCookieBlockedReasonUserPreferences, blocked)
	}
}

func TestBrowserKeyboardOnly(t *testing.T) {
	s := newSite(t, nil)
	ctx := newTab(t, startBrowser(t, browserConfig{}))
	start := s.url + "/app/page?x=1"
	navigateTo(t, ctx, chromedp.Navigate(start))

	// Walk the form with Tab and Shift+Tab, recording the focus.
	steps := []struct {
		key   string
		shift bool
	}{{kb.Tab, false}, {kb.Tab, false}, {kb.Tab, true}, {kb.Tab, true}}
	order := []string{focusAfterLoad(t, ctx)}
	for _, st := range steps {
		var opts []chromedp.KeyOption
		if st.shift {
			opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
		}
		run(t, ctx, chromedp.KeyEvent(st.key, opts...))
		order = append(order, focused(t, ctx))
	}
	want := []string{"user", "password", "button[submit]", "password", "user"}
	if d := cmp.Diff(want, order); d != "" {
		t.Fatalf("focus order (-want +got):\n%s", d)
	}

	// Sign in without the mouse: type, Tab, type, Enter.
	resp := navigateTo(t, ctx,
		chromedp.KeyEvent("alice"),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(alicePass),
		chromedp.KeyEvent(kb.Enter),
	)
	if resp.Status != 200 || resp.URL != start {
		t.Fatalf("after Enter: status %d at %s, want 200 at %s", resp.Status, resp.URL, start)
	}
	if who := textOf(t, ctx, "#who"); who != "alice" {
		t.Errorf("application sees user %q, want alice", who)
	}
}

// contrastScript returns, for each selector, the WCAG contrast ratio of
// the element's text colour against the first opaque background behind it
// (the card or the page), or -1 when the element is missing.
const contrastScript = `((sels) => {
	const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => {
		const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
	};
	const bg = (e) => {
		for (; e; e = e.parentElement) {
			const c = rgb(getComputedStyle(e).backgroundColor);
			if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
		}
		return [255, 255, 255];
	};
	const out = {};
	for (const s of sels) {
		const e = document.querySelector(s);
		if (!e) { out[s] = -1; continue; }
		const a = lum(rgb(getComputedStyle(e).color).slice(0, 3)), b = lum(bg(e));
		out[s] = Math.round((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) * 100) / 100;
	}
	return out;
})`

// layoutScript measures, for a device vw CSS pixels wide, what breaks on a
// narrow screen: horizontal overflow, controls outside the screen, touch
// targets under 44 px. It compares with the device width, not
// innerWidth: a mobile browser widens the layout viewport to fit content
// that is too wide, and then zooms the whole page out.
const layoutScript = `((vw) => {
	const out = {overflow: document.documentElement.scrollWidth - vw, problems: []};
	for (const e of document.querySelectorAll("main.card, input:not([type=hidden]), button, label")) {
		const r = e.getBoundingClientRect(), name = e.id || (e.tagName.toLowerCase() + (e.htmlFor ? "[for=" + e.htmlFor + "]" : ""));
		if (r.left < 0 || r.right > vw) out.problems.push(name + " outside the viewport");
		if ((e.tagName === "INPUT" || e.tagName === "BUTTON") && r.height < 44) out.problems.push(name + " is " + r.height + "px tall");
	}
	return out;
})`

// layoutReport is layoutScript's result.
type layoutReport struct {
	Overflow float64
	Problems []string
}

func TestBrowserScreenshots(t *testing.T) {
	s := newSite(t, nil)
	browser := startBrowser(t, browserConfig{})
	dir := screenshotDir(t)
	t.Logf("screenshots in %s (to keep them: go test -artifacts -outputdir DIR, or TKT_SCREENSHOT_DIR=DIR)", dir)
	tests := []struct {
		name          string
		width, height int64
		scale         float64
		mobile, dark  bool
		wrongPassword bool // show the error state
	}{
		{name: "login-desktop", width: 1280, height: 800, scale: 1},
		{name: "login-mobile", width: 390, height: 844, scale: 2, mobile: true},
		{name: "wrong-password-mobile", width: 390, height: 844, scale: 2, mobile: true, wrongPassword: true},
		{name: "wrong-password-desktop-dark", width: 1280, height: 800, scale: 1, dark: true, wrongPassword: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newTab(t, browser)
			scheme := "light"
			if tc.dark {
				scheme = "dark"
			}
			if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
					Width: tc.width, Height: tc.height, DeviceScaleFactor: tc.scale, Mobile: tc.mobile,
				}); err != nil {
					return err
				}
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				})
				return err
			})); err != nil {
				t.Fatal(err)
			}
			navigateTo(t, ctx, chromedp.Navigate(s.url+"/app/page?x=1"))
			if tc.wrongPassword {
				submitLogin(t, ctx, "alice", "not the password")
			}

			layout := run(t, ctx, chromedp.Evaluate[layoutReport](layoutScript+"("+strconv.FormatInt(tc.width, 10)+")"))
			if layout.Overflow > 0 || len(layout.Problems) > 0 {
				t.Errorf("layout at %d px: horizontal overflow %v px, problems %v", tc.width, layout.Overflow, layout.Problems)
			}
			sels := []string{"h1", "label[for=user]", "#message", `form.login button[type="submit"]`}
			arg, err := json.Marshal(sels)
			if err != nil {
				t.Fatal(err)
			}
			ratios := run(t, ctx, chromedp.Evaluate[map[string]float64](contrastScript+"("+string(arg)+")"))
			for _, sel := range sels {
				// WCAG AA for normal text.
				if r := ratios[sel]; r < 4.5 {
					t.Errorf("%s: contrast %.2f:1, want at least 4.5:1", sel, r)
				}
			}

			shot := run(t, ctx, chromedp.FullScreenshot(100)) // 100: PNG
			cfg, err := png.DecodeConfig(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			if wantW := int(float64(tc.width) * tc.scale); cfg.Width != wantW || cfg.Height < int(float64(tc.height)*tc.scale) {
				t.Errorf("screenshot is %dx%d, want %d wide and the full page", cfg.Width, cfg.Height, wantW)
			}
			t.Logf("%s (%dx%d), contrast %v", writeScreenshot(t, dir, tc.name, shot), cfg.Width, cfg.Height, ratios)
		})
	}
}
