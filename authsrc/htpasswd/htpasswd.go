// Package htpasswd is an authsrc.Source over an Apache htpasswd file, with
// an optional Apache group file (AuthGroupFile) whose groups become ticket
// tokens. Every format Apache's htpasswd writes is read (see pwhash).
//
// The file is read whole into an immutable table and swapped in atomically,
// so a reader sees one complete version or the previous one, never a mix.
// Changes are picked up by Reload (tktd calls it on SIGHUP) and by a stat
// of the files at most once per CheckInterval, done by whichever
// Authenticate or Lookup call comes first: no goroutine to start or leak, nothing to
// close, and an idle server costs nothing. A file that turns bad or
// disappears after a good load keeps the last good table, logged; only a
// store that never loaded one (Lazy) answers ErrUnavailable. Readiness
// agrees (ready.go): Check says ready while the store answers from a
// table, and Stale says when that table is all that is left of the file.
//
// Every failed login takes as long as verifying the file's slowest class of
// hash (pwhash.Floor): an unknown user, a wrong password against a {SHA}
// hash and one against the one bcrypt-12 hash among bcrypt-10 ones can't
// be told apart by the time they take.
package htpasswd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// Config configures a Store. Only Path is required.
type Config struct {
	// Path is the htpasswd file.
	Path string
	// GroupPath, if set, is an Apache group file: "group: user1 user2".
	GroupPath string
	// AllowPlain accepts plain-text passwords (htpasswd -p). Off by default.
	AllowPlain bool
	// Logger receives reload events; nil discards them.
	Logger *slog.Logger
	// Name identifies the store in errors and logs; default "htpasswd PATH".
	Name string
	// CheckInterval is how often, at most, a login or lookup looks whether
	// the files changed: 0 means one second, negative means never (only
	// Reload re-reads them).
	CheckInterval time.Duration
	// Lazy lets New succeed without a usable file. Until one loads, the
	// store answers ErrUnavailable, and it keeps trying at each check.
	// For files provisioned after start; without it New fails fast.
	Lazy bool
	// Rehash says tkt owns the file: a user whose password matches a hash
	// that is not bcrypt at BcryptCost gets one that is, written into the
	// file then and there (see rehash.go for how the file is replaced).
	// Off by default: a file something else writes must be left alone.
	Rehash bool
	// BcryptCost is the cost Rehash writes; 0 means bcrypt's default, 10.
	BcryptCost int
}

// Store is an authsrc.Source and authsrc.Lookuper over one htpasswd file.
// It is safe for concurrent use.
type Store struct {
	name     string
	path     string
	group    string
	verifier pwhash.Verifier
	floor    *pwhash.Floor
	rehash   bool
	cost     int
	log      *slog.Logger
	interval time.Duration
	// settle is how old a file's modification time must be before it is
	// read: htpasswd rewrites its file in place (truncate, then write),
	// so a file modified a moment ago may be half written.
	settle time.Duration

	table     atomic.Pointer[table]
	nextCheck atomic.Int64 // UnixNano before which nothing stats the files
	lastErr   atomic.Pointer[error]

	mu       sync.Mutex // serialises loads and rewrites; guards the rest
	failed   bool       // the last load failed,
	failedAt stamps     // with the files as they were then
	// written is the file as this store last wrote it (rehash.go).
	written stamp
	// rehashOff stops rehashing after a write failed, until a load.
	rehashOff atomic.Bool
}

// table is one loaded version of the files. It is never modified.
type table struct {
	users  userTable
	groups groupTable
	at     stamps
}

const (
	defaultInterval = time.Second
	defaultSettle   = 100 * time.Millisecond
)

// New loads cfg.Path (and cfg.GroupPath) and returns a Store, or an error
// naming the file, and the line for a malformed entry. With cfg.Lazy a
// missing or bad file is logged instead and the store starts unavailable.
func New(cfg Config) (*Store, error) {
	return newWithSettle(cfg, defaultSettle)
}

