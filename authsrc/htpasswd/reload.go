package htpasswd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// maxFile bounds what is read of either file: far above any real htpasswd
// file (a million bcrypt users is 70 MB), low enough that a wrong path
// (a disk image, /dev/zero) can't exhaust memory.
const maxFile = 256 << 20

// errUnsettled means a file changed too recently, or while it was being
// read, to trust its content yet.
var errUnsettled = errors.New("file is being written")

// Reload re-reads the files now and swaps in the new table. On error the
// previous table stays in use, the reason is logged, and returned.
func (s *Store) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	// An explicit reload waits for a file that is being written rather
	// than give up: a few settle periods cover any real writer.
	for range 5 {
		if err = s.loadLocked(); !errors.Is(err, errUnsettled) {
			return err
		}
		time.Sleep(s.settle)
	}
	return err
}

// maybeReload re-reads the files if they changed, at most once per
// interval. One caller does the check; the others go on with the current
// table rather than wait.
func (s *Store) maybeReload() {
	if s.interval < 0 && s.table.Load() != nil {
		return
	}
	now := time.Now().UnixNano()
	next := s.nextCheck.Load()
	if now < next || !s.nextCheck.CompareAndSwap(next, now+int64(max(s.interval, 0))) {
		return
	}
	if !s.mu.TryLock() {
		return // a Reload is under way
	}
	defer s.mu.Unlock()
	cur := statFiles(s.path, s.group)
	if t := s.table.Load(); t != nil && cur == t.at {
		return
	}
	if s.failed && cur == s.failedAt {
		return // already tried and logged; wait for another change
	}
	if err := s.loadLocked(); errors.Is(err, errUnsettled) {
		s.nextCheck.Store(0) // look again at the next request
	}
}

// loadLocked reads and parses both files and swaps in the result. s.mu is
// held.
func (s *Store) loadLocked() error {
	t, err := s.read()
	if err == nil {
		s.track(t)
		s.table.Store(t)
		s.lastErr.Store(nil)
		s.failed = false
		s.rehashOff.Store(false)
		s.log.Info("htpasswd: loaded", "store", s.name, "users", len(t.users), "groups", s.group != "")
		return nil
	}
	if errors.Is(err, errUnsettled) {
		return err
	}
	s.lastErr.Store(&err)
	s.failed, s.failedAt = true, statFiles(s.path, s.group)
	if s.table.Load() != nil {
		s.log.Error("htpasswd: reload failed, keeping the last good file", "store", s.name, "err", err)
	} else {
		s.log.Error("htpasswd: load failed, store unavailable", "store", s.name, "err", err)
	}
	return err
}

func (s *Store) read() (*table, error) {
	data, pwAt, err := readSettled(s.path, s.settleFor(s.path))
	if err != nil {
		return nil, err
	}
	warn := func(msg string) { s.log.Warn("htpasswd: "+msg, "store", s.name) }
	users, err := parseUsers(data, s.path, s.verifier, warn)
	if err != nil {
		return nil, err
	}
	t := &table{users: users, at: stamps{pw: pwAt}}
	if s.group != "" {
		gdata, gAt, err := readSettled(s.group, s.settle)
		if err != nil {
			return nil, err
		}
		if t.groups, err = parseGroups(gdata, s.group); err != nil {
			return nil, err
		}
		t.at.group = gAt
	}
	return t, nil
}

// readSettled reads path whole, and the stamp of what it read, taken from
// the open file so that a rename between stat and open can't mismatch them.
func readSettled(path string, settle time.Duration) ([]byte, stamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, stamp{}, fmt.Errorf("htpasswd: %w", err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, stamp{}, fmt.Errorf("htpasswd: %w", err)
	}
	if !before.Mode().IsRegular() {
		return nil, stamp{}, fmt.Errorf("htpasswd: %s is not a regular file", path)
	}
	if time.Since(before.ModTime()) < settle {
		return nil, stamp{}, errUnsettled
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, stamp{}, fmt.Errorf("htpasswd: reading %s: %w", path, err)
	}
	if len(data) > maxFile {
		return nil, stamp{}, fmt.Errorf("htpasswd: %s is larger than %d bytes", path, maxFile)
	}
	after, err := f.Stat()
	if err != nil {
		return nil, stamp{}, fmt.Errorf("htpasswd: %w", err)
	}
	if stampOf(after) != stampOf(before) {
		return nil, stamp{}, errUnsettled
	}
	return data, stampOf(before), nil
}
