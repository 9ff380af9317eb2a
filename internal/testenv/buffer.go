package testenv

import (
	"bytes"
	"sync"
)

// SyncBuffer is a bytes.Buffer that writers and a reader may use at once:
// the sink of a logger or of a child process's output that the test reads
// while they still write. Its zero value is empty and ready.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
