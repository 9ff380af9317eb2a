package apachetest

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// backendHeader marks a response written by the CGI, i.e. a request the
// module let through.
const backendHeader = "X-Apachetest-Backend"

// Request is one request to a virtual host.
type Request struct {
	VHost  string
	Path   string // with the query, e.g. "/md5/?a=1"
	Method string // "" means GET
	Body   string
	// Cookie is the ticket cookie's value; "" sends no ticket cookie.
	Cookie string
	// CookieName is the ticket cookie's name; "" means auth_tkt.
	CookieName string
	// Header holds extra headers; a "Cookie" here is sent as well,
	// after the ticket cookie, for tests of the Cookie header scan.
	Header http.Header
	// From is the client's source address, any 127.0.0.0/8 address (Linux
	// accepts them all on lo), so that IP binding is tested for real.
	// The zero value means 127.0.0.1.
	From netip.Addr
}

// Response is what Apache answered, and what its backend saw.
type Response struct {
	Status    int
	Location  string
	SetCookie []string // raw Set-Cookie header values, in order
	// Backend says whether the CGI ran: the module let the request
	// through. The fields below are set only then.
	Backend bool
	// The variables the backend saw; nil means unset, so a module that
	// sets REMOTE_USER_DATA to "" is told apart from one that doesn't.
	RemoteUser, Tokens, Data, AuthType, RemoteAddr *string
	// Vars are all variables the CGI reports (REQUEST_URI, QUERY_STRING,
	// HTTP_COOKIE, HTTP_HOST, REQUEST_METHOD, and the ones above), by name;
	// an unset one is absent.
	Vars map[string]string
}

// Cookie returns the value of the cookie called name that Apache set, if any
// (the last one when it set several).
func (r Response) Cookie(name string) (string, bool) {
	value, found := "", false
	for _, h := range r.SetCookie {
		c, err := http.ParseSetCookie(h)
		if err == nil && c.Name == name {
			value, found = c.Value, true
		}
	}
	return value, found
}

// Get sends a GET with the ticket cookie value (none if empty) from
// 127.0.0.1.
func (s *Server) Get(t testing.TB, vhost, path, cookie string) Response {
	t.Helper()
	return s.Do(t, Request{VHost: vhost, Path: path, Cookie: cookie})
}

// Do sends r without following redirects. A transport error fails the test:
// it means the harness, not the module, is broken.
func (s *Server) Do(t testing.TB, r Request) Response {
	t.Helper()
	resp, err := s.do(r)
	if err != nil {
		t.Fatalf("apachetest: %s %s: %v", r.VHost, r.Path, err)
	}
	return resp
}

func (s *Server) do(r Request) (Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL(r.VHost)+r.Path, strings.NewReader(r.Body))
	if err != nil {
		return Response{}, err
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.Cookie != "" {
		name := r.CookieName
		if name == "" {
			name = "auth_tkt"
		}
		// Set by hand: net/http's AddCookie would quote or drop values
		// the tests send on purpose.
		req.Header["Cookie"] = append([]string{name + "=" + r.Cookie}, req.Header["Cookie"]...)
	}
	from := r.From
	if !from.IsValid() {
		from = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: from.AsSlice()}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	out := Response{
		Status:    resp.StatusCode,
		Location:  resp.Header.Get("Location"),
		SetCookie: resp.Header.Values("Set-Cookie"),
		Backend:   resp.Header.Get(backendHeader) != "",
	}
	if !out.Backend {
		return out, nil
	}
	if out.Vars, err = parseEnv(string(body)); err != nil {
		return Response{}, err
	}
	for p, name := range map[**string]string{
		&out.RemoteUser: "REMOTE_USER", &out.Tokens: "REMOTE_USER_TOKENS",
		&out.Data: "REMOTE_USER_DATA", &out.AuthType: "AUTH_TYPE", &out.RemoteAddr: "REMOTE_ADDR",
	} {
		if v, ok := out.Vars[name]; ok {
			*p = &v
		}
	}
	return out, nil
}

// parseEnv reads env.cgi's output: "NAME=hex" for a set variable, a bare
// "NAME" for an unset one.
func parseEnv(body string) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, hexValue, set := strings.Cut(line, "=")
		if name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("backend output line %q is not NAME[=hex]", line)
		}
		if !set {
			continue
		}
		v, err := hex.DecodeString(hexValue)
		if err != nil {
			return nil, fmt.Errorf("backend variable %s: %v", name, err)
		}
		vars[name] = string(v)
	}
	return vars, sc.Err()
}
