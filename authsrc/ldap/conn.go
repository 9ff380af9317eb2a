package ldap

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// conn is one connection, used for one login and closed after it. go-ldap
// has no pool, and a pooled connection would change identity with every
// user bind; a TCP (and TLS) setup per login is cheap next to a password
// check.
//
// Every operation runs under a deadline on the socket, the sooner of the
// request's deadline and now+OpTimeout, and a cancelled request puts the
// deadline in the past, so a server that stops answering, or a client that
// goes away, never leaves a login hanging.
type conn struct {
	ldap      *goldap.Conn
	raw       net.Conn
	ctx       context.Context
	opTimeout time.Duration
	stop      func() bool // unregisters the cancellation hook

	mu        sync.Mutex // orders deadline changes against cancellation
	cancelled bool
}

// dial connects to srv (and upgrades with StartTLS when asked).
func (s *Source) dial(ctx context.Context, srv server) (*conn, error) {
	d := &net.Dialer{Timeout: s.cfg.ConnectTimeout}
	var raw net.Conn
	var err error
	if srv.tls {
		raw, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfigs[srv.url]}).DialContext(ctx, "tcp", srv.addr)
	} else {
		raw, err = d.DialContext(ctx, "tcp", srv.addr)
	}
	if err != nil {
		return nil, err
	}
	lc := goldap.NewConn(raw, srv.tls)
	lc.Start()
	lc.SetTimeout(s.cfg.OpTimeout)
	c := &conn{ldap: lc, raw: raw, ctx: ctx, opTimeout: s.cfg.OpTimeout}
	c.stop = context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.cancelled = true
		_ = raw.SetDeadline(time.Unix(1, 0)) // wakes any read or write at once
	})
	if s.cfg.StartTLS {
		if err := c.step(); err != nil {
			c.close()
			return nil, err
		}
		// go-ldap's StartTLS has no timeout of its own for the handshake:
		// the socket deadline set by step bounds it.
		if err := lc.StartTLS(s.tlsConfigs[srv.url]); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

// step gives the next operation its deadline, or says why there is none.
func (c *conn) step() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelled {
		return c.ctx.Err()
	}
	deadline := time.Now().Add(c.opTimeout)
	if d, ok := c.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return c.raw.SetDeadline(deadline)
}

func (c *conn) bind(dn, password string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.ldap.Bind(dn, password)
}

// anonymous drops back to the anonymous identity a fresh connection has.
func (c *conn) anonymous() error {
	if err := c.step(); err != nil {
		return err
	}
	return c.ldap.UnauthenticatedBind("")
}

func (c *conn) search(req *goldap.SearchRequest) (*goldap.SearchResult, error) {
	if err := c.step(); err != nil {
		return nil, err
	}
	return c.ldap.Search(req)
}

func (c *conn) close() {
	c.stop()
	_ = c.ldap.Close()
}
