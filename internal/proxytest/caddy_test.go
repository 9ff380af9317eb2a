package proxytest

import (
	"fmt"
	"strings"
	"testing"
)

// caddyHandle protects /NAME/* with forward_auth against auth at uri.
//
// request_header -Remote-User drops a client's Remote-User before
// forward_auth runs. That needs route, which keeps the written order: the
// Caddyfile's own directive order puts forward_auth before request_header,
// which would then delete the header forward_auth has just copied. And
// copy_headers alone does not drop it on every version: 2.6 overwrites the
// header on a 2xx answer only, and 2.10 leaves the client's in place when a
// 2xx answer has none.
const caddyHandle = `
	route /%[1]s/* {
		request_header -Remote-User
		forward_auth %[2]s {
			uri %[3]s
			copy_headers Remote-User
		}
		reverse_proxy %[4]s
	}
`

func TestCaddy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var site strings.Builder
	for _, l := range [][3]string{{"app", f.authAddr(), "/auth"}, {"r", f.authAddr(), "/auth302"},
		{"open", f.authAddr(), "/open"}, {"down", f.down, "/auth"}} {
		fmt.Fprintf(&site, caddyHandle, l[0], l[1], l[2], f.backendAddr())
	}
	s := Caddy(t, site.String())
	cases := append([]tcase(nil), common...)
	// forward_auth hands a 2xx answer's headers to the backend only (by
	// copy_headers): the client never sees its Set-Cookie.
	cases[1].setCk = ""
	check(t, s, append(cases,
		redirectPassed,
		// A 2xx answer without Remote-User: Caddy before 2.10 sets the
		// header to its unexpanded placeholder (caddy#6610).
		tcase{name: "open strips mallory", path: "/open/x", mallory: true, status: 200, backend: `user=[]`,
			orBody: `user=["{http.reverse_proxy.header.Remote-User}"]`},
		tcase{name: "auth down", path: "/down/x", status: 502},
	))
	f.checkAuthRequest(t, "/open", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/open/x"})
}
