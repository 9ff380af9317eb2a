package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/authsrc/ldap"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// BuildConfig are what BuildSource needs besides the Config.
type BuildConfig struct {
	// Logger receives store events (reloads, failovers); nil discards.
	Logger *slog.Logger
	// CacheHooks, if set, gives the hooks of the credential cache in front
	// of the named store (e.g. Prometheus counters).
	CacheHooks func(store string) cache.Hooks
	// CacheShared and CacheMACKey, if set, keep the credential caches'
	// entries where several instances share them (cache.Config.Shared,
	// .MACKey); nil keeps them in this process's memory.
	CacheShared cache.Shared
	CacheMACKey []byte
}

// Stores are the user stores of a Config, opened and chained in order.
type Stores struct {
	// Source asks the stores in order (authsrc.Chain).
	Source authsrc.Source
	list   []*openStore
	log    *slog.Logger

	mu       sync.Mutex
	degraded string // what Check last logged as degraded
}

// openStore is one opened store and what tktd can do with it besides
// Authenticate.
type openStore struct {
	name   string
	kind   string
	cache  *cache.Cache                // nil without a cache
	reload func() error                // nil if nothing to reload
	check  func(context.Context) error // readiness
	// degraded says why a ready store serves from memory; nil if it
	// can't.
	degraded func() error
	close    func() error // nil if nothing to close
}

// BuildSource opens every configured store (the SQLite store in DataDir
// when none is), each behind its credential cache when enabled, and chains
// them. Opening a SQL store connects to it: an unreachable database fails
// here, with an error matching authsrc.ErrUnavailable.
func BuildSource(ctx context.Context, c Config, o BuildConfig) (*Stores, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stores := c.Stores
	if len(stores) == 0 {
		stores = []Store{{Type: StoreSQL, SQL: &SQLStore{}}}
	}
	s := &Stores{log: log}
	var named []authsrc.Named
	for i, st := range stores {
		src, ost, err := open(ctx, c, st, log)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("stores[%d] (%s): %w", i, st.Type, err)
		}
		if st.Cache.Enabled {
			cc := cache.Config{
				Context:     ost.name,
				TTL:         st.Cache.TTL,
				NegativeTTL: st.Cache.NegativeTTL,
				MaxEntries:  st.Cache.MaxEntries,
				Shared:      o.CacheShared,
				MACKey:      o.CacheMACKey,
			}
			if o.CacheHooks != nil {
				cc.Hooks = o.CacheHooks(ost.name)
			}
			ost.cache = cache.New(src, cc)
			src = ost.cache
		}
		s.list = append(s.list, ost)
		named = append(named, authsrc.Named{Name: ost.name, Source: src})
	}
	// The second-factor token is the portal's to grant: a store group of
	// that name never reaches a ticket, by login, HTTP Basic or refresh.
	s.Source = authsrc.WithoutGroups(authsrc.Chain(named...), c.MFA.Token)
	return s, nil
}

func open(ctx context.Context, c Config, st Store, log *slog.Logger) (authsrc.Source, *openStore, error) {
	name := st.label(c.DataDir)
	switch {
	case st.Htpasswd != nil:
		h := st.Htpasswd
		hs, err := htpasswd.New(htpasswd.Config{
			Path: h.Path, GroupPath: h.GroupPath, AllowPlain: h.AllowPlain,
			Logger: log, Name: name, CheckInterval: h.CheckInterval, Lazy: h.Lazy,
			Rehash: h.Rehash, BcryptCost: h.BcryptCost,
		})
		if err != nil {
			return nil, nil, err
		}
		return hs, &openStore{name: name, kind: st.Type, reload: hs.Reload, check: hs.Check, degraded: hs.Stale}, nil
	case st.SQL != nil:
		ss, err := openSQL(ctx, c, st.SQL, st.Name, log)
		if err != nil {
			return nil, nil, err
		}
		if name == "" {
			name = ss.Name()
		}
		return ss, &openStore{name: name, kind: st.Type, check: ss.Ping, close: ss.Close}, nil
	case st.LDAP != nil:
		lc := st.LDAP.Config
		if f := st.LDAP.BindPasswordFile; f != "" {
			pw, _, err := ReadSecretFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("bind_password_file: %w", err)
			}
			lc.BindPassword = pw
		}
		lc.Logger = log
		ls, err := ldap.New(lc)
		if err != nil {
			return nil, nil, err
		}
		return ls, &openStore{name: name, kind: st.Type, check: atMostEvery(ldapProbeEvery, ls.Check)}, nil
	}
	return nil, nil, fmt.Errorf("unknown store type %q", st.Type)
}

