package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

const (
	// chromiumPath is Debian's chromium (installed by .ci/run). The tests
	// never let chromedp look for, or fetch, another browser.
	chromiumPath = "/usr/bin/chromium"
	// browserTimeout bounds a whole test: a hung browser fails the test
	// instead of hanging CI until go test's own timeout.
	browserTimeout = 60 * time.Second
	// actionTimeout bounds one step, so that a page that never comes
	// (a wrong redirect, a missing element) fails the step quickly
	// instead of using up browserTimeout.
	actionTimeout = 15 * time.Second
	// loopback is the client address every ticket is bound to: the
	// browser talks to httptest servers on 127.0.0.1.
	loopback = "127.0.0.1"
)

// browserConfig says how to start one Chromium.
type browserConfig struct {
	// blockCookies starts the profile with the content setting "block all
	// cookies", what a user gets from Settings > Privacy > "Don't allow
	// sites to save data". Chromium has no flag or DevTools command that
	// blocks first-party cookies (Network.setCookieControls only governs
	// third-party ones, Emulation.setDocumentCookieDisabled only hides
	// document.cookie), so the setting goes into the fresh profile's
	// Preferences file before the browser starts.
	blockCookies bool
	// hostRules, when set, is Chromium's --host-resolver-rules ("MAP
	// *.test 127.0.0.1"): host names of the test's own, on loopback.
	hostRules string
}

// startBrowser starts a headless Chromium with a fresh profile in a
// temporary directory and returns the context of its first tab. When the
// test ends the browser is closed, every process that used the profile is
// killed by its PID, and the test fails if one survives.
func startBrowser(t *testing.T, c browserConfig) context.Context {
	t.Helper()
	_, err := os.Stat(chromiumPath)
	testenv.Need(t, "Debian's chromium (apt-get install chromium)", err)
	profile := t.TempDir() // removed after the cleanup below: LIFO
	if c.blockCookies {
		writeBlockedCookiesProfile(t, profile)
	}
	var output testenv.SyncBuffer
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(&output),
	}
	if c.hostRules != "" {
		opts = append(opts, chromedp.Flag("host-resolver-rules", c.hostRules))
	}
	timeout, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab() // closes the browser gracefully and waits for it
		cancelAlloc()
		cancelTimeout()
		if left := killProfileProcesses(profile); len(left) > 0 {
			t.Errorf("chromium processes %v outlived the test", left)
		}
		if out := chromiumLog(output.String()); t.Failed() && out != "" {
			t.Logf("chromium output:\n%s", out)
		}
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v\n%s", chromiumPath, err, chromiumLog(output.String()))
	}
	return ctx
}

