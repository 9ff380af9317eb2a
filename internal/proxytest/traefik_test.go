package proxytest

import (
	"fmt"
	"strings"
	"testing"
)

// traefikRouter protects /NAME/ with a forwardAuth middleware of its own
// against address.
const traefikRouter = `{"pathPrefixes": ["/%[1]s/"], "middlewares": ["%[1]s"], "service": "%[2]s"}`

const traefikMiddleware = `"%[1]s": {"forwardAuth": {"address": "%[2]s", "authResponseHeaders": ["Remote-User"],
	"addAuthCookiesToResponse": ["refreshed"]}}`

func TestTraefik(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var routers, middlewares []string
	for _, l := range [][2]string{{"app", f.auth.URL + "/auth"}, {"r", f.auth.URL + "/auth302"},
		{"open", f.auth.URL + "/open"}, {"down", "http://" + f.down + "/auth"}} {
		routers = append(routers, fmt.Sprintf(traefikRouter, l[0], f.backend.URL))
		middlewares = append(middlewares, fmt.Sprintf(traefikMiddleware, l[0], l[1]))
	}
	s := Traefik(t, `{"listen": "127.0.0.1:$PORT",
		"middlewares": {`+strings.Join(middlewares, ",\n")+`},
		"routers": [`+strings.Join(routers, ",\n")+`]}`)
	check(t, s, append(common,
		// Any non-2xx answer goes back to the client as it is: status,
		// headers (Location, Set-Cookie) and body.
		tcase{name: "redirect", path: "/r/x", status: 302, loc: "http://login.test/login?back=x", setCk: "probe=1; Path=/"},
		// authResponseHeaders replaces the client's header, also with none.
		tcase{name: "open strips mallory", path: "/open/x", mallory: true, status: 200, backend: `user=[]`},
		tcase{name: "auth down", path: "/down/x", status: 500},
	))
	// The entry point writes X-Forwarded-* itself; the middleware asks at
	// the configured address, whatever the request's path.
	h := f.lastAuth("/open")
	for k, want := range map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/open/x",
		"X-Forwarded-Host": s.Addr(), "X-Forwarded-Proto": "http"} {
		if got := h.Get(k); got != want {
			t.Errorf("auth request %s %q, want %q", k, got, want)
		}
	}
}
