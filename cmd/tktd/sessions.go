package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
	"github.com/tkt-sso/tkt/web"
)

// openSessions follows the ended sessions when sessions are on (the
// configuration checked that Redis is there), within wait: a Redis that
// is away leaves them refusing (on_outage closed, their default) until it
// answers.
func (a *app) openSessions(wait context.Context) error {
	if !a.cfg.Sessions.Enabled || a.shared == nil {
		return nil
	}
	s, err := a.shared.Sessions(wait)
	if err != nil {
		return err
	}
	a.sessions = s
	a.metrics.followSessions(s)
	return nil
}

// sessionStore is what the portal and HTTP Basic record sessions in: nil
// (none) with sessions off. A typed nil would not be a nil interface.
func (a *app) sessionStore() web.Sessions {
	if a.sessions == nil {
		return nil
	}
	return a.sessions
}

// sessionCheck is /auth's and the gate's session check: nil with sessions
// off.
func (a *app) sessionCheck() tkthttp.Sessions {
	if a.sessions == nil {
		return nil
	}
	return a.sessions
}

// followSessions exports how many ended sessions this instance refuses
// and whether its copy of them is stale (older than redis.stale_after).
func (m *metrics) followSessions(s *shared.Sessions) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tkt_sessions_ended", Help: "Ended sessions in this instance's copy: those whose tickets could still be valid, and are refused."},
			func() float64 { return float64(s.Status().Ended) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tkt_sessions_copy_stale", Help: "Whether the copy of the ended sessions is older than redis.stale_after (1) or not (0)."},
			func() float64 { return oneIf(s.Status().Stale) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tkt_sessions_refusing", Help: "Whether tickets with a session are answered 503 for want of a current copy (redis.on_outage closed) (1) or not (0)."},
			func() float64 { return oneIf(s.Status().Refusing) }),
	)
}
