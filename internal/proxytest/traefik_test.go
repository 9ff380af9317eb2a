package proxytest

import (
	"fmt"
	"strings"
	"testing"
)

// traefikRoute protects /NAME/ with a forwardAuth middleware of its own
// against address.
const traefikRoute = `
    %[1]s:
      rule: PathPrefix(` + "`/%[1]s/`" + `)
      middlewares: [%[1]s]
      service: backend`

const traefikMiddleware = `
    %[1]s:
      forwardAuth:
        address: %[2]s
        authResponseHeaders: [Remote-User]
        addAuthCookiesToResponse: [refreshed]`

func TestTraefik(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var routers, middlewares strings.Builder
	for _, l := range [][2]string{{"app", f.auth.URL + "/auth"}, {"r", f.auth.URL + "/auth302"},
		{"open", f.auth.URL + "/open"}, {"down", "http://" + f.down + "/auth"}} {
		fmt.Fprintf(&routers, traefikRoute, l[0])
		fmt.Fprintf(&middlewares, traefikMiddleware, l[0], l[1])
	}
	s := Traefik(t, "http:\n  routers:"+routers.String()+"\n  middlewares:"+middlewares.String()+`
  services:
    backend:
      loadBalancer:
        servers: [{url: "`+f.backend.URL+`"}]
`)
	check(t, s, append(common,
		redirectPassed,
		// authResponseHeaders replaces the client's header, also with none.
		tcase{name: "open strips mallory", path: "/open/x", mallory: true, status: 200, backend: `user=[]`},
		tcase{name: "auth down", path: "/down/x", status: 500},
		// The entry point cleans the path before routing and asking.
		tcase{name: "dot segments", path: "/open/../app/x", status: 401},
	))
	// Traefik writes X-Forwarded-* itself; the middleware asks at the
	// configured address, whatever the request's path.
	f.checkAuthRequest(t, "/open", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/open/x",
		"X-Forwarded-Host": s.Addr(), "X-Forwarded-Proto": "http", "X-Forwarded-For": "127.0.0.1"})
	check(t, s, []tcase{{name: "cleaned", path: "/app/./y//z", cookie: "ok=1", status: 200, backend: `user=["alice"]`}})
	f.checkAuthRequest(t, "/auth", map[string]string{"X-Forwarded-Uri": "/app/y/z"})
}

// A router Traefik disables (here for want of its service) fails the start
// with Traefik's reason, rather than leaving a proxy that answers 404.
func TestTraefikDisabledRouter(t *testing.T) {
	t.Parallel()
	p := traefikProxy("http:\n  routers:\n    app:\n      rule: PathPrefix(`/`)\n      service: nowhere\n")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = start(p, p.find(t), t.TempDir(), port)
	if err == nil || !strings.Contains(err.Error(), "router app@file is disabled") || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("start: %v; want router app@file disabled, naming the missing service", err)
	}
}