func newWithSettle(cfg Config, settle time.Duration) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("htpasswd: no file path configured")
	}
	if cfg.BcryptCost != 0 && (cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > pwhash.MaxBcryptCost) {
		return nil, fmt.Errorf("htpasswd: bcrypt cost %d is outside %d..%d", cfg.BcryptCost, bcrypt.MinCost, pwhash.MaxBcryptCost)
	}
	s := &Store{
		name:     cfg.Name,
		path:     cfg.Path,
		group:    cfg.GroupPath,
		verifier: pwhash.Verifier{AllowPlain: cfg.AllowPlain},
		rehash:   cfg.Rehash,
		cost:     cfg.BcryptCost,
		log:      cfg.Logger,
		interval: cfg.CheckInterval,
		settle:   settle,
	}
	if s.name == "" {
		s.name = "htpasswd " + cfg.Path
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.floor = pwhash.NewFloor(s.verifier)
	if s.interval == 0 {
		s.interval = defaultInterval
	}
	if err := s.Reload(); err != nil && !cfg.Lazy {
		return nil, err
	}
	return s, nil
}

// Authenticate checks user's password against the file.
func (s *Store) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	if err := authsrc.CheckInput(ctx, user, password); err != nil {
		return authsrc.Identity{}, err
	}
	s.maybeReload()
	t := s.table.Load()
	if t == nil {
		return authsrc.Identity{}, authsrc.Unavailable(s.name, s.loadError())
	}
	start := time.Now()
	hash, ok := t.users[user]
	if !ok {
		s.floor.Unknown(password)
		s.floor.Wait(ctx, start)
		return authsrc.Identity{}, authsrc.ErrInvalidCredentials
	}
	match, err := s.floor.Verify(hash, password)
	if err != nil {
		// Load checked every hash, so this is a hash whose parameters
		// only fail when used: the file's fault, not the user's.
		s.log.Error("htpasswd: unusable hash", "store", s.name, "user", user, "err", err)
		return authsrc.Identity{}, authsrc.Unavailable(s.name, err)
	}
	if !match {
		s.floor.Wait(ctx, start)
		return authsrc.Identity{}, authsrc.ErrInvalidCredentials
	}
	s.maybeRehash(ctx, user, hash, password)
	return authsrc.Identity{User: user, Groups: slices.Clone(t.groups[user])}, nil
}

var _ authsrc.Lookuper = (*Store)(nil)

// Lookup says whether the loaded file holds user, with their groups from
// the group file as a login would report them.
func (s *Store) Lookup(ctx context.Context, user string) (authsrc.Identity, error) {
	if err := authsrc.CheckName(ctx, user); err != nil {
		return authsrc.Identity{}, err
	}
	s.maybeReload()
	t := s.table.Load()
	if t == nil {
		return authsrc.Identity{}, authsrc.Unavailable(s.name, s.loadError())
	}
	if h, ok := t.users[user]; !ok || locked(h) {
		return authsrc.Identity{}, authsrc.ErrNoSuchUser
	}
	return authsrc.Identity{User: user, Groups: slices.Clone(t.groups[user])}, nil
}

// locked reports whether hash shuts its user out: empty, or marked as
// passwd(5) and usermod -L mark a locked account ("!", "*"). No password
// matches such a hash, and a login that asks no password (a passkey, a
// refresh) must not let the user in either.
func locked(hash string) bool {
	return hash == "" || strings.HasPrefix(hash, "!") || strings.HasPrefix(hash, "*")
}

// dummyHash picks the hash verified for unknown users: one of the file's
// most common class, so that an unknown user costs the CPU most users'
// wrong passwords cost (the floor makes up the time to the slowest), the
// smallest of its class so that the choice doesn't follow map order; ""
// for no users.
func dummyHash(users userTable) string {
	count := map[string]int{}
	first := map[string]string{}
	best := ""
	for _, h := range users {
		k := pwhash.Class(h)
		count[k]++
		if f, ok := first[k]; !ok || h < f {
			first[k] = h
		}
		if count[k] > count[best] || count[k] == count[best] && k < best {
			best = k
		}
	}
	return first[best]
}

// track tells the floor what t holds.
func (s *Store) track(t *table) {
	s.floor.Track(dummyHash(t.users), maps.Values(t.users))
}
