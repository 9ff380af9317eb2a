package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// seen is what the application behind the gate received.
type seen struct {
	User, Groups, Data string
	HasUser            bool
	Cookie             string
	XFF, XFHost, Proto string
	Path               string
}

// echoApp reports what it received as JSON; /stream sends two events
// with a pause between them; /ws upgrades and echoes one line.
func echoApp(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, has := r.Header["Remote-User"]
		json.NewEncoder(w).Encode(seen{
			User: r.Header.Get("Remote-User"), Groups: r.Header.Get("Remote-Groups"), Data: r.Header.Get("Remote-Data"),
			HasUser: has, Cookie: r.Header.Get("Cookie"), XFF: r.Header.Get("X-Forwarded-For"),
			XFHost: r.Header.Get("X-Forwarded-Host"), Proto: r.Header.Get("X-Forwarded-Proto"), Path: r.URL.RequestURI(),
		})
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "data: two\n\n")
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want an upgrade", 400)
			return
		}
		user := r.Header.Get("Remote-User")
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		rw.WriteString(user + " said " + line)
		rw.Flush()
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

type gateFixture struct {
	t      *testing.T
	app    *httptest.Server
	gate   *httptest.Server
	ticket ticket.Config
}

func newGateFixture(t *testing.T, edit func(*GateConfig)) *gateFixture {
	f := &gateFixture{t: t, app: echoApp(t), ticket: ticket.Config{Digest: ticket.HMACSHA256, Secret: testSecret, Timeout: time.Hour}}
	up, _ := url.Parse(f.app.URL)
	o := GateConfig{
		Middleware: tkthttp.Config{Ticket: f.ticket, LoginURL: loginURL},
		Upstream:   up,
	}
	if edit != nil {
		edit(&o)
	}
	g, err := NewGate(o)
	if err != nil {
		t.Fatal(err)
	}
	f.gate = httptest.NewServer(g)
	t.Cleanup(f.gate.Close)
	return f
}

func (f *gateFixture) mint(uid, tokens, data string) string {
	v, err := ticket.NewVerifier(f.ticket)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := v.Mint(ticket.Ticket{UID: uid, Tokens: ticket.Tokens(tokens), Data: data, Time: time.Now()}, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		f.t.Fatal(err)
	}
	return ticket.Encode(raw)
}

func (f *gateFixture) get(path string, header map[string]string) (*http.Response, seen) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.gate.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s seen
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			f.t.Fatal(err)
		}
	}
	return resp, s
}

