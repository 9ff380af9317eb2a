package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// The access log has a level of its own and a cap on lines per second,
// counted when it drops lines; tkt's own events pass whatever it says.
func TestAccessLog(t *testing.T) {
	serve := func(c config.Log, n int) (lines []string, m *metrics) {
		var buf testenv.SyncBuffer
		log := newLogger(config.Log{Level: c.Level, Format: "json"}, &buf)
		m = newMetrics("test")
		h := observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.InfoContext(r.Context(), "login", "result", "invalid") // one of tkt's own events
			io.WriteString(w, "form")
		}), newAccessLog(log, c, m.accessDropped.Inc), m, route)
		for range n {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/login", nil))
		}
		return strings.Split(strings.TrimSpace(buf.String()), "\n"), m
	}
	count := func(lines []string, msg string) int {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, `"msg":"`+msg+`"`) {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		name          string
		cfg           config.Log
		n, wantAccess int
	}{
		{"info", config.Log{Level: "info", Access: "info"}, 20, 20},
		{"debug, at level info", config.Log{Level: "info", Access: "debug"}, 20, 0},
		{"debug, at level debug", config.Log{Level: "debug", Access: "debug"}, 20, 20},
		{"off", config.Log{Level: "debug", Access: "off"}, 20, 0},
		{"capped", config.Log{Level: "info", Access: "info", AccessRate: 50}, 300, 50},
	} {
		lines, m := serve(c.cfg, c.n)
		// The cap refills while the loop runs: a few more may pass.
		if got := count(lines, "request"); got < c.wantAccess || got > c.wantAccess+c.wantAccess/5 {
			t.Errorf("%s: %d access lines for %d requests, want %d", c.name, got, c.n, c.wantAccess)
		}
		if got := count(lines, "login"); got != c.n {
			t.Errorf("%s: %d of tkt's own lines for %d requests", c.name, got, c.n)
		}
		if c.cfg.AccessRate > 0 {
			w := httptest.NewRecorder()
			m.handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
			if got := metricValue(w.Body.String(), "tkt_access_log_dropped_total"); got == "0" || got == "" {
				t.Errorf("%s: tkt_access_log_dropped_total = %q", c.name, got)
			}
		}
	}

	// The first line after a drop says how many went.
	var buf testenv.SyncBuffer
	a := newAccessLog(newLogger(config.Log{Level: "info", Format: "json"}, &buf), config.Log{Access: "info", AccessRate: 1}, nil)
	for range 3 {
		a.write(context.Background(), false, slog.String("path", "/x"))
	}
	time.Sleep(1100 * time.Millisecond)
	a.write(context.Background(), false, slog.String("path", "/y"))
	if !strings.Contains(buf.String(), `"path":"/y","dropped_before":2`) {
		t.Errorf("log:\n%s", buf.String())
	}
}
