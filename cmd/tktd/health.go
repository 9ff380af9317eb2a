package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tkt-sso/tkt/internal/config"
)

// healthz says the process is up and serving: liveness, nothing more. A
// store being down is no reason to restart tktd.
func healthz(w http.ResponseWriter, _ *http.Request) {
	plain(w)
	io.WriteString(w, "ok\n")
}

// readyz says whether logins can work: every user store answers. The body
// names the stores that don't (configured labels without credentials); the
// full reason, which may name internal hosts, goes to the log only.
func readyz(check func(context.Context) error, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain(w)
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		err := check(ctx)
		if err == nil {
			io.WriteString(w, "ready\n")
			return
		}
		log.WarnContext(r.Context(), "not ready", "err", err)
		var names []string
		for _, e := range config.Problems(err) {
			var se *config.StoreError
			if errors.As(e, &se) {
				names = append(names, se.Store)
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: user store unreachable: "+strings.Join(names, ", ")+"\n")
	})
}

func plain(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}
