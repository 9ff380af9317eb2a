package shared

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// CredentialCache keeps the credential cache's entries (authsrc/cache) on
// Redis, so that a password one instance checked against a slow store
// (LDAP, SQL with bcrypt) is a hit at every other. It implements
// cache.Shared. The entries are the cache's own encoding: the keyed hash
// of the password the store accepted (never the password), the identity
// and the expiry.
//
// An entry is one string key, named by a hash of its space and key, with
// the entry's expiry as the key's. The number of entries is bounded per
// space: Set counts the entries it writes in a window as long as their
// TTL (a counter key that expires after two windows) and writes none past
// max, so that at most 2 x max live at once, however many instances
// write; a spray of made-up entries then stops being cached, and pushes
// out none of those already there.
//
// Every call is bounded by Config.RequestTimeout and skipped while Redis
// is known to be away (ErrUnreachable): the cache takes it for a miss.
type CredentialCache struct {
	feature
	prefix string
}

// CredentialCache returns the credential cache's store on c.
func (c *Client) CredentialCache() *CredentialCache {
	return &CredentialCache{feature: feature{c: c, name: "credential cache"}, prefix: c.cfg.KeyPrefix + "cache:"}
}

// Get returns the entry key of space, or nil without an error when there
// is none.
func (s *CredentialCache) Get(ctx context.Context, space, key string) ([]byte, error) {
	var b []byte
	err := s.request(ctx, func(ctx context.Context) error {
		var err error
		b, err = s.c.rdb.Get(ctx, s.entry(space, key)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Set keeps value as the entry key of space for ttl, unless limit entries
// of space were written in the current window already: then it reports
// false.
func (s *CredentialCache) Set(ctx context.Context, space, key string, value []byte, ttl time.Duration, limit int) (bool, error) {
	window := max(time.Second, ttl.Round(time.Second))
	n := s.c.cfg.Now().Unix() / int64(window/time.Second)
	quota := s.prefix + "q:" + hashKey(space) + ":" + strconv.FormatInt(n, 10)
	kept := false
	err := s.request(ctx, func(ctx context.Context) error {
		var count *redis.IntCmd
		_, err := s.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			count = p.Incr(ctx, quota)
			p.ExpireNX(ctx, quota, 2*window)
			return nil
		})
		if err != nil || count.Val() > int64(limit) {
			return err
		}
		kept = true
		return s.c.rdb.Set(ctx, s.entry(space, key), value, ttl).Err()
	})
	return kept && err == nil, err
}

// Delete forgets the entry key of space.
func (s *CredentialCache) Delete(ctx context.Context, space, key string) error {
	return s.request(ctx, func(ctx context.Context) error { return s.c.rdb.Del(ctx, s.entry(space, key)).Err() })
}

// entry is the key of an entry: the space (what is remembered, for which
// store) and key (store and user name) hashed together, so that no user
// name reaches another key and no key shows one.
func (s *CredentialCache) entry(space, key string) string { return s.prefix + hashKey(space, key) }
