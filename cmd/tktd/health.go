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
// names the stores that don't (configured labels without credentials), and
// those that answer from memory only (an htpasswd file gone since its last
// good load: ready, but a restart would not start); the full reason, which
// may name internal hosts, goes to the log only. redis, when set, checks
// the Redis the instances share: revocations, sessions and throttles live
// there, so without it this instance is not what the others are.
func readyz(stores *config.Stores, redis func(context.Context) error, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain(w)
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		err := stores.Check(ctx)
		var rerr error
		if redis != nil {
			rerr = redis(ctx)
		}
		if err == nil && rerr == nil {
			if names := storeNames(stores.Degraded()); len(names) > 0 {
				io.WriteString(w, "ready; serving from memory, their files unreadable: "+strings.Join(names, ", ")+"\n")
				return
			}
			io.WriteString(w, "ready\n")
			return
		}
		log.WarnContext(r.Context(), "not ready", "err", errors.Join(err, rerr))
		var why []string
		if err != nil {
			why = append(why, "user store unreachable: "+strings.Join(storeNames(err), ", "))
		}
		if rerr != nil {
			why = append(why, "redis unreachable")
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: "+strings.Join(why, "; ")+"\n")
	})
}

// storeNames lists the stores an error of Stores.Check or Degraded names.
func storeNames(err error) []string {
	var names []string
	for _, e := range config.Problems(err) {
		var se *config.StoreError
		if errors.As(e, &se) {
			names = append(names, se.Store)
		}
	}
	return names
}

func plain(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}
