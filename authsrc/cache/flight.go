package cache

import (
	"context"
	"encoding/binary"
	"errors"

	"golang.org/x/sync/singleflight"

	"github.com/tkt-sso/tkt/authsrc"
)

// fetch asks the store, sharing one call among every request for the same
// user and password that arrives while it is under way (a burst of logins
// after a restart, a client retrying): the store sees one question, not N.
func (c *Cache) fetch(ctx context.Context, key string, sum digest, user, password string) (authsrc.Identity, error) {
	gen := c.gen.Load()
	// The digest already binds the context, the user and the password, so
	// two requests share a call only if all three are the same: a wrong
	// password never rides on a right one's call. The generation keeps
	// requests after an Invalidate off a call that began before it.
	fkey := string(binary.BigEndian.AppendUint64(sum[:], gen))
	return c.share(ctx, &c.flights, fkey, func() (any, error) {
		// A call for the same key that ended between this request's read
		// of the cache and now has cached its answer before it ended:
		// take it rather than ask the store again.
		if id, ok, err := c.cached(ctx, key, sum); ok {
			return id, err
		}
		return c.ask(ctx, gen, key, sum, user, password)
	})
}

// share makes fn the one store call in g for every request with the same
// fkey while it is under way, and waits for its answer, or until ctx ends.
func (c *Cache) share(ctx context.Context, g *singleflight.Group, fkey string, fn func() (any, error)) (authsrc.Identity, error) {
	ch := g.DoChan(fkey, fn)
	if c.joined != nil {
		c.joined()
	}
	select {
	case r := <-ch:
		return result(r.Val, r.Err)
	case <-ctx.Done():
		select {
		case r := <-ch: // the answer came in as the caller gave up: use it
			return result(r.Val, r.Err)
		default:
		}
		return authsrc.Identity{}, authsrc.Unavailable("request", ctx.Err())
	}
}

// ask makes the one store call for a flight and remembers the answer.
//
// The call runs on a context detached from the cancellation of the request
// that happened to start it (keeping its values, e.g. for tracing), bounded
// by BackendTimeout instead: otherwise a user closing the browser tab would
// fail every other request sharing the call with "context canceled", though
// their own contexts were fine. Each request still stops waiting when its own
// context ends (see share); the call's answer is then still cached.
func (c *Cache) ask(ctx context.Context, gen uint64, key string, sum digest, user, password string) (any, error) {
	bctx, cancel := c.backendContext(ctx)
	defer cancel()
	id, err := c.next.Authenticate(bctx, user, password)
	switch {
	case err == nil:
		id = cloneIdentity(id) // the store may reuse its slice
		c.remember(bctx, c.pos, gen, key, entry{sum: sum, id: id, expires: c.cfg.Now().Add(c.cfg.TTL)})
		return id, nil
	case errors.Is(err, authsrc.ErrUnavailable):
		// Checked first so that an error matching both sentinels is never
		// cached as a rejection: the store did not really answer.
		return nil, err
	case errors.Is(err, authsrc.ErrInvalidCredentials):
		if c.neg != nil {
			c.remember(bctx, c.neg, gen, key, entry{sum: sum, expires: c.cfg.Now().Add(c.cfg.NegativeTTL)})
		}
		return nil, err
	default:
		// A store that breaks the Source contract still fails closed.
		return nil, authsrc.Unavailable("cache "+c.cfg.Context, err)
	}
}

// backendContext is the context of a shared store call: ctx's values,
// without its cancellation, bounded by BackendTimeout.
func (c *Cache) backendContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.cfg.BackendTimeout)
}

// remember writes e unless an Invalidate or Purge came since the call began:
// its answer may predate a password change.
func (c *Cache) remember(ctx context.Context, s store, gen uint64, key string, e entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() == gen {
		s.put(ctx, key, e)
	}
}

func result(v any, err error) (authsrc.Identity, error) {
	if err != nil {
		return authsrc.Identity{}, err
	}
	// Every waiter gets its own copy of the groups.
	return cloneIdentity(v.(authsrc.Identity)), nil
}
