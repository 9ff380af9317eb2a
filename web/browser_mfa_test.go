package web

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/mfa/mfatest"
)

// TestBrowserMFAEnrollment sets up TOTP in the real Chromium: bob signs
// in with his password, opens /account/security, gives his password
// again, scans (reads) the QR code's secret, confirms with a first code and
// sees ten recovery codes; his next sign-in asks for a code, and the
// ticket then carries the mfa token. The enrollment and code pages are
// photographed (TKT_SCREENSHOT_DIR=docs/images keeps them for the docs).
func TestBrowserMFAEnrollment(t *testing.T) {
	m, _ := mfatest.New(t, "Example SSO", nil)
	s := newSite(t, func(c *Config) { c.MFA = &MFAConfig{Factors: m} })
	browser := startBrowser(t, browserConfig{})
	dir := screenshotDir(t)
	shoot := func(ctx context.Context, name string) {
		t.Helper()
		shot := run(t, ctx, chromedp.FullScreenshot(100))
		if _, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil {
			t.Fatalf("%s: not a PNG: %v", name, err)
		}
		t.Logf("screenshot %s", writeScreenshot(t, dir, name, shot))
	}

	ctx := newTab(t, browser)
	navigateTo(t, ctx, chromedp.Navigate(s.url+"/login?back="+url.QueryEscape("/account/security")))
	if resp := submitLogin(t, ctx, "bob", bobPass); resp.Status != 200 || !strings.HasSuffix(resp.URL, "/account/security") {
		t.Fatalf("after the password: %d at %s", resp.Status, resp.URL)
	}
	if txt := textOf(t, ctx, "main"); !strings.Contains(txt, "No authenticator app is set up") {
		t.Fatalf("security page: %q", txt)
	}
	navigateTo(t, ctx,
		chromedp.SendKeys(chromedp.ID("password"), bobPass),
		chromedp.Click(chromedp.CSS(`button[name="action"][value="enroll"]`)),
	)
	// The QR code is a PNG the browser decoded, under the page's CSP.
	if w := run(t, ctx, chromedp.Evaluate[int](`document.querySelector("figure.qr img").naturalWidth`)); w < 200 {
		t.Errorf("the QR code image is %d px wide: not shown", w)
	}
	secret := strings.ReplaceAll(textOf(t, ctx, "code.secret"), " ", "")
	pending, err := m.PendingTOTP(context.Background(), "bob")
	if err != nil || pending == nil || pending.Secret() != secret {
		t.Fatalf("the page shows secret %q; pending %v, %v", secret, pending, err)
	}
	if attr := run(t, ctx, chromedp.AttributeValue(chromedp.ID("otp"), "autocomplete")); attr.Value != "one-time-code" {
		t.Errorf("otp autocomplete %q", attr.Value)
	}
	shoot(ctx, "mfa-enroll")

	now := time.Now()
	code, _ := mfa.Code(secret, mfa.Step(now))
	navigateTo(t, ctx, chromedp.SendKeys(chromedp.ID("otp"), code), chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`)); n != mfa.RecoveryCodes {
		t.Fatalf("%d recovery codes shown, want %d: %q", n, mfa.RecoveryCodes, textOf(t, ctx, "main"))
	}
	shoot(ctx, "mfa-recovery-codes")
	if res, err := s.verify(browserCookies(t, ctx, s.url)["auth_tkt"].Value); err != nil || !res.Tokens.Has("mfa") {
		t.Errorf("the ticket after enrolling: %+v, %v", res, err)
	}

	// The next sign-in, in another browser profile, asks for a code.
	ctx = newTab(t, browser)
	navigateTo(t, ctx, chromedp.Navigate(s.url+"/app/page?x=1"))
	if resp := submitLogin(t, ctx, "bob", bobPass); resp.Status != 200 || !strings.Contains(resp.URL, "/login") {
		t.Fatalf("after the password: %d at %s", resp.Status, resp.URL)
	}
	for attr, want := range map[string]string{"name": "otp", "inputmode": "numeric", "autocomplete": "one-time-code"} {
		if got := run(t, ctx, chromedp.AttributeValue(chromedp.ID("otp"), attr)); got.Value != want {
			t.Errorf("code input %s=%q, want %q", attr, got.Value, want)
		}
	}
	if f := focusAfterLoad(t, ctx); f != "otp" {
		t.Errorf("focus on %q, want the code input", f)
	}
	shoot(ctx, "mfa-code")
	next, _ := mfa.Code(secret, mfa.Step(now)+1) // a step later than the confirming code: within the skew
	resp := navigateTo(t, ctx, chromedp.SendKeys(chromedp.ID("otp"), next), chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)))
	if resp.Status != 200 || resp.URL != s.url+"/app/page?x=1" {
		t.Fatalf("after the code: %d at %s: %q", resp.Status, resp.URL, textOf(t, ctx, "body"))
	}
	if tokens := textOf(t, ctx, "#tokens"); tokens != "mfa" {
		t.Errorf("the application sees tokens %q, want mfa", tokens)
	}
}

// TestBrowserStepUp: a page that asks for a recent login (tkthttp's
// MaxAuthAge) sends bob, signed in with his password and a code a while
// ago, to the portal in the real Chromium; the portal asks him to confirm
// who he is with his name filled in, takes his password and a code again,
// and returns him to the page with a ticket whose auth time is new.
func TestBrowserStepUp(t *testing.T) {
	m, _ := mfatest.New(t, "Example SSO", nil)
	key, err := m.EnrollTOTP(context.Background(), "bob", true)
	if err != nil {
		t.Fatal(err)
	}
	s := newSite(t, func(c *Config) { c.MFA = &MFAConfig{Factors: m} })
	browser := startBrowser(t, browserConfig{})
	ctx := newTab(t, browser)
	const page = "/app/recent/report?q=1"
	enterCode := func(code string) *network.Response {
		return navigateTo(t, ctx, chromedp.SendKeys(chromedp.ID("otp"), code), chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)))
	}

	navigateTo(t, ctx, chromedp.Navigate(s.url+page))
	submitLogin(t, ctx, "bob", bobPass)
	step := mfa.Step(time.Now())
	code, _ := mfa.Code(key.Secret(), step)
	if resp := enterCode(code); resp.Status != 200 || resp.URL != s.url+page {
		t.Fatalf("first sign-in: %d at %s: %q", resp.Status, resp.URL, textOf(t, ctx, "body"))
	}
	first, err := s.verify(browserCookies(t, ctx, s.url)["auth_tkt"].Value)
	if err != nil {
		t.Fatal(err)
	}
	signedIn, _ := first.Tokens.AuthTime()

	// Auth times count whole seconds: wait until this one is older than
	// recentLogin however the second falls.
	time.Sleep(recentLogin + 1500*time.Millisecond)
	resp := navigateTo(t, ctx, chromedp.Navigate(s.url+page))
	if resp.Status != 200 || !strings.Contains(resp.URL, "/login?") || !strings.Contains(resp.URL, "reason=reauth") {
		t.Fatalf("an older login at %s: %d at %s, want the portal asking again", page, resp.Status, resp.URL)
	}
	if txt := textOf(t, ctx, "main"); !strings.Contains(txt, "Please confirm it's you") {
		t.Errorf("step-up page says %q", txt)
	}
	if v := run(t, ctx, chromedp.Evaluate[string](`document.getElementById("user").value`)); v != "bob" {
		t.Errorf("user name filled in as %q, want bob", v)
	}
	if f := focusAfterLoad(t, ctx); f != "password" {
		t.Errorf("focus on %q, want the password", f)
	}
	navigateTo(t, ctx,
		chromedp.SendKeys(chromedp.ID("password"), bobPass),
		chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)),
	)
	next, _ := mfa.Code(key.Secret(), step+1) // the first code is spent; the next step is within the skew
	if resp := enterCode(next); resp.Status != 200 || resp.URL != s.url+page {
		t.Fatalf("after confirming: %d at %s: %q", resp.Status, resp.URL, textOf(t, ctx, "body"))
	}
	if who, tokens := textOf(t, ctx, "#who"), textOf(t, ctx, "#tokens"); who != "bob" || tokens != "mfa" {
		t.Errorf("the page sees %q with %q, want bob with mfa", who, tokens)
	}
	again, err := s.verify(browserCookies(t, ctx, s.url)["auth_tkt"].Value)
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := again.Tokens.AuthTime(); !ok || !at.After(signedIn) {
		t.Errorf("auth time after confirming %v (%v), first %v: want a later one", at, ok, signedIn)
	}
}