func openSQL(ctx context.Context, c Config, s *SQLStore, name string, log *slog.Logger) (*sqlstore.Store, error) {
	var sc sqlstore.Config
	if s.dataDir() {
		var err error
		if sc, err = sqlstore.DataDirConfig(c.DataDir); err != nil {
			return nil, err
		}
	} else {
		sc = sqlstore.Config{Driver: s.Driver, DSN: s.DSN}
		if s.DSNFile != "" {
			dsn, _, err := ReadSecretFile(s.DSNFile)
			if err != nil {
				return nil, fmt.Errorf("dsn_file: %w", err)
			}
			sc.DSN = strings.TrimSpace(dsn)
		}
		if q := s.Queries; q != nil {
			sc.Queries = &sqlstore.Queries{Password: q.Password, Groups: q.Groups, Data: q.Data}
		}
	}
	sc.AllowPlain = s.AllowPlain
	sc.MaxOpenConns, sc.MaxIdleConns = s.MaxOpenConns, s.MaxIdleConns
	sc.ConnMaxLifetime, sc.QueryTimeout = s.ConnMaxLifetime, s.QueryTimeout
	sc.BcryptCost = s.BcryptCost
	sc.Name, sc.Logger = name, log
	return sqlstore.Open(ctx, sc)
}

// label is a store's name for logs, errors, cache keys and metrics: the
// configured name, or a description without credentials. SQL stores other
// than the data directory's get theirs from sqlstore once opened.
func (st Store) label(dataDir string) string {
	switch {
	case st.Name != "":
		return st.Name
	case st.Htpasswd != nil:
		return "htpasswd " + st.Htpasswd.Path
	case st.SQL != nil && st.SQL.dataDir():
		return "sqlite " + filepath.Join(dataDir, sqlstore.DefaultSQLiteFile)
	case st.LDAP != nil && len(st.LDAP.URLs) > 0:
		return "ldap " + st.LDAP.URLs[0]
	}
	return ""
}

// Names lists the stores in the order they are asked.
func (s *Stores) Names() []string {
	out := make([]string, len(s.list))
	for i, st := range s.list {
		out[i] = st.name
	}
	return out
}

// Reload re-reads the stores that have files (htpasswd) and empties every
// credential cache, so that a password removed from a file stops working at
// once. A store whose file turned bad keeps its previous contents; the
// errors are returned joined.
func (s *Stores) Reload() error {
	var errs []error
	for _, st := range s.list {
		if st.reload != nil {
			if err := st.reload(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", st.name, err))
			}
		}
		if st.cache != nil {
			st.cache.Purge()
		}
	}
	return errors.Join(errs...)
}

// Rekey gives every credential cache a new MAC key (BuildConfig.CacheMACKey:
// the secret it derives from changed), which empties them.
func (s *Stores) Rekey(key []byte) {
	for _, st := range s.list {
		if st.cache != nil {
			st.cache.Rekey(key)
		}
	}
}

// Close closes the stores that hold connections.
func (s *Stores) Close() error {
	var errs []error
	for _, st := range s.list {
		if st.close != nil {
			errs = append(errs, st.close())
		}
	}
	return errors.Join(errs...)
}

// Files lists the files the stores read, for the reload watch.
func (c Config) Files() []string {
	files := []string{c.SecretPath()}
	files = append(files, c.Ticket.OldSecretFiles...)
	if c.TLS.Enabled() {
		files = append(files, c.TLS.CertFile, c.TLS.KeyFile)
	}
	for _, st := range c.Stores {
		if h := st.Htpasswd; h != nil {
			files = append(files, h.Path)
			if h.GroupPath != "" {
				files = append(files, h.GroupPath)
			}
		}
	}
	return files
}
