package testenv

import (
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
