package cache

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
)

// memStore is the Source behind the cache in these tests. It is a fake, and
// acceptable only here: the cache is what is under test, it must work in
// front of any Source, and the real stores pass the conformance suite against
// their real servers in their own packages. A fake also lets the tests count
// store calls and inject faults and delays.
type memStore struct {
	calls atomic.Int64

	mu    sync.Mutex
	users map[string]memUser
	err   error         // when set, every call fails with it
	gate  chan struct{} // when set, answers wait until it is closed
}

type memUser struct {
	password string
	groups   []string
	data     string
}

func newMemStore(users map[string]memUser) *memStore {
	return &memStore{users: users}
}

func (m *memStore) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	if err := authsrc.CheckInput(ctx, user, password); err != nil {
		return authsrc.Identity{}, err
	}
	return m.answer(ctx, user, func(u memUser, known bool) error {
		if !known {
			u.password = "\x00no such user" // same work as a wrong password
		}
		got, want := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(u.password))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
			return authsrc.ErrInvalidCredentials
		}
		return nil
	})
}

// Lookup answers as Authenticate does, without the password.
func (m *memStore) Lookup(ctx context.Context, user string) (authsrc.Identity, error) {
	if err := authsrc.CheckName(ctx, user); err != nil {
		return authsrc.Identity{}, err
	}
	return m.answer(ctx, user, func(_ memUser, known bool) error {
		if !known {
			return authsrc.ErrNoSuchUser
		}
		return nil
	})
}

// answer counts a call about user and answers it: user's identity, unless
// refuse says no or a fault is injected.
//
// The answer is decided now and delivered after the gate opens, like a
// reply in transit: tests use this to change the store meanwhile.
func (m *memStore) answer(ctx context.Context, user string, refuse func(memUser, bool) error) (authsrc.Identity, error) {
	m.calls.Add(1)
	m.mu.Lock()
	u, known := m.users[user]
	fault, gate := m.err, m.gate
	m.mu.Unlock()
	id, err := authsrc.Identity{User: user, Groups: slices.Clone(u.groups), Data: u.data}, refuse(u, known)
	if err != nil {
		id = authsrc.Identity{}
	}
	return deliver(ctx, id, err, fault, gate)
}

// deliver returns an answer decided earlier, or the fault injected, once
// gate (if any) opens.
func deliver(ctx context.Context, id authsrc.Identity, err, fault error, gate chan struct{}) (authsrc.Identity, error) {
	if fault != nil {
		id, err = authsrc.Identity{}, fault
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return authsrc.Identity{}, authsrc.Unavailable("mem", ctx.Err())
		}
	}
	return id, err
}

func (m *memStore) setPassword(user, password string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[user]
	u.password = password
	m.users[user] = u
}

// deleteUser removes user from the store.
func (m *memStore) deleteUser(user string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.users, user)
}

func (m *memStore) setErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// hold makes answers wait until the returned function is called.
func (m *memStore) hold() (release func()) {
	gate := make(chan struct{})
	m.mu.Lock()
	m.gate = gate
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			m.gate = nil
			m.mu.Unlock()
			close(gate)
		})
	}
}

var errDown = authsrc.Unavailable("mem", errors.New("connection refused"))

// clock is a fake clock for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// counts records what the hooks report.
type counts struct{ hits, negativeHits, misses, evictions atomic.Int64 }

func (n *counts) hooks() Hooks {
	return Hooks{
		OnHit:         func() { n.hits.Add(1) },
		OnNegativeHit: func() { n.negativeHits.Add(1) },
		OnMiss:        func() { n.misses.Add(1) },
		OnEvict:       func() { n.evictions.Add(1) },
	}
}

type hookCounts struct{ Hits, NegativeHits, Misses, Evictions int64 }

func (n *counts) snapshot() hookCounts {
	return hookCounts{n.hits.Load(), n.negativeHits.Load(), n.misses.Load(), n.evictions.Load()}
}

// Short local names for the shared outcome vocabulary.
type outcome = authsrctest.Outcome

const (
	accepted    = authsrctest.Accepted
	invalid     = authsrctest.Invalid
	unavailable = authsrctest.Unavailable
	noSuchUser  = authsrctest.NoSuchUser
)

func classify(err error) outcome { return authsrctest.Classify(err) }
