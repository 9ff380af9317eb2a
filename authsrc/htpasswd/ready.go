package htpasswd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/tkt-sso/tkt/authsrc"
)

// What "the file is gone" means, once, for logins and readiness alike: the
// store answers from the last good load, so it is ready, and says that it
// serves from memory (Stale). Logins keep working through a deploy that
// replaces the file, an editor's rename, a mount that blips; the operator
// hears of it from Stale (tktd's readiness check logs it, and
// config.Stores.Degraded lists the store) and from the error logged when a
// reload fails, and must restore the file before the next restart, which
// would not start without it. Only a store
// that never loaded a file (Lazy) is not ready, as its logins are
// unavailable.

// Check tells, for a readiness probe, whether a login would be answered:
// yes once a table is loaded, whatever has become of the file since. It
// reads no file then; a store with no table yet tries to load one first
// (a Lazy store whose file has appeared: no login comes to a store that is
// not ready, so the probe is what finds it), and otherwise answers as a
// login would, ErrUnavailable with the reason.
func (s *Store) Check(context.Context) error {
	if s.table.Load() == nil {
		s.maybeReload()
	}
	if s.table.Load() == nil {
		return authsrc.Unavailable(s.name, s.loadError())
	}
	return nil
}

// Stale says why the store answers from a table that its files no longer
// match, or nil: a file is gone (an error matching fs.ErrNotExist), or the
// last attempt to read them failed (its error, naming file and line). It
// costs a stat of each file.
func (s *Store) Stale() error {
	t := s.table.Load()
	if t == nil {
		return nil // not serving at all: Check says so
	}
	for _, path := range []string{s.path, s.group} {
		if path != "" && !statPath(path).exists {
			return fmt.Errorf("serving the last good load from memory (users: %d): %s: %w", len(t.users), path, fs.ErrNotExist)
		}
	}
	if p := s.lastErr.Load(); p != nil {
		return fmt.Errorf("serving the last good load from memory (users: %d): %w", len(t.users), *p)
	}
	return nil
}

// loadError is why no table is loaded.
func (s *Store) loadError() error {
	if p := s.lastErr.Load(); p != nil {
		return *p
	}
	return errors.New("never loaded")
}
