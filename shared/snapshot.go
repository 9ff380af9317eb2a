package shared

import (
	"sync"
	"sync/atomic"
)

// snapshot holds a feature's copy of shared state. A published copy is
// never changed: writers, one at a time, make a new one from the last and
// swap the pointer, so that readers (Check, on every request) load it
// without a lock or an allocation.
type snapshot[T any] struct {
	p  atomic.Pointer[T]
	mu sync.Mutex // serializes the writers
}

// Load returns the copy in force.
func (s *snapshot[T]) Load() *T { return s.p.Load() }

// update publishes the copy f makes of the one in force.
func (s *snapshot[T]) update(f func(*T) *T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.Store(f(s.p.Load()))
}
