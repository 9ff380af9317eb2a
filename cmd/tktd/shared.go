package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tkt-sso/tkt/internal/config"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// firstCopyTimeout bounds the wait for the revocation marks at start: a
// Redis that is away must not keep tktd from serving (the outage rules of
// shared decide what its checks answer meanwhile).
const firstCopyTimeout = 5 * time.Second

// openShared connects to the configured Redis and follows its revocation
// marks, and the ended sessions when sessions are on; all nil without a
// redis section. Only a configuration it cannot
// use fails: a Redis that does not answer yet is an outage, which tktd
// rides out (docs/deployment.md).
func (a *app) openShared(ctx context.Context) error {
	sc, err := a.cfg.Shared(a.log.With("component", "redis"))
	if errors.Is(err, config.ErrNoRedis) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.shared, err = shared.Open(ctx, sc); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, firstCopyTimeout)
	defer cancel()
	a.revocations = a.shared.Revocations(wait)
	a.throttle, a.credentials = a.shared.Throttle(), a.shared.CredentialCache()
	a.metrics.followShared(a.shared, a.revocations)
	if err := a.openSessions(wait); err != nil {
		return err
	}
	a.metrics.followFallbacks(a.throttle, a.credentials)
	if st := a.shared.Status(); !st.Up {
		a.log.Warn("redis does not answer yet: serving meanwhile by the outage rules", "redis", a.shared.String(), "err", st.Err)
	}
	return nil
}

// revocation is the portal's, /auth's and the gate's revocation check: nil
// (none) without Redis. A typed nil would not be a nil interface.
func (a *app) revocation() tkthttp.Revocation {
	if a.revocations == nil {
		return nil
	}
	return a.revocations
}

// revoke records "sign out everywhere" for the portal; nil without Redis.
func (a *app) revoke() func(ctx context.Context, user string, at time.Time) error {
	if a.revocations == nil {
		return nil
	}
	return func(ctx context.Context, user string, at time.Time) error {
		_, err := a.revocations.Revoke(ctx, user, at)
		return err
	}
}

// readiness is what /readyz asks besides the stores: Redis, when there is
// one.
func (a *app) sharedCheck() func(context.Context) error {
	if a.shared == nil {
		return nil
	}
	return a.shared.Check
}

// followShared exports the shared state's health: whether Redis answers,
// how many revocation marks this instance knows, and whether its copy is
// stale (older than redis.stale_after).
func (m *metrics) followShared(c *shared.Client, r *shared.Revocations) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tkt_redis_up", Help: "Whether Redis answered this instance's last call (1) or not (0)."},
			func() float64 { return oneIf(c.Status().Up) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tkt_redis_outages_total", Help: "Times Redis stopped answering this instance."},
			func() float64 { return float64(c.Status().Outages) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tkt_revocation_marks", Help: "Revocation marks in this instance's copy."},
			func() float64 { return float64(r.Status().Marks) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tkt_revocation_copy_stale", Help: "Whether the copy of the revocation marks is older than redis.stale_after (1) or not (0)."},
			func() float64 { return oneIf(r.Status().Stale) }),
	)
}

// oneIf is a yes-or-no as a gauge's value: 1 or 0.
func oneIf(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
