package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/ticket"
)

// benchServe serves r again and again, expecting status.
func benchServe(b *testing.B, p *Portal, r *http.Request, status int) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != status {
			b.Fatal(w.Code)
		}
	}
}

func benchRequest(target string) *http.Request {
	r := httptest.NewRequest("GET", "http://"+portalHost+target, nil)
	r.RemoteAddr = testClient + ":1"
	return r
}

// BenchmarkLoginPage is GET /login without a ticket: render the form.
func BenchmarkLoginPage(b *testing.B) {
	f := newFixture(b, nil)
	benchServe(b, f.p, benchRequest("/login?back=https%3A%2F%2Fapp.example.com%2Fpage"), http.StatusOK)
}

// BenchmarkAutoLogin is GET /login with a valid ticket: verify and redirect.
func BenchmarkAutoLogin(b *testing.B) {
	f := newFixture(b, nil)
	r := benchRequest("/login?back=%2F")
	r.AddCookie(&http.Cookie{Name: "auth_tkt", Value: f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret)})
	benchServe(b, f.p, r, http.StatusSeeOther)
}

func BenchmarkRedirectCheck(b *testing.B) {
	rd := testRedirects(b)
	for b.Loop() {
		if _, ok := rd.check("https://a.trusted.example.org/some/path?x=1", ""); !ok {
			b.Fatal("refused")
		}
	}
}

// BenchmarkLoginPagePasskey is BenchmarkLoginPage with second factors on
// and a store that looks users up: the form then offers a passkey sign-in,
// a fresh WebAuthn challenge signed into the page.
func BenchmarkLoginPagePasskey(b *testing.B) {
	f := newMFAFixture(b, nil)
	o := f.opts
	o.Source = f.src.Source // the htpasswd store itself: a Lookuper
	if err := f.p.Reload(o); err != nil {
		b.Fatal(err)
	}
	r := benchRequest("/login?back=https%3A%2F%2Fapp.example.com%2Fpage")
	w := httptest.NewRecorder()
	f.p.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), `id="passkey-signin"`) {
		b.Fatal("no passkey sign-in offered")
	}
	benchServe(b, f.p, r, http.StatusOK)
}
