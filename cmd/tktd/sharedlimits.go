package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/web"
)

// throttleStore is where the login throttle counts: Redis, with a redis
// section, so that every instance counts the same failures; nil (each
// instance's memory) without. A typed nil would not be a nil interface.
func (a *app) throttleStore() web.ThrottleStore {
	if a.throttle == nil {
		return nil
	}
	return a.throttle
}

// cacheShared is where the credential caches keep their entries: Redis,
// with a redis section; nil (each instance's memory) without.
func (a *app) cacheShared() cache.Shared {
	if a.credentials == nil {
		return nil
	}
	return a.credentials
}

// macKey is the credential caches' MAC key when they share their entries:
// derived from the ticket secret, which every instance has (never the
// secret itself), so that an entry one instance wrote matches at every
// other. nil without Redis: each process then draws its own, which no
// other process could use.
func (a *app) macKey(tc ticket.Config) []byte {
	if a.credentials == nil {
		return nil
	}
	return cache.DeriveKey(tc.Secret)
}

// buildConfig is what config.BuildSource needs from tktd: the logger, the
// cache metrics and, with Redis, where the caches keep their entries.
func (a *app) buildConfig(tc ticket.Config) config.BuildConfig {
	return config.BuildConfig{
		Logger:      a.log.With("component", "store"),
		CacheHooks:  a.metrics.cacheHooks,
		CacheShared: a.cacheShared(),
		CacheMACKey: a.macKey(tc),
	}
}

// followFallbacks exports how often the login throttle and the credential
// caches did without Redis: calls it did not answer in time, or that were
// not sent while it was away (then the throttle counted in this
// instance's memory, and the cache asked the user store).
func (m *metrics) followFallbacks(t *shared.Throttle, c *shared.CredentialCache) {
	help := "Calls to Redis of the login throttle (what=throttle: counted in this instance's memory instead) and of the credential caches (what=cache: a miss) that Redis did not answer, or that were not sent while it was away."
	for what, n := range map[string]func() uint64{"throttle": t.Fallbacks, "cache": c.Fallbacks} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tkt_shared_fallbacks_total", Help: help, ConstLabels: prometheus.Labels{"what": what},
		}, func() float64 { return float64(n()) }))
	}
}
