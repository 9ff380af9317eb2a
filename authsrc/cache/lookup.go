package cache

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/tkt-sso/tkt/authsrc"
)

var _ authsrc.Lookuper = (*Cache)(nil)

// Lookup says who user is, from the cache when the store behind said so
// within TTL (or that there is no such user, within LookupNegativeTTL),
// and from the store otherwise. An answer is never served older than
// that: a deleted user's ticket is re-issued for at most TTL after the
// deletion (Invalidate makes it at once). "Unavailable" is never
// remembered. Lookups share no entries with password checks.
//
// A store behind that is not an authsrc.Lookuper cannot say: every lookup
// then fails closed, unavailable with authsrc.ErrLookupUnsupported.
func (c *Cache) Lookup(ctx context.Context, user string) (authsrc.Identity, error) {
	if err := authsrc.CheckName(ctx, user); err != nil {
		return authsrc.Identity{}, err
	}
	key := c.prefix + user
	now := c.cfg.Now()
	if e, ok := c.found.get(ctx, key); ok && now.Before(e.expires) {
		return cloneIdentity(e.id), nil
	}
	if c.gone != nil {
		if e, ok := c.gone.get(ctx, key); ok && now.Before(e.expires) {
			return authsrc.Identity{}, authsrc.ErrNoSuchUser
		}
	}
	// One call per user (and generation, as for passwords) at a time: a
	// page's burst of requests with one ticket due for refresh asks once.
	gen := c.gen.Load()
	fkey := string(binary.BigEndian.AppendUint64([]byte(key), gen))
	return c.share(ctx, &c.lookups, fkey, func() (any, error) {
		return c.lookup(ctx, gen, key, user)
	})
}

// lookup makes the one store call for a flight of lookups and remembers
// the answer, as ask does for passwords.
func (c *Cache) lookup(ctx context.Context, gen uint64, key, user string) (any, error) {
	l, ok := c.next.(authsrc.Lookuper)
	if !ok {
		return nil, authsrc.Unavailable("cache "+c.cfg.Context, authsrc.ErrLookupUnsupported)
	}
	bctx, cancel := c.backendContext(ctx)
	defer cancel()
	id, err := l.Lookup(bctx, user)
	switch {
	case err == nil:
		id = cloneIdentity(id)
		c.remember(bctx, c.found, gen, key, entry{id: id, expires: c.cfg.Now().Add(c.cfg.TTL)})
		return id, nil
	case errors.Is(err, authsrc.ErrUnavailable):
		// Checked first: an error matching both sentinels is no answer.
		return nil, err
	case errors.Is(err, authsrc.ErrNoSuchUser):
		if c.gone != nil {
			c.remember(bctx, c.gone, gen, key, entry{expires: c.cfg.Now().Add(c.cfg.LookupNegativeTTL)})
		}
		return nil, err
	default:
		return nil, authsrc.Unavailable("cache "+c.cfg.Context, err)
	}
}
