package web

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/ticket"
)

// Passwords checks a user's password the way the login form does: a user
// store behind the login throttle and the store timeout, failing closed.
// HTTP Basic at /auth and at the gate goes through one too, so a password
// is guessed no faster in a header than in the form.
type Passwords struct {
	source   authsrc.Source
	throttle *throttler // nil when throttling is off
	timeout  time.Duration
	metrics  Metrics
}

// PasswordConfig configure a stand-alone Passwords (the gate's); the
// portal's are Portal.Passwords. Source is required; the zero value of the
// rest works.
type PasswordConfig struct {
	Source       authsrc.Source
	Throttle     ThrottleConfig
	StoreTimeout time.Duration // default 10s
	Metrics      Metrics
}

// NewPasswords validates o and returns a Passwords with its own throttle.
func NewPasswords(o PasswordConfig) (*Passwords, error) {
	var errs []error
	if o.Source == nil {
		errs = append(errs, errors.New("no user store (Source) configured"))
	}
	if o.StoreTimeout < 0 {
		errs = append(errs, errors.New("store timeout must not be negative"))
	}
	errs = append(errs, o.Throttle.validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p := &Passwords{source: o.Source, timeout: o.StoreTimeout, metrics: o.Metrics}
	if !o.Throttle.Disabled {
		p.throttle = newThrottler(o.Throttle.withDefaults())
	}
	if p.timeout == 0 {
		p.timeout = defaultStoreTimeout
	}
	if p.metrics == nil {
		p.metrics = noMetrics{}
	}
	return p, nil
}

// Passwords returns a checker over source that shares the portal's
// throttle counters, store timeout and metrics, as they are now: HTTP
// Basic failures at /auth count against the same budget as the form's.
func (p *Portal) Passwords(source authsrc.Source) *Passwords {
	pw := *p.state.Load().passwords
	pw.source = source
	return &pw
}

// codeThrottleKey starts the throttle's name for a user's second-factor
// attempts: their own buckets and known networks, beside the password's,
// so that only a right code forgives wrong codes. Were they one, a right
// password (HTTP Basic's, which asks no code) would forgive the codes
// guessed on a network and make it known, sparing whoever holds the
// password the per-user bucket that caps guesses across networks. No user
// name holds a NUL (ticket.CheckUID), so none can share these buckets.
const codeThrottleKey = "\x00code\x00"

// ThrottledError is Check's answer while a user or client has too many
// recent failures; the store was not asked.
type ThrottledError struct {
	RetryAfter int // seconds, at least 1
}

func (e *ThrottledError) Error() string {
	return "too many failed attempts, retry in " + strconv.Itoa(e.RetryAfter) + "s"
}

// Check asks the store whether password is user's, from client. It
// answers nil, authsrc.ErrInvalidCredentials, a *ThrottledError, or an
// error matching authsrc.ErrUnavailable: any error that is neither
// sentinel is taken as the store's failure (fail closed), and such an
// attempt does not count against the user.
func (p *Passwords) Check(ctx context.Context, user, password string, client netip.Addr, now time.Time) (authsrc.Identity, error) {
	id, att, err := p.check(ctx, user, password, client, now)
	if err == nil {
		att.succeeded()
	}
	return id, err
}

// check is Check leaving a right password's attempt open: the caller ends
// it with succeeded, or, when a second factor is still to come, with
// release, so that a password alone neither forgives earlier failures nor
// makes the client's network known for the user (which would spare an
// attacker holding the password the per-user bucket while guessing codes).
func (p *Passwords) check(ctx context.Context, user, password string, client netip.Addr, now time.Time) (authsrc.Identity, *attempt, error) {
	if ticket.CheckUID(user) != nil {
		// No ticket could name this user ('!', a control character): no
		// store is asked, and no budget spent.
		return authsrc.Identity{}, nil, authsrc.ErrInvalidCredentials
	}
	att, err := p.begin(ctx, user, client, now)
	if err != nil {
		return authsrc.Identity{}, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	start := time.Now()
	id, err := p.source.Authenticate(ctx, user, password)
	cancel()
	p.metrics.StoreLatency(time.Since(start))
	switch {
	case err == nil:
		return id, att, nil
	case errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, authsrc.ErrInvalidCredentials):
		att.release()
		if !errors.Is(err, authsrc.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", authsrc.ErrUnavailable, err)
		}
		return authsrc.Identity{}, nil, err
	}
	return authsrc.Identity{}, nil, authsrc.ErrInvalidCredentials
}

// begin starts an attempt at user from client in the throttle, or answers
// a *ThrottledError. The attempt is nil when throttling is off (its
// methods take that).
func (p *Passwords) begin(ctx context.Context, user string, client netip.Addr, now time.Time) (*attempt, error) {
	if p.throttle == nil {
		return nil, nil
	}
	a, wait := p.throttle.begin(ctx, user, client, now)
	if a == nil {
		p.metrics.Throttled()
		return nil, &ThrottledError{RetryAfter: retryAfter(wait)}
	}
	return a, nil
}

// CheckCode runs verify, a second factor's check, as one attempt at user
// from client in the same throttle as passwords, with the same budgets
// but buckets of its own (codeThrottleKey): verify's errWrong (a wrong
// code) counts as a failed login, nil as a successful one (forgiving the
// password's failures too), and any other error (the factor store is
// down) as nothing. Throttled, verify is not run.
func (p *Passwords) CheckCode(ctx context.Context, user string, client netip.Addr, now time.Time, errWrong error, verify func(context.Context) error) error {
	att, err := p.begin(ctx, codeThrottleKey+user, client, now)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	err = verify(ctx)
	cancel()
	switch {
	case err == nil:
		att.succeeded()
		if p.throttle != nil {
			p.throttle.forgive(ctx, user, client, now) // the password's, now the login is whole
		}
	case !errors.Is(err, errWrong):
		att.release()
	}
	return err
}
