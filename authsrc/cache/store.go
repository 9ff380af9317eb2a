package cache

import (
	"context"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/tkt-sso/tkt/authsrc"
)

// entry is what the cache remembers about one user: the keyed hash of the
// password the backend accepted (or, in the negative store, rejected), the
// identity it returned and when the memory stops counting.
type entry struct {
	sum     digest
	id      authsrc.Identity
	expires time.Time
}

// store holds entries by key: this process's memory (lruStore), or a
// Shared one, so that several tktd instances share one cache
// (sharedStore): the cache never relies on a store for correctness, only
// for speed, so a store that cannot answer reports a miss and the request
// goes to the user store. Expiry is checked by the cache on every read; a
// store may also drop expired entries itself.
type store interface {
	get(ctx context.Context, key string) (entry, bool)
	put(ctx context.Context, key string, e entry)
	remove(ctx context.Context, key string)
	purge(ctx context.Context)
}

// lruStore is the in-memory store: a size-bounded LRU, so a flood of
// distinct user names costs a fixed amount of memory.
type lruStore struct {
	l       *lru.Cache[string, entry]
	onEvict func()
}

func newLRUStore(size int, onEvict func()) *lruStore {
	l, err := lru.New[string, entry](size)
	if err != nil { // only for size <= 0, which New never passes
		panic(err)
	}
	return &lruStore{l: l, onEvict: onEvict}
}

func (s *lruStore) get(_ context.Context, key string) (entry, bool) { return s.l.Get(key) }

func (s *lruStore) put(_ context.Context, key string, e entry) {
	if s.l.Add(key, e) && s.onEvict != nil {
		s.onEvict()
	}
}

func (s *lruStore) remove(_ context.Context, key string) { s.l.Remove(key) }
func (s *lruStore) purge(context.Context)                { s.l.Purge() }
