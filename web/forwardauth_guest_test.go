package web

import (
	"testing"

	"github.com/tkt-sso/tkt/ticket"
)

// guest_cookie hands an anonymous visitor of the guest host a ticket on
// the shared cookie domain. It is a guest's (ticket.GuestToken): at the
// guest host it keeps the guest's name, and under every other rule it is
// no ticket at all, answered as a request without one.
func TestGuestCookieIsNoLoginElsewhere(t *testing.T) {
	f := newFAFixture(t, func(o *ForwardAuthConfig) {
		o.Rules = []ForwardAuthRule{{Hosts: []string{".wiki.example.com"}, Guest: true, GuestCookie: true}}
	})
	w := f.nginx("https://www.wiki.example.com/", "")
	c := setCookie(w, "auth_tkt")
	if c == nil {
		t.Fatal("no guest ticket")
	}
	guest := w.Header().Get("Remote-User")
	none := f.nginx("https://app.example.com/private", "")
	if w := f.nginx("https://app.example.com/private", c.Value); w.Code != none.Code || w.Code == 200 || setCookie(w, "auth_tkt") != nil {
		t.Errorf("a guest ticket at app.example.com: %d (no ticket: %d), user %q, groups %q, cookie %v",
			w.Code, none.Code, w.Header().Get("Remote-User"), w.Header().Get("Remote-Groups"), setCookie(w, "auth_tkt"))
	}
	w = f.nginx("https://docs.wiki.example.com/", c.Value)
	if w.Code != 200 || w.Header().Get("Remote-User") != guest || w.Header().Get("Remote-Groups") != "" || setCookie(w, "auth_tkt") != nil {
		t.Errorf("the guest ticket back at the wiki: %d, user %q (want %q), groups %q", w.Code, w.Header().Get("Remote-User"), guest, w.Header().Get("Remote-Groups"))
	}
}

// A store group named like the guest token never reaches a ticket: whoever
// names a group could otherwise make its members guests, or, were the
// token required somewhere, let anyone in.
func TestTokensOfDropsGuestToken(t *testing.T) {
	toks, skipped := tokensOf([]string{"staff", ticket.GuestToken})
	if toks != "staff" || len(skipped) != 1 || skipped[0] != ticket.GuestToken {
		t.Errorf("tokensOf: %q, skipped %q", toks, skipped)
	}
}
