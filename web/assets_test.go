package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEmbeddedLoginPageIsAccessible(t *testing.T) {
	f := newFixture(t, func(o *Config) { o.Title = "ACME <SSO>" })
	body := f.do(req{target: "/login"}).Body.String()
	for _, want := range []string{
		`<html lang="en">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<title>ACME &lt;SSO&gt;</title>`,
		`<label for="user">`, `id="user"`, `autocomplete="username"`, `autofocus`,
		`<label for="password">`, `id="password"`, `type="password"`, `autocomplete="current-password"`,
		`<form method="post" action="/login"`, `<button type="submit">`,
		`href="/static/style.css"`, `src="/static/logo.svg"`,
		`role="status"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "style=", "onclick", "onload"} {
		if strings.Contains(body, bad) {
			t.Errorf("login page has %q (the CSP forbids inline script and style)", bad)
		}
	}
	// After a failure the password field gets the focus, and the message is an alert.
	body = f.login("alice", "wrong", "").Body.String()
	if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `autocomplete="current-password" maxlength="1024" required autofocus`) {
		t.Errorf("failure page: %s", body)
	}
}

func TestTemplateOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"login.html":       `{{define "content"}}<h1 class="custom">{{.Title}}</h1><p data-reason="{{.Reason}}">{{.Message}}</p>{{end}}`,
		"style.css":        "body{color:red}",
		"logo.png":         "\x89PNG\r\n\x1a\nfake",
		"static/extra.css": "p{}",
		".hidden":          "secret",
	})
	f := newFixture(t, func(o *Config) { o.TemplateDir = dir; o.Title = "ACME" })
	body := f.do(req{target: "/login"}).Body.String()
	if !strings.Contains(body, `<h1 class="custom">ACME</h1>`) || !strings.Contains(body, `src="/static/logo.png"`) {
		t.Fatalf("override not used: %s", body)
	}
	// The pages not overridden keep the embedded version.
	if !strings.Contains(f.do(req{target: "/logout"}).Body.String(), "Signed out") {
		t.Error("embedded loggedout.html lost")
	}
	tests := []struct {
		path, ctype, body string
		status            int
	}{
		{"/static/style.css", "text/css; charset=utf-8", "body{color:red}", 200},
		{"/static/logo.png", "image/png", "\x89PNG\r\n\x1a\nfake", 200},
		{"/static/extra.css", "text/css; charset=utf-8", "p{}", 200},
		{"/static/logo.svg", "image/svg+xml", "<svg", 200}, // embedded one still there
		{"/static/.hidden", "", "", 404},
		{"/static/login.html", "", "", 404},
		{"/static/..%2flogin.html", "", "", 404},
	}
	for _, tt := range tests {
		w := f.do(req{target: tt.path})
		if w.Code != tt.status {
			t.Errorf("%s: status %d", tt.path, w.Code)
			continue
		}
		if tt.status == 200 && (w.Header().Get("Content-Type") != tt.ctype || !strings.HasPrefix(w.Body.String(), tt.body)) {
			t.Errorf("%s: %q %q", tt.path, w.Header().Get("Content-Type"), w.Body)
		}
	}
}

func TestTemplateOverrideErrors(t *testing.T) {
	tests := map[string]map[string]string{
		"syntax":        {"login.html": `{{define "content"}}{{if}}{{end}}`},
		"unknown field": {"home.html": `{{define "content"}}{{.NoSuchField}}{{end}}`},
		"unknown page":  {"logn.html": `x`},
		"bad layout":    {"layout.html": `{{define "layout"}}{{template "nope" .}}{{end}}`},
		"huge asset":    {"big.css": strings.Repeat("x", maxAssetSize+1)},
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(optionsWithTemplates(t, writeFiles(t, files)))
			if err == nil || !strings.Contains(err.Error(), "templates") {
				t.Fatalf("err %v", err)
			}
		})
	}
	if _, err := New(optionsWithTemplates(t, filepath.Join(t.TempDir(), "missing"))); err == nil {
		t.Error("missing template directory accepted")
	}
}

func TestStaticCaching(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(req{target: "/static/style.css"})
	etag := w.Header().Get("ETag")
	if w.Code != 200 || etag == "" || w.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	w = f.do(req{target: "/static/style.css", header: map[string]string{"If-None-Match": etag}})
	if w.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", w.Code)
	}
}

// optionsWithTemplates returns working options with TemplateDir set to dir.
func optionsWithTemplates(t *testing.T, dir string) Config {
	t.Helper()
	o := newFixture(t, nil).opts
	o.TemplateDir = dir
	return o
}
