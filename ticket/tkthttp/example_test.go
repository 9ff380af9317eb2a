package tkthttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// Protecting a handler: a browser without a ticket is sent to the portal,
// with the page it asked for as the back parameter; with a valid ticket the
// handler runs and reads the identity from the request's context.
func Example() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, for the output
	cfg := ticket.Config{Digest: ticket.HMACSHA256, Secret: "the secret the portal signs with", Timeout: 2 * time.Hour, Refresh: 0.5}
	mw, err := tkthttp.New(tkthttp.Config{
		Ticket:   cfg,
		LoginURL: "https://login.example.com/login",
		Now:      func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	app := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tkthttp.IdentityFrom(r.Context())
		fmt.Fprintf(w, "hello %s, member of %v", id.UID, id.Tokens.List())
	}))

	r := httptest.NewRequest("GET", "https://app.example.com/reports?year=2026", nil)
	r.RemoteAddr = "192.0.2.7:51000"
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Location"))

	// The portal's ticket, as the browser sends it after logging in.
	v, _ := ticket.NewVerifier(cfg)
	raw, _ := v.Mint(ticket.Ticket{UID: "alice", Tokens: "staff", Time: now.Add(-time.Minute)}, netip.MustParseAddr("192.0.2.7"))
	r.AddCookie(&http.Cookie{Name: ticket.DefaultCookieName, Value: ticket.Encode(raw)})
	w = httptest.NewRecorder()
	app.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 307 https://login.example.com/login?back=https%3A%2F%2Fapp.example.com%2Freports%3Fyear%3D2026
	// 200 hello alice, member of [staff]
}

// An API client (one that asks for JSON) gets a 401 with the reason rather
// than a redirect to a login page it cannot use.
func ExampleMiddleware_Wrap_apiClient() {
	mw, err := tkthttp.New(tkthttp.Config{
		Ticket:   ticket.Config{Digest: ticket.HMACSHA256, Secret: "the secret the portal signs with"},
		LoginURL: "https://login.example.com/login",
	})
	if err != nil {
		panic(err)
	}
	app := mw.Wrap(http.NotFoundHandler())
	r := httptest.NewRequest("GET", "https://api.example.com/v1/items", nil)
	r.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 401 {"error":"no ticket"}
}

// Behind a reverse proxy, the client is the address the trusted proxy
// names; a client that is not a trusted proxy cannot name itself.
func ExampleClientAddrConfig_Origin() {
	clients := tkthttp.ClientAddrConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}

	r := httptest.NewRequest("GET", "http://app.example.com/", nil)
	r.RemoteAddr = "10.0.0.2:40000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.4")
	r.Header.Set("X-Forwarded-Proto", "https")
	o := clients.Origin(r)
	fmt.Println(o.Addr, o.HTTPS)

	r.RemoteAddr = "198.51.100.4:40000" // not a trusted proxy
	o = clients.Origin(r)
	fmt.Println(o.Addr, o.HTTPS)
	// Output:
	// 198.51.100.4 true
	// 198.51.100.4 false
}

// IdentityHeaders passes an identity on to an application behind a proxy,
// having removed whatever the client sent under those names, in any
// spelling.
func ExampleIdentityHeaders_Set() {
	h := http.Header{"Remote_user": {"forged"}, "Accept": {"*/*"}}
	var names tkthttp.IdentityHeaders // Remote-User, Remote-Groups, Remote-Data
	id := tkthttp.Identity{Ticket: ticket.Ticket{UID: "alice", Tokens: "staff,admin"}}
	if err := names.Set(h, id); err != nil {
		panic(err)
	}
	fmt.Printf("%q %q %q %q\n", h.Get("Remote-User"), h.Get("Remote-Groups"), h.Values("Remote-Data"), h["Remote_user"])
	// Output:
	// "alice" "staff,admin" [""] []
}

// One parser reads every host allow-list: a host on any port, a host on
// one port, or a domain with everything under it. A trailing dot, a scheme
// or a path is refused with the reason.
func ExampleParseHostList() {
	l, err := tkthttp.ParseHostList([]string{"app.example.com", "admin.example.com:8443", ".corp.example"})
	fmt.Println(err)
	fmt.Println(l.AllowsAuthority("app.example.com:9000"), l.AllowsAuthority("admin.example.com"), l.AllowsAuthority("wiki.eu.corp.example"))

	_, err = tkthttp.ParseHostList([]string{"app.example.com.", "https://app.example.com"})
	fmt.Println(err)
	// Output:
	// <nil>
	// true false true
	// "app.example.com.": drop the trailing dot: hosts are matched by name without it
	// "https://app.example.com": give the host only, without the scheme
}

// endedSessions is a Sessions over a fixed set of ended ids; tktd's
// shared.Sessions follows them on Redis.
type endedSessions map[string]bool

func (e endedSessions) Check(sid string) error {
	if e[sid] {
		return tkthttp.ErrSessionEnded
	}
	return nil
}

func (endedSessions) Extend(context.Context, string, string) error { return nil }

// With Sessions, a ticket whose server-side session has ended is refused,
// however long it would still be valid; the session id stays out of the
// tokens the application sees.
func ExampleConfig_sessions() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	cfg := ticket.Config{Digest: ticket.HMACSHA256, Secret: "the secret the portal signs with", Timeout: 2 * time.Hour}
	ended := endedSessions{}
	mw, err := tkthttp.New(tkthttp.Config{Ticket: cfg, Sessions: ended, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	app := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tkthttp.IdentityFrom(r.Context())
		fmt.Fprintf(w, "hello %s, member of %v, session %s", id.UID, id.Tokens.List(), id.Session)
	}))

	// The portal's ticket carries the session id as a token.
	const sid = "KfPqVb2mR0u8Zx4cT1nLwA"
	v, _ := ticket.NewVerifier(cfg)
	raw, _ := v.Mint(ticket.Ticket{UID: "alice", Tokens: ticket.Tokens("staff").WithSession(sid), Time: now.Add(-time.Minute)}, netip.MustParseAddr("192.0.2.7"))
	ask := func() {
		r := httptest.NewRequest("GET", "https://app.example.com/", nil)
		r.RemoteAddr = "192.0.2.7:51000"
		r.Header.Set("Accept", "application/json")
		r.AddCookie(&http.Cookie{Name: ticket.DefaultCookieName, Value: ticket.Encode(raw)})
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	ask()
	ended[sid] = true // logout, somewhere
	ask()
	// Output:
	// 200 hello alice, member of [staff], session KfPqVb2mR0u8Zx4cT1nLwA
	// 401 {"error":"session ended"}
}
