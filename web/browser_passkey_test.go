package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/tkt-sso/tkt/authsrc/mfa/mfatest"
)

// TestBrowserPasskeys registers, uses and removes a passkey in the real
// Chromium, with the DevTools protocol's virtual authenticator (a platform
// authenticator with user verification, as a phone or a laptop's
// fingerprint reader is): bob adds one at /account/security after his
// password, signs in with password and passkey (the ticket then carries
// the mfa token), then with the passkey alone, and removes it. The page is served at localhost: an IP
// address cannot be a WebAuthn relying party.
func TestBrowserPasskeys(t *testing.T) {
	m, _ := mfatest.New(t, "Example SSO", nil)
	s := newSite(t, func(c *Config) {
		_, port, _ := strings.Cut(c.AllowedRedirects[0], ":")
		c.AllowedRedirects = append(c.AllowedRedirects, "localhost:"+port)
		c.MFA = &MFAConfig{Factors: m}
	})
	base := strings.Replace(s.url, "127.0.0.1", "localhost", 1)
	browser := startBrowser(t, browserConfig{})
	ctx := newTab(t, browser)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
			Options: &cdpwebauthn.VirtualAuthenticatorOptions{
				Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Ctap2version: cdpwebauthn.Ctap2versionCtap21,
				Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true,
				HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	status := func() int {
		st, err := m.Status(context.Background(), "bob")
		if err != nil {
			t.Fatal(err)
		}
		return st.Passkeys
	}

	navigateTo(t, ctx, chromedp.Navigate(base+"/login?back="+url.QueryEscape("/account/security")))
	if resp := submitLogin(t, ctx, "bob", bobPass); !strings.HasSuffix(resp.URL, "/account/security") {
		t.Fatalf("after the password: %d at %s", resp.Status, resp.URL)
	}
	navigateTo(t, ctx, chromedp.SendKeys(chromedp.ID("password"), bobPass), chromedp.Click(chromedp.ID("passkey-add")))
	resp := navigateTo(t, ctx, chromedp.Click(chromedp.ID("passkey-create")))
	if reason := run(t, ctx, chromedp.AttributeValue(chromedp.ID("message"), "data-reason")).Value; resp.Status != 200 || reason != string(reasonPasskeyAdded) {
		t.Fatalf("after creating the passkey: %d, %s: %q", resp.Status, reason, textOf(t, ctx, "main"))
	}
	if n := status(); n != 1 {
		t.Fatalf("%d passkeys stored, want 1", n)
	}
	if c := browserCookies(t, ctx, base)["auth_tkt"]; c == nil {
		t.Error("no ticket after adding a passkey")
	} else if res, err := s.verify(c.Value); err != nil || !res.Tokens.Has("mfa") {
		t.Errorf("the ticket after adding a passkey: %+v, %v", res, err)
	}
	shoot := screenshotDir(t)
	t.Logf("screenshot %s", writeScreenshot(t, shoot, "mfa-passkeys", run(t, ctx, chromedp.FullScreenshot(100))))

	// Signed out, bob signs in with his password and the passkey.
	clearCookies(t, ctx)
	navigateTo(t, ctx, chromedp.Navigate(base+"/app/page?x=1"))
	if resp := submitLogin(t, ctx, "bob", bobPass); !strings.Contains(resp.URL, "/login") {
		t.Fatalf("after the password: %d at %s", resp.Status, resp.URL)
	}
	resp = navigateTo(t, ctx, chromedp.Click(chromedp.ID("passkey-use")))
	if resp.Status != 200 || resp.URL != base+"/app/page?x=1" {
		t.Fatalf("after the passkey: %d at %s: %q", resp.Status, resp.URL, textOf(t, ctx, "body"))
	}
	if tokens := textOf(t, ctx, "#tokens"); tokens != "mfa" {
		t.Errorf("the application sees tokens %q, want mfa", tokens)
	}

	// Signed out again, bob signs in with the passkey alone: it names him,
	// and proves the device and its user verification.
	clearCookies(t, ctx)
	navigateTo(t, ctx, chromedp.Navigate(base+"/app/page?y=2"))
	resp = navigateTo(t, ctx, chromedp.Click(chromedp.ID("passkey-signin")))
	if resp.Status != 200 || resp.URL != base+"/app/page?y=2" {
		t.Fatalf("after signing in with the passkey: %d at %s: %q", resp.Status, resp.URL, textOf(t, ctx, "body"))
	}
	if who, tokens := textOf(t, ctx, "#who"), textOf(t, ctx, "#tokens"); who != "bob" || tokens != "mfa" {
		t.Errorf("the application sees %q with %q, want bob with mfa", who, tokens)
	}

	// And removes it.
	navigateTo(t, ctx, chromedp.Navigate(base+"/account/security"))
	navigateTo(t, ctx, chromedp.SendKeys(chromedp.ID("password"), bobPass), chromedp.Click(chromedp.CSS(`button[name="remove_passkey"]`)))
	if reason := run(t, ctx, chromedp.AttributeValue(chromedp.ID("message"), "data-reason")).Value; reason != string(reasonPasskeyGone) || status() != 0 {
		t.Errorf("after removing: %s, %d passkeys left", reason, status())
	}
}

// clearCookies signs the tab out, as a new browser session would, keeping
// its virtual authenticator.
func clearCookies(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
}
