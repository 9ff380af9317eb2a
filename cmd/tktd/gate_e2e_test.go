package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/proxytest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestE2EGate puts tktd gate between the real nginx and an application.
func TestE2EGate(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, hits := protectedApp(t)
	cfg := proxySite(t, "")
	tktd := startTktd(t, tktdBin, nil, "--config", cfg)
	ops := testenv.FreeAddr(t)
	gate := startGate(t, tktdBin, []string{"TKT_GATE_METRICS_LISTEN=" + ops}, "--config", cfg, "--upstream", app.URL, "--login-url", "/login")
	ngx := proxytest.Nginx(t, "server {\n\tlisten 127.0.0.1:$PORT;\n"+
		fmt.Sprintf(portalLocations, strings.TrimPrefix(tktd.base, "http://"))+
		fmt.Sprintf(`	location / {
		proxy_pass http://%s;
		proxy_set_header Host $http_host;
		proxy_set_header X-Forwarded-For $remote_addr;
		proxy_set_header X-Forwarded-Proto $scheme;
	}
`, strings.TrimPrefix(gate.base, "http://"))+"}\n")
	defer func() {
		if t.Failed() {
			t.Logf("nginx's log:\n%s", ngx.LogTail(40))
		}
	}()
	// The gate's requirement is site-wide (ticket.tokens); /admin is open
	// to every valid ticket here, so check the token on a second gate.
	checkGate(t, ngx.URL(), hits)
	_, page := get(t, testenv.Browser(t), "http://"+ops+"/metrics")
	if got := metricValue(page, `tkt_http_requests_total{code="2xx",route="gate"}`); got == "" || got == "0" {
		t.Errorf("the gate's metrics count no requests: %q", got)
	}

	strict := startGate(t, tktdBin, nil, "--config", cfg, "--upstream", app.URL, "--tokens", "admin")
	c := testenv.Browser(t)
	testenv.Login(t, c, tktd.base, "bob", "bob-pw", "/")
	if resp, _ := getAs(t, c, strict.base+"/x"); resp.StatusCode != 403 {
		t.Errorf("bob at a gate requiring admin: %d", resp.StatusCode)
	}
}

func checkGate(t *testing.T, base string, hits *int) {
	c := testenv.Browser(t)
	resp, _ := getAs(t, c, base+"/page?x=1&y=2", "Remote-User", "mallory", "Accept", "text/html")
	wantLogin := base + "/login?back=" + url.QueryEscape(base+"/page?x=1&y=2")
	if resp.StatusCode != http.StatusTemporaryRedirect || location(resp) != wantLogin {
		t.Fatalf("without a ticket: %d %q, want 307 %q", resp.StatusCode, location(resp), wantLogin)
	}
	if *hits != 0 {
		t.Fatal("the application was reached without a ticket")
	}
	if resp, _ := testenv.Login(t, c, base, "alice", "alice-pw", base+"/page"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	resp, saw := getAs(t, c, base+"/page", "Remote-User", "mallory", "Remote_User", "mallory")
	if resp.StatusCode != 200 || saw.User != "alice" || saw.Groups != "admin,staff" {
		t.Fatalf("with alice's ticket: %d, the application saw %+v", resp.StatusCode, saw)
	}
	if strings.Contains(saw.Cookie, "auth_tkt") {
		t.Errorf("the ticket cookie reached the application: %q", saw.Cookie)
	}
	checkClientAddress(t, base)
}

// TestE2EGateBackDefault logs in at the portal from a gate on an address
// of its own, which the configuration names (gate.listen) and no
// allowed_redirects lists: the login returns to the gate. A portal whose
// configuration has no gate refuses the same back URL, saying which
// setting would allow it.
func TestE2EGateBackDefault(t *testing.T) {
	tktdBin, _ := buildBinaries(t)
	app, _ := protectedApp(t)
	gateAddr := testenv.FreeAddr(t)
	plain := startTktd(t, tktdBin, nil, "--config", proxySite(t, ""))
	cfg := proxySite(t, fmt.Sprintf("gate: {listen: %q, upstream: %q}\n", gateAddr, app.URL))
	tktd := startTktd(t, tktdBin, nil, "--config", cfg)
	startGate(t, tktdBin, nil, "--config", cfg, "--listen", gateAddr, "--login-url", tktd.base+"/login")

	c := testenv.Browser(t)
	back := "http://" + gateAddr + "/page"
	resp, _ := getAs(t, c, back, "Accept", "text/html")
	if want := tktd.base + "/login?back=" + url.QueryEscape(back); location(resp) != want {
		t.Fatalf("the gate without a ticket: %d %q, want %q", resp.StatusCode, location(resp), want)
	}
	if resp, body := testenv.Login(t, c, tktd.base, "alice", "alice-pw", back); location(resp) != back {
		t.Fatalf("login from the gate: %d %q, want %q\n%s", resp.StatusCode, location(resp), back, body)
	}
	if resp, saw := getAs(t, c, back); resp.StatusCode != 200 || saw.User != "alice" {
		t.Errorf("alice at the gate after the login: %d, the application saw %+v", resp.StatusCode, saw)
	}

	if resp, _ := testenv.Login(t, testenv.Browser(t), plain.base, "alice", "alice-pw", back); location(resp) != plain.base+"/" {
		t.Errorf("a portal that knows no gate sent the login to %q, want its own /", location(resp))
	}
	testenv.WaitFor(t, "the refusal's log line", 5*time.Second, func() bool {
		return strings.Contains(plain.logs.String(), "allowed_redirects")
	})
}
