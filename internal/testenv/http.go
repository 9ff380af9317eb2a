package testenv

import (
	"net/http"
	"net/http/cookiejar"
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
