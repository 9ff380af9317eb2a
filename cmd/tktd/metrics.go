package main

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tkt-sso/tkt/authsrc/cache"
)

// loginResults are the values web.Metrics.Login reports. Anything else is
// counted as "other", so a change in the portal can't grow the label set.
func loginResults() []string {
	return []string{"ok", "invalid", "unavailable", "throttled", "csrf", "bad_request"}
}

// metrics implements web.Metrics with Prometheus collectors in a registry
// of its own (no global registry: tests build as many as they like). Every
// label has a bounded set of values: results, configured store names, route
// names and status classes; never user names, IPs or paths.
type metrics struct {
	reg           *prometheus.Registry
	logins        *prometheus.CounterVec
	tickets       prometheus.Counter
	throttled     prometheus.Counter
	storeLatency  prometheus.Histogram
	cache         *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	requests      *prometheus.CounterVec
	inFlight      prometheus.Gauge
	shed          *prometheus.CounterVec
	accessDropped prometheus.Counter
	// active mirrors inFlight for the shutdown log line.
	active atomic.Int64
}

func newMetrics(version string) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tkt_logins_total",
			Help: "Login attempts at the portal by result (ok, invalid, unavailable, throttled, csrf, bad_request).",
		}, []string{"result"}),
		tickets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tkt_tickets_issued_total",
			Help: "Tickets minted: logins, guest logins and refreshes.",
		}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tkt_login_throttled_total",
			Help: "Login attempts refused because of too many failures for the user or the client address.",
		}),
		storeLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tkt_store_latency_seconds",
			Help:    "Time the user stores took to check a password.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tkt_credential_cache_events_total",
			Help: "Credential cache events by store and event (hit, negative_hit, miss, evict).",
		}, []string{"store", "event"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tkt_reloads_total",
			Help: "Reloads of secrets, htpasswd files, templates and certificates by result (ok, error).",
		}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tkt_http_requests_total",
			Help: "HTTP requests by route and status class.",
		}, []string{"route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tkt_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tkt_connections_shed_total",
			Help: "Client connections closed at the max_connections bound, by reason: idle (the one idle the longest made room) or busy (every connection had a request in progress).",
		}, []string{"reason"}),
	}
	m.accessDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tkt_access_log_dropped_total",
		Help: "Access log lines not written because of log.access_rate.",
	})
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "tkt_build_info",
		Help:        "tktd's version, as a label; the value is 1.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	m.reg.MustRegister(m.logins, m.tickets, m.throttled, m.storeLatency, m.cache, m.reloads, m.requests, m.inFlight, m.shed, m.accessDropped, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known series start at 0, so a rate() works from the first scrape.
	for _, r := range loginResults() {
		m.logins.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error"} {
		m.reloads.WithLabelValues(r)
	}
	for _, r := range []string{shedIdle, shedBusy} {
		m.shed.WithLabelValues(r)
	}
	return m
}

// Login implements web.Metrics.
func (m *metrics) Login(result string) {
	if !slices.Contains(loginResults(), result) {
		result = "other"
	}
	m.logins.WithLabelValues(result).Inc()
}

// connectionShed counts a connection closed at the bound.
func (m *metrics) connectionShed(reason string) { m.shed.WithLabelValues(reason).Inc() }

// TicketIssued implements web.Metrics.
func (m *metrics) TicketIssued() { m.tickets.Inc() }

// Throttled implements web.Metrics.
func (m *metrics) Throttled() { m.throttled.Inc() }

// StoreLatency implements web.Metrics.
func (m *metrics) StoreLatency(d time.Duration) { m.storeLatency.Observe(d.Seconds()) }

// cacheHooks counts the credential cache events of one store.
func (m *metrics) cacheHooks(store string) cache.Hooks {
	c := func(event string) func() {
		ctr := m.cache.WithLabelValues(store, event)
		return ctr.Inc
	}
	return cache.Hooks{OnHit: c("hit"), OnNegativeHit: c("negative_hit"), OnMiss: c("miss"), OnEvict: c("evict")}
}

func (m *metrics) reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
	} else {
		m.reloads.WithLabelValues("error").Inc()
	}
}

// handler serves /metrics.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// route names a request for the requests counter: a fixed set, never the
// path itself.
func route(path string) string {
	switch {
	case path == "/login", path == "/logout", path == "/healthz", path == "/readyz", path == "/metrics":
		return path[1:]
	case path == "/":
		return "home"
	case path == "/auth" || strings.HasPrefix(path, "/auth/"):
		return "auth"
	case strings.HasPrefix(path, "/static/"):
		return "static"
	}
	return "other"
}

// gateRoute names a request to the gate: its probe, or the application.
func gateRoute(path string) string {
	if path == gateHealthPath {
		return "healthz"
	}
	return "gate"
}

// statusClass is "2xx", "3xx", ...
func statusClass(code int) string {
	// Constants, so that counting a request allocates nothing.
	switch code / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return "other"
}
