package htpasswd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// With Config.Rehash, a user whose password has just matched a hash that
// is not bcrypt at the configured cost gets one that is, written into the
// file: the one moment tkt holds the password. Only when tkt owns the
// file, hence an explicit setting: a file that a deployment tool or
// another server writes would fight back.
//
// The file is replaced whole, atomically: a new file in the same directory
// with the same mode and owner, holding every byte of the old one but the
// user's hash, renamed over it. An edit made by someone else is never
// lost: the file must be the very one the table was loaded from, settled
// (not being written), and still that one just before the swap; on Linux
// the swap itself is an exchange (renameat2 RENAME_EXCHANGE), after which
// the file that came out is checked once more and put back if it was not
// the one read. Whatever doesn't hold, the hash is left for the next
// login. What remains: a writer that opened the file before the swap and
// writes into it in place after it (Apache's htpasswd truncates and
// rewrites) writes to the replaced file; the settle check makes that a
// window of microseconds.
//
// The new table goes live at once, stamped with the new file, so the
// store's own change check sees nothing to reload, and a Reload (tktd's
// file watcher sees the change) re-reads the file without waiting out the
// settle period.

// errStale means the file or the table changed since the hash was read,
// or is being written: the rehash waits for the next login.
var errStale = errors.New("the file changed since it was loaded")

// maybeRehash rehashes user's password if Rehash is on and hash, which
// has just matched, is not bcrypt at the configured cost. It never fails
// the login.
func (s *Store) maybeRehash(ctx context.Context, user, hash, password string) {
	if !s.rehash || s.rehashOff.Load() {
		return
	}
	fresh, err := pwhash.Rehash(hash, password, s.cost)
	if fresh == "" && err == nil {
		return // already bcrypt at the cost
	}
	from, to := pwhash.Class(hash), pwhash.BcryptClass(s.cost)
	if err != nil {
		s.log.WarnContext(ctx, "htpasswd: password hash not upgraded", "store", s.name, "user", user, "from", from, "to", to, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch err := s.replaceHashLocked(user, hash, fresh); {
	case err == nil:
		s.log.InfoContext(ctx, "htpasswd: password hash upgraded", "store", s.name, "user", user, "from", from, "to", to)
	case errors.Is(err, errStale), errors.Is(err, errUnsettled):
		s.log.DebugContext(ctx, "htpasswd: password hash not upgraded yet", "store", s.name, "user", user, "err", err)
	default:
		// The directory isn't writable, the owner can't be kept...: not
		// tried again until the file next loads, rather than at every
		// login of every such user.
		s.rehashOff.Store(true)
		s.log.ErrorContext(ctx, "htpasswd: password hash not upgraded; rehashing off until the file next loads",
			"store", s.name, "user", user, "from", from, "to", to, "err", err)
	}
}

// replaceHashLocked rewrites the file with user's hash old replaced by
// fresh and makes the result the live table. s.mu is held.
func (s *Store) replaceHashLocked(user, old, fresh string) error {
	t := s.table.Load()
	if t == nil || t.users[user] != old {
		return errStale
	}
	path, err := filepath.EvalSymlinks(s.path) // replace the file, not a symlink to it
	if err != nil {
		return err
	}
	data, read, err := readSettled(path, s.settleFor(path))
	if err != nil {
		return err
	}
	if read != t.at.pw {
		return errStale // a change not loaded yet: load it first
	}
	out, ok := replaceHash(data, user, old, fresh)
	if !ok {
		return errStale
	}
	users, err := parseUsers(out, s.path, s.verifier, func(string) {})
	if err != nil {
		return fmt.Errorf("htpasswd: the rewritten file does not parse: %w", err)
	}
	tmp, ours, err := writeBeside(path, out)
	if err != nil {
		return err
	}
	if err := swapIn(tmp, path, read); err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(path))
	now := statPath(path)
	if !sameFile(now, ours) {
		return nil // replaced again already: the change check loads that
	}
	s.written = now
	nt := &table{users: users, groups: t.groups, at: stamps{pw: now, group: t.at.group}}
	s.track(nt)
	s.table.Store(nt)
	return nil
}

// writeBeside writes data to a new file in path's directory with path's
// mode and owner, synced, and returns its name and stamp.
func writeBeside(path string, data []byte) (string, stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", stamp{}, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tkt-*")
	if err != nil {
		return "", stamp{}, err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = keepOwner(f, fi)
	}
	if err == nil {
		err = f.Sync()
	}
	var st stamp
	if err == nil {
		var tfi os.FileInfo
		if tfi, err = f.Stat(); err == nil {
			st = stampOf(tfi)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", stamp{}, err
	}
	return f.Name(), st, nil
}

// replaceHash returns data with the hash of user's first line (the one
// that counts, as in parseUsers) replaced, if it is old; every other byte
// stays as it was.
func replaceHash(data []byte, user, old, fresh string) ([]byte, bool) {
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		line := string(data[off : off+end])
		trimmed := strings.TrimSpace(line)
		name, hash, ok := strings.Cut(trimmed, ":")
		if trimmed != "" && trimmed[0] != '#' && ok && name == user {
			if hash != old {
				return nil, false
			}
			at := off + strings.Index(line, trimmed) + len(name) + 1
			out := make([]byte, 0, len(data)-len(old)+len(fresh))
			out = append(out, data[:at]...)
			out = append(out, fresh...)
			return append(out, data[at+len(old):]...), true
		}
		off += end + 1
	}
	return nil, false
}

// settleFor is the settle period for reading path: none for the file
// this store wrote itself, which is complete. s.mu is held.
func (s *Store) settleFor(path string) time.Duration {
	if st := statPath(path); st.exists && st == s.written {
		return 0
	}
	return s.settle
}

// sameFile reports whether a and b stamp the same file with the same
// content: ctime is left out, since a rename changes it.
func sameFile(a, b stamp) bool {
	a.ctime, b.ctime = 0, 0
	return a == b
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename survives a crash; best effort
		d.Close()
	}
}
