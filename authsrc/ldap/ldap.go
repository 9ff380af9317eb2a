// Package ldap checks passwords against an LDAP directory (OpenLDAP, 389ds,
// Active Directory...) by binding as the user.
//
// Two ways to find the user's entry: search then bind (a service account,
// or an anonymous connection, searches below BaseDN; exactly one entry must
// match; then the password is checked by binding as that entry) and direct
// bind (the entry's DN comes from a template). Groups come from a group
// search, from a memberOf-style attribute on the user entry, or both.
//
// The model is dex's LDAP connector: an empty password never reaches the
// server (to LDAP it is an anonymous bind that "succeeds"), every value from
// the user is escaped, result codes 49 and 19 from the user's bind mean bad
// credentials and everything else means the directory is unavailable.
package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/tkt-sso/tkt/authsrc"
)

// Source is an authsrc.Source and authsrc.Lookuper backed by an LDAP
// directory. It holds no connection between calls and is safe for
// concurrent use.
type Source struct {
	cfg        Config
	servers    []server
	tlsConfigs map[string]*tls.Config // by server URL
	tmpl       dnTemplate             // direct bind only
}

var (
	_ authsrc.Source   = (*Source)(nil)
	_ authsrc.Lookuper = (*Source)(nil)
)

// New checks cfg (see Config.Validate) and returns a Source. It does not
// connect: a directory that is down at start-up is reported per login, as
// unavailable, and picked up when it comes back.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	roots, err := loadCA(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, tlsConfigs: make(map[string]*tls.Config)}
	for _, raw := range cfg.URLs {
		srv, err := parseServerURL(raw)
		if err != nil {
			return nil, err
		}
		srv.pace = &bindPace{}
		s.servers = append(s.servers, srv)
		s.tlsConfigs[srv.url] = cfg.tlsConfigFor(srv, roots)
	}
	if cfg.directBind() {
		if s.tmpl, err = parseTemplate(cfg.UserDNTemplate); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Authenticate checks user's password by binding to the directory as the
// user, trying the servers in order until one answers.
func (s *Source) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	if err := authsrc.CheckInput(ctx, user, password); err != nil {
		return authsrc.Identity{}, err
	}
	return s.onServers(ctx, func(srv server) (authsrc.Identity, error) {
		return s.login(ctx, srv, user, password)
	})
}

// onServers runs op against each server in turn until one answers: with an
// identity, or that the password is wrong or the user unknown. A server
// that cannot be reached, or is busy, hands over to the next; one that
// fails otherwise ends the search, since a replica would fail alike.
func (s *Source) onServers(ctx context.Context, op func(server) (authsrc.Identity, error)) (authsrc.Identity, error) {
	var failures []error
	for _, srv := range s.servers {
		id, err := op(srv)
		switch {
		case err == nil, errors.Is(err, authsrc.ErrInvalidCredentials), errors.Is(err, authsrc.ErrNoSuchUser):
			return id, err
		case ctxDone(ctx) != nil:
			// The socket error says little; the context says why.
			return authsrc.Identity{}, authsrc.Unavailable("ldap "+srv.url, ctxDone(ctx))
		case !failover(err):
			return authsrc.Identity{}, authsrc.Unavailable("ldap "+srv.url, err)
		}
		if len(s.servers) > 1 {
			s.cfg.Logger.WarnContext(ctx, "ldap server failed", "url", srv.url, "err", err)
		}
		failures = append(failures, fmt.Errorf("%s: %w", srv.url, err))
	}
	if len(failures) == 1 {
		return authsrc.Identity{}, authsrc.Unavailable("ldap "+s.servers[0].url, errors.Unwrap(failures[0]))
	}
	return authsrc.Identity{}, authsrc.Unavailable("ldap servers", errors.Join(failures...))
}

// login runs one whole login against one server. An invalid answer leaves
// no sooner than a bind that checked a password would have (pace.go).
func (s *Source) login(ctx context.Context, srv server, user, password string) (authsrc.Identity, error) {
	start := time.Now()
	id, err := s.loginFrom(ctx, srv, start, user, password)
	if errors.Is(err, authsrc.ErrInvalidCredentials) {
		srv.pace.wait(ctx, start)
	}
	return id, err
}

