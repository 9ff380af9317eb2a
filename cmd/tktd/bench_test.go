package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tkt-sso/tkt/internal/config"
)

// BenchmarkObserve is the cost every request pays for its request ID,
// access log line (JSON, to a discarding writer) and metrics.
func BenchmarkObserve(b *testing.B) {
	c := config.Log{Level: "info", Format: "json", Access: "info"} // no cap: every line is written
	h := observe(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		newAccessLog(newLogger(c, io.Discard), c, nil), newMetrics("bench"), route)
	req := httptest.NewRequest(http.MethodGet, "/login?back=/x", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkObserveBare is the handler alone, for comparison.
func BenchmarkObserveBare(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	req := httptest.NewRequest(http.MethodGet, "/login?back=/x", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkObserveAuth is the same for /auth, whose requests are logged
// at debug level only: what a proxy's every question pays.
func BenchmarkObserveAuth(b *testing.B) {
	c := config.Log{Level: "info", Format: "json", Access: "info"}
	h := observe(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }),
		newAccessLog(newLogger(c, io.Discard), c, nil), newMetrics("bench"), route)
	req := httptest.NewRequest(http.MethodGet, "/auth", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
