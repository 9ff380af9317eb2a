package testenv

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Browser is an HTTP client that keeps cookies as a browser does but does
// not follow redirects, so that a test sees each redirect and the cookies
// it sets. A request taking over 20 s fails.
func Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Login logs in at the tkt portal at base as a browser does, with c (a
// Browser): it GETs the form, which sets the cookie probe, then POSTs user,
// password and back (when not empty) from the portal's own origin, as the
// CSRF check wants. It returns the POST's response with its body read.
func Login(t testing.TB, c *http.Client, base, user, password, back string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"user": {user}, "password": {password}}
	page := base + "/login"
	if back != "" {
		form.Set("back", back)
		page += "?" + url.Values{"back": {back}}.Encode()
	}
	resp, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", page, resp.Status)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// SetCookieValue returns the value of the cookie called name that resp
// sets, and false when it sets none or only deletes it (an empty value, or
// Max-Age below zero).
func SetCookieValue(resp *http.Response, name string) (string, bool) {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" && c.MaxAge >= 0 {
			return c.Value, true
		}
	}
	return "", false
}