// chromiumLog drops the D-Bus complaints a headless Chromium prints on a
// machine without a session bus: they bury the lines that matter.
func chromiumLog(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.Contains(line, "dbus/") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// writeBlockedCookiesProfile writes the Preferences of a profile whose
// default content setting blocks cookies (2 = block).
func writeBlockedCookiesProfile(t *testing.T, profile string) {
	t.Helper()
	prefs := map[string]any{"profile": map[string]any{
		"default_content_setting_values": map[string]any{"cookies": 2},
	}}
	b, err := json.Marshal(prefs)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(profile, "Default")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Preferences"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// killProfileProcesses kills, by PID, the processes whose command line
// names profile as their user data directory (Chromium passes it to every
// child: zygote, renderers, network service), which can outlive the main
// process. It returns the PIDs still alive after a few seconds.
func killProfileProcesses(profile string) []int {
	want := []byte("--user-data-dir=" + profile + "\x00")
	find := func() []int {
		var pids []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err == nil && bytes.Contains(cmd, want) {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := find()
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newTab opens a tab in a new browser context of the browser in ctx: its
// own cookie jar, as if a different person used the same browser.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// run runs one browser action and fails the test on error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// navigateTo runs steps that load a page (a navigation, a click on a
// submit button, Enter in a form) and returns the final HTTP response of
// the document, after any redirects.
func navigateTo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// browserCookies returns the cookies the browser holds for url, by name.
func browserCookies(t *testing.T, ctx context.Context, url string) map[string]*network.Cookie {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m
}

// focused names the element that has the keyboard focus: its id, or its
// tag and type when it has none.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[string](`(() => {
		const e = document.activeElement;
		if (!e) return "";
		return e.id || (e.tagName.toLowerCase() + (e.type ? "[" + e.type + "]" : ""));
	})()`))
}

// focusAfterLoad is the focused element once the browser has applied
// autofocus, which it does at a rendering step after the load event, not
// at the load event itself. It waits a little for the focus to leave the
// body; a page without autofocus then shows as "body".
func focusAfterLoad(t *testing.T, ctx context.Context) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	_, err := chromedp.Run(tctx, chromedp.Poll[bool](
		`document.activeElement !== null && document.activeElement !== document.body`,
		chromedp.WithPollingTimeout(2*time.Second)))
	if err != nil && !errors.Is(err, chromedp.ErrPollingTimeout) {
		t.Fatal(err)
	}
	return focused(t, ctx)
}

// site is the real portal on a loopback httptest server, with a tiny
// application under /app/ protected by the ticket middleware, the way an
// application behind tkt would be.
type site struct {
	url      string // http://127.0.0.1:PORT, no trailing slash
	cfg      Config
	verifier *ticket.Verifier
	appHits  atomic.Int64 // requests that reached /app/, signed in or not
	logs     *testenv.SyncBuffer
}

// recentLogin is how recent a login the site's /app/recent/ pages ask for.
const recentLogin = 4 * time.Second

// newSite serves the portal over a real htpasswd store (alice and bob,
// bcrypt cost 4; alice in staff and admin); edit, if not nil, adjusts the
// options before New.
func newSite(t *testing.T, edit func(*Config)) *site {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{ReadHeaderTimeout: 10 * time.Second}}
	s := &site{url: "http://" + ln.Addr().String(), logs: &testenv.SyncBuffer{}}

	pw, gr := writeHtpasswd(t, t.TempDir())
	store, err := htpasswd.New(htpasswd.Config{Path: pw, GroupPath: gr})
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = baseConfig()
	s.cfg.Source = store
	// The application is on the portal's own host and port: back URLs
	// that the middleware builds are absolute, so they must be allowed.
	s.cfg.AllowedRedirects = []string{ln.Addr().String()}
	s.cfg.Logger = slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if edit != nil {
		edit(&s.cfg)
	}
	portal, err := New(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.verifier, err = ticket.NewVerifier(s.cfg.Ticket); err != nil {
		t.Fatal(err)
	}
	// What the application shows a signed-in user.
	appPage := template.Must(template.New("app").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>app</title></head>
<body><p>Signed in as <span id="who">{{.UID}}</span> with tokens <span id="tokens">{{.Tokens}}</span>.</p></body></html>`))
	mw, err := tkthttp.New(tkthttp.Config{Ticket: s.cfg.Ticket, LoginURL: "/login"})
	if err != nil {
		t.Fatal(err)
	}
	app := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tkthttp.IdentityFrom(r.Context())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := appPage.Execute(w, id); err != nil {
			t.Errorf("app page: %v", err)
		}
	}))
	// Under /app/recent/ the application asks for a login no older than
	// recentLogin (step-up).
	recent, err := tkthttp.New(tkthttp.Config{Ticket: s.cfg.Ticket, LoginURL: "/login", MaxAuthAge: recentLogin})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/app/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.appHits.Add(1)
		app.ServeHTTP(w, r)
	}))
	mux.Handle("/app/recent/", recent.Wrap(app))
	mux.Handle("/", portal)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("portal log:\n%s", s.logs.String())
		}
	})
	return s
}

// verify checks a ticket cookie value the way the application does.
func (s *site) verify(value string) (ticket.Result, error) {
	return s.verifier.Verify(value, netip.MustParseAddr(loopback), time.Now())
}

// screenshotDir is where screenshots go: $TKT_SCREENSHOT_DIR when set,
// else the test's artifact directory (kept with go test -artifacts,
// testing.T.ArtifactDir, Go 1.26), else a directory under the system
// temporary directory that is kept. go.mod still allows Go 1.25, so
// ArtifactDir is found through an interface, not called directly.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("TKT_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, ok := any(t).(interface{ ArtifactDir() string }); ok {
		return a.ArtifactDir()
	}
	d, err := os.MkdirTemp("", "tkt-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// writeScreenshot stores png as dir/name.png.
func writeScreenshot(t *testing.T, dir, name string, png []byte) string {
	t.Helper()
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// textOf is the visible text of the element matched by css.
func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return strings.TrimSpace(run(t, ctx, chromedp.Text(chromedp.CSS(css))))
}
