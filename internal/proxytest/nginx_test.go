package proxytest

import (
	"fmt"
	"strings"
	"testing"
)

// nginxLocations protects /NAME/ with auth_request against authURL.
//
// The backend location must set Remote-User itself: nginx passes every
// client header on, so without proxy_set_header a client's Remote-User
// reaches the backend. With it the client's header is replaced, and when
// $user is empty (no such header in the auth answer) nginx sends none.
const nginxLocations = `
	location = /_auth_%[1]s {
		internal;
		proxy_pass %[2]s;
		proxy_pass_request_body off;
		proxy_set_header Content-Length "";
		proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
	}
	location /%[1]s/ {
		auth_request /_auth_%[1]s;
		auth_request_set $user $upstream_http_remote_user;
		auth_request_set $auth_cookie $upstream_http_set_cookie;
		add_header Set-Cookie $auth_cookie;
		proxy_set_header Remote-User $user;
		proxy_pass http://%[3]s;
	}
`

func TestNginx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var conf strings.Builder
	conf.WriteString("server {\n\tlisten 127.0.0.1:$PORT;\n")
	for _, l := range [][2]string{{"app", f.auth.URL + "/auth"}, {"r", f.auth.URL + "/auth302"},
		{"open", f.auth.URL + "/open"}, {"down", "http://" + f.down + "/auth"}} {
		fmt.Fprintf(&conf, nginxLocations, l[0], l[1], f.backendAddr())
	}
	conf.WriteString("}\n")
	s := Nginx(t, conf.String())
	check(t, s, append(common,
		// auth_request knows 2xx, 401 and 403 only: anything else, a
		// redirect included, is a 500. Redirecting to a login page is
		// error_page 401's job.
		tcase{name: "redirect is 500", path: "/r/x", status: 500},
		tcase{name: "open strips mallory", path: "/open/x", mallory: true, status: 200, backend: `user=[]`},
		tcase{name: "auth down", path: "/down/x", status: 500},
	))
	f.checkAuthRequest(t, "/open", map[string]string{"X-Original-URL": "http://" + s.Addr() + "/open/x"})
}
