package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/authsrc/cache"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

func (c Config) validateStores(p *problems) {
	names := map[string]int{}
	for i, st := range c.Stores {
		key := fmt.Sprintf("stores[%d]", i)
		if n := st.label(c.DataDir); n != "" {
			if j, dup := names[n]; dup {
				p.add(key+".name", "%q is also the name of stores[%d]: give each store its own name", n, j)
			}
			names[n] = i
		}
		ca := st.Cache
		if ca.TTL < 0 || ca.MaxEntries < 0 {
			p.add(key+".cache", "ttl and max_entries must not be negative")
		}
		if ca.NegativeTTL < 0 || ca.NegativeTTL > cache.MaxNegativeTTL {
			p.add(key+".cache.negative_ttl", "%v is outside 0 to %v: a rejection is remembered for seconds at most", ca.NegativeTTL, cache.MaxNegativeTTL)
		}
		switch {
		case st.Htpasswd != nil:
			validateHtpasswd(p, key, st.Htpasswd)
		case st.SQL != nil:
			validateSQL(p, key, st.SQL)
		case st.LDAP != nil:
			validateLDAP(p, key, st.LDAP)
		}
	}
}

func validateHtpasswd(p *problems, key string, h *HtpasswdStore) {
	if h.Path == "" {
		p.add(key+".path", "missing: the htpasswd file")
	} else if !h.Lazy {
		p.wrap(key+".path", checkReadable(h.Path))
	}
	if h.GroupPath != "" && !h.Lazy {
		p.wrap(key+".group_path", checkReadable(h.GroupPath))
	}
	validateBcryptCost(p, key, h.BcryptCost)
	switch {
	case h.BcryptCost != 0 && !h.Rehash:
		p.add(key+".bcrypt_cost", "is only used with rehash: true; tkt writes no hash into a file it does not own")
	case h.Rehash && h.Path != "":
		p.wrap(key+".rehash", checkWritableDir(filepath.Dir(h.Path)))
	}
}

// validateBcryptCost checks a store's bcrypt_cost (0 means the default)
// against what pwhash.Bcrypt takes.
func validateBcryptCost(p *problems, key string, cost int) {
	if cost != 0 && (cost < bcrypt.MinCost || cost > pwhash.MaxBcryptCost) {
		p.add(key+".bcrypt_cost", "%d is outside %d to %d", cost, bcrypt.MinCost, pwhash.MaxBcryptCost)
	}
}

func validateSQL(p *problems, key string, s *SQLStore) {
	switch s.Driver {
	case "", "sqlite", "pgx", "postgres", "mysql", "mariadb":
	default:
		p.add(key+".driver", "unknown driver %q: want sqlite, postgres (pgx) or mysql (mariadb)", s.Driver)
	}
	if s.DSN != "" && s.DSNFile != "" {
		p.add(key+".dsn_file", "set dsn or dsn_file, not both")
	}
	if s.DSNFile != "" {
		p.wrap(key+".dsn_file", checkSecretFile(s.DSNFile))
	}
	if s.Driver != "" && s.Driver != "sqlite" && s.DSN == "" && s.DSNFile == "" {
		p.add(key+".dsn", "missing: the %s connection string (or dsn_file)", s.Driver)
	}
	if s.Driver == "" && (s.DSN != "" || s.DSNFile != "") {
		p.add(key+".driver", "missing: a dsn needs its driver (sqlite, postgres or mysql)")
	}
	if s.Queries != nil && s.Queries.Password == "" {
		p.add(key+".queries.password", "missing: the query returning a user's password hash")
	}
	if s.MaxOpenConns < 0 || s.MaxIdleConns < 0 || s.ConnMaxLifetime < 0 || s.QueryTimeout < 0 {
		p.add(key, "max_open_conns, max_idle_conns, conn_max_lifetime and query_timeout must not be negative")
	}
	validateBcryptCost(p, key, s.BcryptCost)
}

func validateLDAP(p *problems, key string, l *LDAPStore) {
	lc := l.Config
	if l.BindPasswordFile != "" {
		if lc.BindPassword != "" {
			p.add(key+".bind_password_file", "set bind_password or bind_password_file, not both")
		}
		p.wrap(key+".bind_password_file", checkSecretFile(l.BindPasswordFile))
		// The package's own check wants the pair; the file stands in.
		lc.BindPassword = "from-file"
	}
	for _, err := range Problems(lc.Validate()) {
		p.wrap(key, err)
	}
}

// checkWritableDir tells whether this process can create a file in dir,
// as rehashing an htpasswd file does (its new version is written beside
// it, then renamed over it). It tries, rather than reading permission
// bits, which say nothing of a read-only mount or of root.
func checkWritableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".tkt-write-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // its path is the random name tried
		}
		return fmt.Errorf("rehashing writes the file anew beside it, but %s takes no new file: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// checkReadable tells whether path is a regular file this process can open.
func checkReadable(path string) error {
	f, _, err := openRegular(path)
	if err == nil {
		f.Close()
	}
	return err
}
