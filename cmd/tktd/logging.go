package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/tkt-sso/tkt/internal/config"
)

// newLogger returns the process logger: JSON for log collectors, text for
// a person at a terminal, unless the configuration says which.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(c.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if useText(c.Format, w) {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(ctxHandler{h})
}

func useText(format string, w io.Writer) bool {
	switch strings.ToLower(format) {
	case "text":
		return true
	case "json":
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type requestIDKey struct{}

// ctxHandler adds the request ID of the context to every record logged
// with one (InfoContext and friends), so the portal's lines and the access
// log line of a request share it.
type ctxHandler struct{ slog.Handler }

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ctxHandler{h.Handler.WithAttrs(as)}
}

func (h ctxHandler) WithGroup(name string) slog.Handler {
	return ctxHandler{h.Handler.WithGroup(name)}
}

// validRequestID accepts an incoming X-Request-ID only when it is short and
// plain, since it goes into every log line of the request.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// requestIDs makes request IDs: a random prefix drawn once per process
// and a counter, unique across processes and restarts without a trip to
// the kernel's random source on every request. An ID names a request in
// the logs; it is no secret and no capability.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 6)
	rand.Read(b) // never fails: crypto/rand crashes the program rather than return an error
	return &requestIDs{prefix: hex.EncodeToString(b) + "-"}
}

func (g *requestIDs) next() string {
	return g.prefix + strconv.FormatUint(g.n.Add(1), 36)
}

// statusWriter records what a handler answered, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe wraps h with a request ID (X-Request-ID, taken from the request
// when sane, else new), one access log line per request and the request
// metrics. The line holds the method, the path without its query (a query
// may carry a ticket or a back URL with one), the status, the size and the
// duration: never a cookie, a header or a form value. Probes, scrapes and
// forward-auth questions are logged at debug level only. route names the
// request for the metrics.
func observe(h http.Handler, log *accessLog, m *metrics, route func(path string) string) http.Handler {
	ids := newRequestIDs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = ids.next()
		}
		w.Header()["X-Request-Id"] = []string{id} // canonical already

		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		sw := &statusWriter{ResponseWriter: w}
		m.inFlight.Inc()
		m.active.Add(1)
		defer func() {
			m.inFlight.Dec()
			m.active.Add(-1)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			rt := route(r.URL.Path)
			m.requests.WithLabelValues(rt, statusClass(sw.status)).Inc()
			// Proxies ask /auth about every request they serve and keep
			// their own access log: one line each here would double it.
			quiet := rt == "healthz" || rt == "readyz" || rt == "metrics" || rt == "auth"
			path := r.URL.Path
			if len(path) > 256 {
				path = path[:256] + "..."
			}
			log.write(ctx, quiet,
				slog.String("method", r.Method),
				slog.String("path", path),
				slog.Int("status", sw.status),
				slog.Int64("bytes", sw.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("remote", r.RemoteAddr),
			)
		}()
		h.ServeHTTP(sw, r.WithContext(ctx))
	})
}
