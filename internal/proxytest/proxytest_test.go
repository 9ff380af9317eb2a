package proxytest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// The tests prove the harness: each proxy runs, does forward auth against a
// Go auth server and hands the verdict to a Go backend. They also pin down
// how each proxy treats the auth endpoint's answers, which is what tktd's
// /auth has to be written for.

// fixture is a fake auth endpoint and a backend.
type fixture struct {
	auth, backend *httptest.Server
	down          string // host:port where nothing listens

	mu   sync.Mutex
	seen map[string]http.Header // the last request to each auth path
}

// The auth endpoint's paths:
//
//	/auth     200 Remote-User: alice with Cookie ok=1, else 401
//	/auth302  the same, but 302 to a login URL with a Set-Cookie instead of 401
//	/open     200 without any Remote-User, whoever asks (an anonymous page)
//	/hang     no answer until the caller gives up (or 15 s)
func newFixture(t *testing.T) *fixture {
	f := &fixture{seen: map[string]http.Header{}}
	f.auth = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen[r.URL.Path] = r.Header.Clone()
		f.mu.Unlock()
		switch r.URL.Path {
		case "/open":
			return
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-time.After(15 * time.Second):
			}
			return
		}
		if c, err := r.Cookie("ok"); err == nil && c.Value == "1" {
			w.Header().Set("Remote-User", "alice")
			w.Header().Set("Set-Cookie", "refreshed=1; Path=/")
			return
		}
		if r.URL.Path == "/auth302" {
			w.Header().Set("Set-Cookie", "probe=1; Path=/")
			http.Redirect(w, r, "http://login.test/login?back=x", http.StatusFound)
			return
		}
		w.Header().Set("WWW-Authenticate", `Cookie realm="tkt"`)
		http.Error(w, "auth says no", http.StatusUnauthorized)
	}))
	t.Cleanup(f.auth.Close)
	f.backend = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "yes")
		fmt.Fprintf(w, "user=%q", r.Header.Values("Remote-User"))
	}))
	t.Cleanup(f.backend.Close)
	f.down = testenv.FreeAddr(t)
	return f
}

func (f *fixture) authAddr() string    { return strings.TrimPrefix(f.auth.URL, "http://") }
func (f *fixture) backendAddr() string { return strings.TrimPrefix(f.backend.URL, "http://") }

// lastAuth returns the headers of the last request to the auth path.
func (f *fixture) lastAuth(path string) http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[path]
}

// A case is one request through the proxy. The proxy's paths are /app/
// (auth at /auth), /r/ (/auth302), /open/ (/open) and /down/ (an auth
// address where nothing listens).
type tcase struct {
	name    string
	path    string
	cookie  string
	mallory bool // send Remote-User: mallory
	status  int
	backend string // the backend's body, "" when it must not be reached
	orBody  string // another body accepted (a difference between versions)
	loc     string // the Location wanted, if any
	setCk   string // a Set-Cookie wanted, if any
}

// common are the cases every proxy answers alike.
var common = []tcase{
	{name: "no cookie", path: "/app/x", status: 401},
	{name: "cookie", path: "/app/x", cookie: "ok=1", status: 200, backend: `user=["alice"]`, setCk: "refreshed=1; Path=/"},
	{name: "mallory without cookie", path: "/app/x", mallory: true, status: 401},
	{name: "mallory with cookie", path: "/app/x", cookie: "ok=1", mallory: true, status: 200, backend: `user=["alice"]`},
}

// redirectPassed is the case of the proxies that hand any non-2xx answer
// back to the client as it is: status, headers (Location, Set-Cookie) and
// body.
var redirectPassed = tcase{name: "redirect", path: "/r/x", status: 302, loc: "http://login.test/login?back=x", setCk: "probe=1; Path=/"}

// checkAuthRequest compares headers of the last request to the auth path
// with want.
func (f *fixture) checkAuthRequest(t *testing.T, path string, want map[string]string) {
	t.Helper()
	h := f.lastAuth(path)
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("auth request %s %q, want %q", k, got, v)
		}
	}
}

func check(t *testing.T, s *Server, cases []tcase) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", s.URL()+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.cookie != "" {
				req.Header.Set("Cookie", c.cookie)
			}
			if c.mallory {
				req.Header.Set("Remote-User", "mallory")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			reached := resp.Header.Get("X-Backend") == "yes"
			if c.orBody != "" && string(body) == c.orBody {
				t.Logf("backend got %s (accepted as a known difference between versions)", body)
				c.backend = c.orBody
			}
			if resp.StatusCode != c.status || reached != (c.backend != "") || reached && string(body) != c.backend {
				t.Errorf("GET %s: status %d, backend reached %v, body %q; want %d, backend %q\n%s",
					c.path, resp.StatusCode, reached, body, c.status, c.backend, s.LogTail(5))
			}
			if got := resp.Header.Values("Location"); c.loc != "" && (len(got) != 1 || got[0] != c.loc) {
				t.Errorf("Location %q, want exactly %q", got, c.loc)
			}
			if c.setCk != "" && !slices.Contains(resp.Header.Values("Set-Cookie"), c.setCk) {
				t.Errorf("Set-Cookie %q, want %q among them", resp.Header.Values("Set-Cookie"), c.setCk)
			}
		})
	}
}

// A port taken between our probe and the proxy's bind must be recognised as
// such, since that is what run retries on: each proxy words it differently.
func TestBindConflict(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, p := range []proxy{
		nginxProxy("server { listen 127.0.0.1:$PORT; return 204; }"),
		caddyProxy("respond 204"),
		haproxyProxy("frontend f\n\tbind 127.0.0.1:$PORT\n\thttp-request return status 204\n", nil),
		traefikProxy("http:\n  routers:\n    r: {rule: PathPrefix(`/`), service: s}\n  services:\n    s: {loadBalancer: {servers: [{url: \"http://127.0.0.1:9\"}]}}\n"),
	} {
		t.Run(p.name, func(t *testing.T) {
			s, err := start(p, p.find(t), t.TempDir(), port)
			if err == nil {
				s.stop()
				t.Fatalf("%s started on a port in use\n%s", p.name, s.LogTail(20))
			}
			if !errors.Is(err, errBind) {
				t.Errorf("err = %v, want errBind", err)
			}
		})
	}
}