func TestGate(t *testing.T) {
	f := newGateFixture(t, nil)
	alice := f.mint("alice", "staff,admin", "uid=42")

	resp, s := f.get("/page?x=1", map[string]string{
		"Cookie":      "theme=dark; auth_tkt=" + alice + "; lang=en",
		"Remote-User": "mallory", "Remote_User": "mallory", "REMOTE-GROUPS": "admin",
		"X-Forwarded-For": "203.0.113.66", "X-Forwarded-Host": "evil.example",
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := seen{User: "alice", Groups: "staff,admin", Data: "uid=42", HasUser: true, Cookie: "theme=dark; lang=en",
		XFF: "127.0.0.1", XFHost: strings.TrimPrefix(f.gate.URL, "http://"), Proto: "http", Path: "/page?x=1"}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("the application saw (-want +got):\n%s", diff)
	}

	// No ticket: the spoofed identity never reaches the application.
	resp, _ = f.get("/page", map[string]string{"Remote-User": "mallory", "Accept": "text/html"})
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != loginURL+"?back="+url.QueryEscape(f.gate.URL+"/page") {
		t.Errorf("browser without a ticket: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = f.get("/api", map[string]string{"Accept": "application/json"})
	if resp.StatusCode != 401 {
		t.Errorf("API client without a ticket: %d", resp.StatusCode)
	}
}

func TestGateConfig(t *testing.T) {
	f := newGateFixture(t, func(o *GateConfig) {
		o.PassTicketCookie = true
		o.Headers = tkthttp.IdentityHeaders{User: "X-User"}
		o.Middleware.Ticket.Tokens = []string{"admin"}
	})
	alice := f.mint("alice", "admin", "")
	_, s := f.get("/", map[string]string{"Cookie": "auth_tkt=" + alice})
	if s.Cookie != "auth_tkt="+alice || s.HasUser {
		t.Errorf("PassTicketCookie or header names ignored: %+v", s)
	}
	resp, _ := f.get("/", map[string]string{"Cookie": "auth_tkt=" + f.mint("bob", "staff", "")})
	if resp.StatusCode != 403 {
		t.Errorf("ticket without the token: %d", resp.StatusCode)
	}
	if _, err := NewGate(GateConfig{Middleware: tkthttp.Config{Ticket: f.ticket}, Upstream: &url.URL{Scheme: "ftp", Host: "x"}}); err == nil {
		t.Error("ftp upstream accepted")
	}
}

// Streamed responses reach the client as they are written, not when the
// application is done.
func TestGateStreams(t *testing.T) {
	f := newGateFixture(t, nil)
	req, _ := http.NewRequest(http.MethodGet, f.gate.URL+"/stream", nil)
	req.Header.Set("Cookie", "auth_tkt="+f.mint("alice", "", ""))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event %q %v", line, err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("first event took %v: buffered until the end", d)
	}
}

// An upgraded connection passes through, with the identity on the
// upgrade request.
func TestGateUpgrade(t *testing.T) {
	f := newGateFixture(t, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.gate.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\nCookie: auth_tkt=%s\r\n\r\n", f.mint("alice", "", ""))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	fmt.Fprint(conn, "hello\n")
	line, err := r.ReadString('\n')
	if err != nil || line != "alice said hello\n" {
		t.Errorf("echo %q %v", line, err)
	}
}

// An application that is down gives 502 with a reason, not a hang.
func TestGateUpstreamDown(t *testing.T) {
	f := newGateFixture(t, nil)
	f.app.Close()
	resp, _ := f.get("/", map[string]string{"Cookie": "auth_tkt=" + f.mint("alice", "", "")})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d %q", resp.StatusCode, body)
	}
}

// A client that hangs up is no upstream failure: 499, not a 502 that
// would count as the application's fault.
func TestGateClientGone(t *testing.T) {
	f := newGateFixture(t, nil)
	up, _ := url.Parse(f.app.URL)
	g, err := NewGate(GateConfig{Middleware: tkthttp.Config{Ticket: f.ticket}, Upstream: up})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/stream", nil).WithContext(ctx)
	r.RemoteAddr = "127.0.0.1:1"
	r.AddCookie(&http.Cookie{Name: "auth_tkt", Value: f.mint("alice", "", "")})
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 499 {
		t.Errorf("status %d, want 499", w.Code)
	}
}

// The ticket cookie never reaches the application, however the Cookie
// header spells it; the other cookies pass as they were.
func TestDropCookie(t *testing.T) {
	for in, want := range map[string]string{
		"auth_tkt=X":                  "",
		"a=1; auth_tkt=X; b=2":        "a=1; b=2",
		"a=1 auth_tkt=X; b=2":         "b=2",
		"xauth_tkt=1; auth_tkt_old=2": "xauth_tkt=1; auth_tkt_old=2",
		`q="a;b"`:                     `q="a; b"`,
		"auth_tkt=; auth_tkt=Y; c=3 ": "c=3",
	} {
		h := http.Header{"Cookie": {in}}
		dropCookie(h, "auth_tkt")
		if got := h.Get("Cookie"); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
		for v := range ticket.CookieValues(h.Get("Cookie"), "auth_tkt") {
			t.Errorf("%q: a ticket %q is left", in, v)
		}
	}
}
