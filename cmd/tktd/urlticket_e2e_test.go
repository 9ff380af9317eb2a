package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// twoDomains is a browser for which the portal's host, login.portal.test,
// and an application's host in another cookie domain, app.other.test,
// both resolve to the loopback address: its cookie jar keeps their
// cookies apart as a browser does.
func twoDomains(t *testing.T) *http.Client {
	c := testenv.Browser(t)
	d := &net.Dialer{Timeout: 5 * time.Second}
	c.Transport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}}
	return c
}

// ticketCookies counts the ticket cookies c would send to u.
func ticketCookies(c *http.Client, u string) int {
	pu, _ := url.Parse(u)
	n := 0
	for _, ck := range c.Jar.Cookies(pu) {
		if ck.Name == "auth_tkt" && ck.Value != "" {
			n++
		}
	}
	return n
}

// TestE2ENginxURLTicketTwoDomains runs the cross-domain hand-over behind
// the real nginx, configured as docs/proxies.md says, with the real tktd:
// the portal on login.portal.test (cookie.domain .portal.test) hands the
// ticket in the URL to app.other.test (url_ticket_hosts), whose
// /auth/nginx takes it, sets a host-only cookie there and sends the
// browser to the same URL without it; the application then sees alice.
// Logout at the portal ends the ticket on both domains, through the
// logout chain over app.other.test's /logout.
func TestE2ENginxURLTicketTwoDomains(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, hits := protectedApp(t)
	tktdAddr := testenv.FreeAddr(t)
	conf, _ := nginxRecipe(t, tktdAddr, strings.TrimPrefix(app.URL, "http://"))
	ngx := proxytest.Nginx(t, conf)
	port := strings.TrimPrefix(ngx.Addr(), "127.0.0.1:")
	portal, appBase := "http://login.portal.test:"+port, "http://app.other.test:"+port
	cfg := proxySite(t, fmt.Sprintf(`cookie: {domain: .portal.test}
url_ticket_hosts: [app.other.test:%s]
forward_auth:
  login_url: %s/login
`, port, portal))
	startTktd(t, tktdBin, []string{"TKT_ALLOWED_REDIRECTS=login.portal.test"}, "--config", cfg, "--listen", tktdAddr)

	c := twoDomains(t)
	page := appBase + "/page?x=1"
	resp, _ := getAs(t, c, page, "Accept", "text/html")
	wantLogin := portal + "/login?back=" + url.QueryEscape(page)
	if resp.StatusCode != http.StatusFound || location(resp) != wantLogin {
		t.Fatalf("the application without a ticket: %d %q, want 302 %q", resp.StatusCode, location(resp), wantLogin)
	}
	resp, body := testenv.Login(t, c, portal, "alice", "alice-pw", page)
	handover := location(resp)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(handover, page+"&auth_tkt=") {
		t.Fatalf("login: %d %q, want a redirect to %s with the ticket\n%s", resp.StatusCode, handover, page, body)
	}
	if ticketCookies(c, portal) != 1 || ticketCookies(c, appBase) != 0 {
		t.Fatalf("after the login: %d ticket cookies for the portal, %d for the application; want 1 and 0", ticketCookies(c, portal), ticketCookies(c, appBase))
	}

	// /auth/nginx takes the URL ticket: nginx's @tkt_login passes on the
	// cookie and redirects to the URL without the ticket.
	resp, _ = getAs(t, c, handover, "Accept", "text/html")
	if resp.StatusCode != http.StatusFound || location(resp) != page || *hits != 0 {
		t.Fatalf("the URL ticket: %d %q (the application reached %d times), want 302 %q", resp.StatusCode, location(resp), *hits, page)
	}
	if set := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(set, "auth_tkt=") || strings.Contains(strings.ToLower(set), "domain=") {
		t.Errorf("the URL ticket's cookie: %q, want a host-only auth_tkt", set)
	}
	if ticketCookies(c, appBase) != 1 {
		t.Fatal("the browser kept no ticket cookie for app.other.test")
	}
	resp, saw := getAs(t, c, page)
	if resp.StatusCode != 200 || saw.User != "alice" || saw.Groups != "admin,staff" {
		t.Fatalf("the application with the handed-over ticket: %d, it saw %+v", resp.StatusCode, saw)
	}
	// A forged URL ticket is no ticket: the login page.
	other := twoDomains(t)
	if resp, _ := getAs(t, other, page+"&auth_tkt=forged", "Accept", "text/html"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(location(resp), portal+"/login?") || ticketCookies(other, appBase) != 0 {
		t.Errorf("a forged URL ticket: %d %q", resp.StatusCode, location(resp))
	}

	// Logout at the portal, followed hop by hop as a browser does.
	hops := followLogout(t, c, portal+"/logout")
	if len(hops) != 2 || !strings.HasPrefix(hops[0], appBase+"/logout?") || !strings.HasPrefix(hops[1], portal+"/logout?") {
		t.Errorf("the logout chain: %q, want app.other.test's /logout, then the portal's signed-out page", hops)
	}
	if n, m := ticketCookies(c, portal), ticketCookies(c, appBase); n != 0 || m != 0 {
		t.Errorf("after logout: %d ticket cookies for the portal, %d for the application; want none", n, m)
	}
	if resp, _ := getAs(t, c, page, "Accept", "text/html"); resp.StatusCode != http.StatusFound || location(resp) != wantLogin {
		t.Errorf("the application after logout: %d %q, want the login page", resp.StatusCode, location(resp))
	}

	// Logout begun on the application's host ends the portal's ticket
	// too (forward_auth.login_url names the portal), or the next visit
	// would be handed a fresh URL ticket from it.
	resp, _ = testenv.Login(t, c, portal, "alice", "alice-pw", page)
	if resp, _ := getAs(t, c, location(resp), "Accept", "text/html"); resp.StatusCode != http.StatusFound || ticketCookies(c, appBase) != 1 || ticketCookies(c, portal) != 1 {
		t.Fatalf("signing in again: %d, %d and %d ticket cookies", resp.StatusCode, ticketCookies(c, portal), ticketCookies(c, appBase))
	}
	hops = followLogout(t, c, appBase+"/logout")
	if len(hops) != 2 || !strings.HasPrefix(hops[0], portal+"/logout?") || !strings.HasPrefix(hops[1], appBase+"/logout?") {
		t.Errorf("the logout chain begun at the application: %q, want the portal's /logout, then the application's signed-out page", hops)
	}
	if n, m := ticketCookies(c, portal), ticketCookies(c, appBase); n != 0 || m != 0 {
		t.Errorf("after a logout at the application: %d ticket cookies for the portal, %d for the application; want none", n, m)
	}
	if resp, _ := getAs(t, c, page, "Accept", "text/html"); resp.StatusCode != http.StatusFound || location(resp) != wantLogin {
		t.Errorf("the application after a logout begun there: %d %q, want the login page", resp.StatusCode, location(resp))
	}
}

// followLogout follows a logout from start, hop by hop as a browser does,
// and returns the hops' URLs.
func followLogout(t *testing.T, c *http.Client, start string) []string {
	t.Helper()
	next, hops := start, []string(nil)
	for range 5 {
		resp, err := c.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			if resp.StatusCode != 200 {
				t.Fatalf("logout at %s: %d", next, resp.StatusCode)
			}
			return hops
		}
		next = location(resp)
		hops = append(hops, next)
	}
	return hops
}
