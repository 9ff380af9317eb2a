package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/ticket"
)

// TestPageTitles: each page's <title> and heading say what it is; the
// signed-in page is not titled "Sign in".
func TestPageTitles(t *testing.T) {
	f := newFixture(t, nil)
	signedIn := []*http.Cookie{ticketCookie(f.ticketFor(ticket.Ticket{UID: "alice"}, testSecret))}
	tests := []struct {
		name    string
		r       req
		title   string
		heading string
	}{
		{"login", req{target: "/login"}, "Sign in", "Sign in"},
		{"home, signed in", req{target: "/", cookies: signedIn}, "Signed in as alice", "Signed in"},
		{"home, signed out", req{target: "/"}, "Sign in", "Sign in"},
		{"not found", req{target: "/nope"}, "Page not found", "Page not found"},
		{"signed out", req{target: "/logout", cookies: signedIn}, "Signed out", "Signed out"},
	}
	for _, tt := range tests {
		body := f.do(tt.r).Body.String()
		if !strings.Contains(body, "<title>"+tt.title+"</title>") || !strings.Contains(body, "<h1>"+tt.heading+"</h1>") {
			t.Errorf("%s: want title %q and heading %q in\n%s", tt.name, tt.title, tt.heading, body)
		}
	}
}