func (s *Source) loginFrom(ctx context.Context, srv server, start time.Time, user, password string) (authsrc.Identity, error) {
	c, err := s.dial(ctx, srv)
	if err != nil {
		return authsrc.Identity{}, fmt.Errorf("connect: %w", err)
	}
	defer c.close()

	var entry *goldap.Entry
	if s.cfg.directBind() {
		dn := s.tmpl.dn(user)
		if err := userBind(c, dn, password, true); err != nil {
			return authsrc.Identity{}, err
		}
		// Only a success shows that the DN was an entry whose password
		// the directory checked: a refusal may be for a name it lacks.
		srv.pace.checked(time.Since(start))
		if entry, err = s.readOwnEntry(c, dn); err != nil {
			return authsrc.Identity{}, err
		}
	} else {
		if err := s.searchBind(c); err != nil {
			return authsrc.Identity{}, err
		}
		if entry, err = s.findUser(c, user); err != nil {
			return authsrc.Identity{}, err
		}
		err := userBind(c, entry.DN, password, false)
		if err == nil || errors.Is(err, authsrc.ErrInvalidCredentials) {
			srv.pace.checked(time.Since(start))
		}
		if err != nil {
			return authsrc.Identity{}, err
		}
	}
	return s.identity(ctx, c, entry, user)
}

// searchBind gives c the identity that searches: the service account, or
// anonymous.
func (s *Source) searchBind(c *conn) error {
	if s.cfg.BindDN == "" {
		return c.anonymous()
	}
	err := c.bind(s.cfg.BindDN, s.cfg.BindPassword)
	if isCode(err, goldap.LDAPResultInvalidCredentials) {
		// The service account's password is our configuration's fault,
		// and another replica would say the same.
		return final(fmt.Errorf("service account %q rejected (check BindDN and BindPassword): %w", s.cfg.BindDN, err))
	}
	if err != nil {
		return fmt.Errorf("bind as service account: %w", err)
	}
	return nil
}

// userBind checks password by binding as dn. fromInput says dn was built from
// what the user typed, so a DN the server finds malformed is the user's
// doing, not ours.
func userBind(c *conn, dn, password string, fromInput bool) error {
	if password == "" {
		// Belt and braces over CheckInput: an empty password is an
		// unauthenticated bind, which servers answer with success.
		return authsrc.ErrInvalidCredentials
	}
	return bindResult(c.bind(dn, password), fromInput)
}

// bindResult maps the outcome of a user's bind to what Authenticate returns.
func bindResult(err error, fromInput bool) error {
	switch {
	case err == nil:
		return nil
	case isCode(err, goldap.LDAPResultInvalidCredentials, goldap.LDAPResultConstraintViolation),
		fromInput && isCode(err, goldap.LDAPResultInvalidDNSyntax):
		// 19 is what password policies (locked, expired) may answer with.
		return authsrc.ErrInvalidCredentials
	}
	return fmt.Errorf("bind as user: %w", err)
}

// finalError marks an error that another server holding the same data would
// repeat: not worth failing over for.
type finalError struct{ err error }

func (e finalError) Error() string { return e.err.Error() }
func (e finalError) Unwrap() error { return e.err }

func final(err error) error { return finalError{err} }

// failover reports whether err is about reaching this server, so that the
// next one may do better: network and TLS errors, timeouts, and a server
// that says it is busy or unavailable. A result the server gave about our
// request (no such object, insufficient access, ...) would come back the
// same from a replica.
func failover(err error) bool {
	if errors.As(err, new(finalError)) {
		return false
	}
	var le *goldap.Error
	if errors.As(err, &le) {
		switch le.ResultCode {
		case goldap.LDAPResultBusy, goldap.LDAPResultUnavailable:
			return true
		}
		// Codes from 80 up are raised by the client library (network,
		// timeout, decoding), not answered by the server.
		return le.ResultCode >= goldap.LDAPResultOther+1
	}
	// Not an LDAP result at all: dial and TLS errors, and go-ldap's plain
	// "unable to read/send" errors when the connection breaks.
	return true
}

// ctxDone is ctx.Err(), except that it already reports the deadline in the
// instant after the socket deadline (set to the same time) fired and before
// the context's own timer has.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// isCode reports whether err is an LDAP result with one of codes.
func isCode(err error, codes ...uint16) bool { return goldap.IsErrorAnyOf(err, codes...) }

// sanitize keeps user-typed text from spilling control characters into logs.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
