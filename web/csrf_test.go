package web

import (
	"net/http"
	"net/url"
	"testing"
)

func TestCrossOriginPost(t *testing.T) {
	form := url.Values{"user": {"alice"}, "password": {alicePass}}
	tests := []struct {
		name   string
		method string
		target string
		header map[string]string
		status int
	}{
		{"cross-site login", "POST", "/login", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site login", "POST", "/login", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign Origin", "POST", "/login", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site logout", "POST", "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-origin login", "POST", "/login", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"own Origin", "POST", "/login", map[string]string{"Origin": "http://" + portalHost}, http.StatusSeeOther},
		{"no browser headers", "POST", "/login", nil, http.StatusSeeOther},
		{"cross-site GET is safe", "GET", "/login", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			r := req{method: tt.method, target: tt.target, header: tt.header, cookies: []*http.Cookie{probe()}}
			if tt.method == "POST" {
				r.form = form
			}
			w := f.do(r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status != http.StatusForbidden {
				return
			}
			if f.src.calls.Load() != 0 || setCookie(w, "auth_tkt") != nil {
				t.Error("refused request reached the store or changed the cookie")
			}
			if reasonOf(w.Body.String()) != string(reasonCSRF) {
				t.Errorf("reason %q", reasonOf(w.Body.String()))
			}
			if tt.target == "/login" && f.metrics.logins[resultCSRF] != 1 {
				t.Errorf("metrics %v", f.metrics.logins)
			}
		})
	}
}
