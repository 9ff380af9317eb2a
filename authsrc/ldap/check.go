package ldap

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/tkt-sso/tkt/authsrc"
)

// Check tells whether a login could succeed now, for a readiness probe.
// The servers are tried in order, as logins try them, each with an
// operation a login starts with: a bind as the service account or, when
// there is none, a read of the root DSE. An open port is not enough: a
// hung server (stopped, swapping, its database locked) accepts
// connections and answers nothing, and every login then waits out its
// timeout and fails. Each server gets an equal share of the time ctx has
// left (and OpTimeout at most per operation), so that a hung first server
// still leaves time to find the second answering.
//
// It costs the directory one bind (or one base search) and a connection
// per call; tktd runs it at most once a second however often /readyz is
// asked. A failure matches authsrc.ErrUnavailable.
func (s *Source) Check(ctx context.Context) error {
	var failures []error
	for i, srv := range s.servers {
		sctx, cancel := share(ctx, len(s.servers)-i)
		err := s.probe(sctx, srv)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctxDone(ctx) != nil:
			failures = append(failures, fmt.Errorf("%s: %w", srv.url, ctxDone(ctx)))
			return authsrc.Unavailable("ldap", errors.Join(failures...))
		case !failover(err):
			return authsrc.Unavailable("ldap "+srv.url, err)
		}
		failures = append(failures, fmt.Errorf("%s: %w", srv.url, err))
	}
	return authsrc.Unavailable("ldap", errors.Join(failures...))
}

// share bounds ctx to a 1/n share of its remaining time, if it has a
// deadline.
func share(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok || n <= 1 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Until(d)/time.Duration(n))
}

// probe connects to srv and makes it answer what a login would ask first.
func (s *Source) probe(ctx context.Context, srv server) error {
	c, err := s.dial(ctx, srv)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.close()
	if s.cfg.BindDN != "" {
		return s.searchBind(c)
	}
	limit := int(math.Ceil(s.cfg.OpTimeout.Seconds()))
	req := goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, limit, false,
		"(objectClass=*)", []string{"supportedLDAPVersion"}, nil)
	// Any result from the server (a root DSE hidden from anonymous
	// readers, say) shows it serves as well as data would.
	if _, err := c.search(req); err != nil && failover(err) {
		return fmt.Errorf("read the root DSE: %w", err)
	}
	return nil
}
