package proxytest

import (
	"fmt"
	"testing"
)

// haproxyConf runs the tkt-auth action for each protected prefix and acts
// on its verdict as the script's comment says.
const haproxyConf = `
frontend www
	bind 127.0.0.1:$PORT
	http-request lua.tkt-auth http://%[1]s/auth if { path_beg /app/ }
	http-request lua.tkt-auth http://%[1]s/auth302 if { path_beg /r/ }
	http-request lua.tkt-auth http://%[1]s/open if { path_beg /open/ }
	http-request lua.tkt-auth http://%[2]s/auth if { path_beg /down/ }
	http-request lua.tkt-auth http://%[1]s/hang if { path_beg /hang/ }
	http-request redirect code 302 location %%[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 302 } { var(txn.tkt_location) -m found }
	http-request redirect code 303 location %%[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 303 } { var(txn.tkt_location) -m found }
	http-request redirect code 307 location %%[var(txn.tkt_location)] if { var(txn.tkt_status) -m int 307 } { var(txn.tkt_location) -m found }
	http-request deny deny_status 401 if { var(txn.tkt_status) -m int 401 }
	http-request deny deny_status 403 if { var(txn.tkt_status) -m int 403 }
	http-request deny deny_status 503 unless { var(txn.tkt_status) -m int 200:299 }
	http-after-response add-header Set-Cookie %%[var(txn.tkt_set_cookie)] if { var(txn.tkt_set_cookie) -m found }
	default_backend app

backend app
	server app %[3]s
`

func TestHAProxy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := HAProxy(t, fmt.Sprintf(haproxyConf, f.authAddr(), f.down, f.backendAddr()),
		map[string]string{"tkt-auth.lua": HAProxyAuthLua(t)})
	check(t, s, append(common,
		redirectPassed,
		tcase{name: "open strips mallory", path: "/open/x?q=1", mallory: true, status: 200, backend: `user=[]`},
		tcase{name: "auth down", path: "/down/x", status: 503},
		tcase{name: "auth hangs", path: "/hang/x", status: 503},
	))
	f.checkAuthRequest(t, "/open", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http",
		"X-Forwarded-Host": s.Addr(), "X-Forwarded-Uri": "/open/x?q=1", "X-Forwarded-For": "127.0.0.1"})
}
