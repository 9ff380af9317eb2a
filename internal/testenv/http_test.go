package testenv

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "c", Value: "v", Path: "/"})
			http.Redirect(w, r, "/elsewhere", http.StatusSeeOther)
			return
		}
		if c, err := r.Cookie("c"); err == nil {
			w.Write([]byte(c.Value))
		}
	}))
	defer srv.Close()
	b := Browser(t)
	resp, err := b.Get(srv.URL + "/set")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("redirect followed: status %d", resp.StatusCode)
	}
	resp, err = b.Get(srv.URL + "/read")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got [8]byte
	n, _ := resp.Body.Read(got[:])
	if string(got[:n]) != "v" {
		t.Errorf("cookie not kept: %q", got[:n])
	}
}

// TestLogin: the form is fetched first (its cookie comes back with the
// POST), and the POST carries the credentials, back and the origin.
func TestLogin(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet:
			http.SetCookie(w, &http.Cookie{Name: "probe", Value: r.URL.Query().Get("back")})
		case r.Header.Get("Origin") != srv.URL:
			http.Error(w, "cross-origin", http.StatusForbidden)
		default:
			probe, _ := r.Cookie("probe")
			fmt.Fprintf(w, "%s %s %s %v", r.PostFormValue("user"), r.PostFormValue("password"), r.PostFormValue("back"), probe)
		}
	}))
	defer srv.Close()
	resp, body := Login(t, Browser(t), srv.URL, "alice", "pw", "/app")
	if want := "alice pw /app probe=/app"; resp.StatusCode != 200 || body != want {
		t.Errorf("Login: %d %q, want 200 %q", resp.StatusCode, body, want)
	}
}

func TestSetCookieValue(t *testing.T) {
	resp := &http.Response{Header: http.Header{"Set-Cookie": {
		"other=x", "gone=; Max-Age=0", "old=v; Max-Age=-1", "auth_tkt=abc; Path=/; HttpOnly",
	}}}
	for name, want := range map[string]string{"auth_tkt": "abc", "other": "x", "gone": "", "old": "", "absent": ""} {
		if v, ok := SetCookieValue(resp, name); v != want || ok != (want != "") {
			t.Errorf("SetCookieValue(%q) = %q, %v; want %q", name, v, ok, want)
		}
	}
}
