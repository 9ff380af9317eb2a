package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
	"github.com/tkt-sso/tkt/web"
)

// The forward-auth endpoint answers a reverse proxy's question about each
// request: here nginx's auth_request (/auth/nginx, the original URL in
// X-Original-URL). Without a ticket the answer is 401 with the login page
// in Location, for nginx to redirect to; with one, 200 and the identity in
// headers for nginx to pass on. A rule demands the admin token under
// /admin.
func ExampleForwardAuth() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, for the output
	tc := ticket.Config{Digest: ticket.HMACSHA256, Secret: "the secret the portal signs with", Timeout: 2 * time.Hour}
	auth, err := web.NewForwardAuth(web.ForwardAuthConfig{
		Ticket:           tc,
		LoginURL:         "https://login.example.com/login",
		ClientAddrConfig: tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/32")}}, // nginx
		Rules:            []web.ForwardAuthRule{{Paths: []string{"/admin"}, Tokens: []string{"admin"}}},
		Now:              func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	ask := func(url, cookie string) {
		r := httptest.NewRequest("GET", "http://127.0.0.1:8080/auth/nginx", nil)
		r.RemoteAddr = "10.0.0.5:41000"
		r.Header.Set("X-Original-URL", url)
		r.Header.Set("X-Forwarded-For", "192.0.2.7") // the browser, as nginx saw it
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: ticket.DefaultCookieName, Value: cookie})
		}
		w := httptest.NewRecorder()
		auth.ServeHTTP(w, r)
		if loc := w.Header().Get("Location"); loc != "" {
			fmt.Println(w.Code, "Location:", loc)
			return
		}
		fmt.Printf("%d Remote-User: %q Remote-Groups: %q\n", w.Code, w.Header().Get("Remote-User"), w.Header().Get("Remote-Groups"))
	}
	ask("https://app.example.com/reports", "")

	v, _ := ticket.NewVerifier(tc)
	raw, _ := v.Mint(ticket.Ticket{UID: "alice", Tokens: "staff", Time: now.Add(-time.Minute)}, netip.MustParseAddr("192.0.2.7"))
	ask("https://app.example.com/reports", ticket.Encode(raw))
	ask("https://app.example.com/admin/users", ticket.Encode(raw)) // no admin token
	// Output:
	// 401 Location: https://login.example.com/login?back=https%3A%2F%2Fapp.example.com%2Freports
	// 200 Remote-User: "alice" Remote-Groups: "staff"
	// 403 Remote-User: "" Remote-Groups: ""
}
