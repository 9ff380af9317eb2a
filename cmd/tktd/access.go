package main

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/tkt-sso/tkt/internal/config"
)

// accessLog writes the access lines, one per request, at the configured
// level (log.access) and at most log.access_rate a second. A flood of
// requests (an attack run wrote 713 MB of GET /login lines in five
// minutes) would otherwise fill the disk and drown tkt's own events, which
// go to the same logger unthrottled.
type accessLog struct {
	log     *slog.Logger
	level   slog.Level
	off     bool
	limit   *rate.Limiter // nil: no cap
	dropped atomic.Int64  // lines dropped since the last one written
	count   func()        // counts a dropped line; may be nil
}

func newAccessLog(log *slog.Logger, c config.Log, dropped func()) *accessLog {
	a := &accessLog{log: log, level: slog.LevelInfo, count: dropped}
	switch strings.ToLower(c.Access) {
	case "off":
		a.off = true
	case "debug":
		a.level = slog.LevelDebug
	}
	if c.AccessRate > 0 {
		a.limit = rate.NewLimiter(rate.Limit(c.AccessRate), c.AccessRate)
	}
	return a
}

// write logs one request's line. quiet lines (probes, scrapes, /auth) go
// at debug level whatever log.access says.
func (a *accessLog) write(ctx context.Context, quiet bool, attrs ...slog.Attr) {
	if a.off {
		return
	}
	level := a.level
	if quiet {
		level = slog.LevelDebug
	}
	if !a.log.Enabled(ctx, level) {
		return // before the cap: lines nobody writes cost no token
	}
	if a.limit != nil && !a.limit.AllowN(time.Now(), 1) {
		a.dropped.Add(1)
		if a.count != nil {
			a.count()
		}
		return
	}
	if n := a.dropped.Swap(0); n > 0 {
		attrs = append(attrs, slog.Int64("dropped_before", n))
	}
	a.log.LogAttrs(ctx, level, "request", attrs...)
}
