package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
	"github.com/tkt-sso/tkt/web"
	"golang.org/x/crypto/bcrypt"
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

// A renewal asks the user stores who a ticket's user is now before the
// ticket is refreshed: alice's ticket gets the groups the group file gives
// her today; bob, no longer in the file, gets no fresh ticket, and his old
// one lasts until its timeout. The portal, the forward-auth endpoint and
// the gate take it as their Renew.
func ExampleNewRenew() {
	dir, err := os.MkdirTemp("", "renew-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	hash, _ := bcrypt.GenerateFromPassword([]byte("alice-pw"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "users"), []byte("alice:"+string(hash)+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "groups"), []byte("staff: alice\n"), 0o600)
	files, err := htpasswd.New(htpasswd.Config{Path: filepath.Join(dir, "users"), GroupPath: filepath.Join(dir, "groups")})
	if err != nil {
		panic(err)
	}
	renew, err := web.NewRenew(web.RenewConfig{Source: files})
	if err != nil {
		panic(err)
	}
	for _, old := range []ticket.Ticket{{UID: "alice", Tokens: "staff,admin"}, {UID: "bob", Tokens: "staff"}} {
		t, err := renew(context.Background(), old)
		fmt.Printf("%s: tokens %q, err %v\n", old.UID, t.Tokens, err)
	}
	// Output:
	// alice: tokens "staff", err <nil>
	// bob: tokens "", err the user no longer exists
}
