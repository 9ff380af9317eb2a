package config

import (
	"time"

	"github.com/tkt-sso/tkt/authsrc/ldap"
)

// Store types.
const (
	StoreHtpasswd = "htpasswd"
	StoreSQL      = "sql"
	StoreLDAP     = "ldap"
)

// Store is one entry of the stores list: the keys every store has (type,
// name, cache) and, at the same level in YAML, the keys of its type. Exactly
// the pointer matching Type is set.
type Store struct {
	Type string `koanf:"type"`
	// Name labels the store in logs, errors and metrics; it defaults to
	// a description without credentials ("htpasswd /etc/tkt/users").
	Name  string `koanf:"name"`
	Cache Cache  `koanf:"cache"`

	Htpasswd *HtpasswdStore `koanf:"-"`
	SQL      *SQLStore      `koanf:"-"`
	LDAP     *LDAPStore     `koanf:"-"`
}

// Cache puts the credential cache (authsrc/cache) in front of a store.
// Zero values mean the cache package's defaults.
type Cache struct {
	Enabled     bool          `koanf:"enabled"`
	TTL         time.Duration `koanf:"ttl"`
	MaxEntries  int           `koanf:"max_entries"`
	NegativeTTL time.Duration `koanf:"negative_ttl"`
}

// HtpasswdStore maps to htpasswd.Config.
type HtpasswdStore struct {
	Path          string        `koanf:"path"`
	GroupPath     string        `koanf:"group_path"`
	AllowPlain    bool          `koanf:"allow_plain"`
	CheckInterval time.Duration `koanf:"check_interval"`
	// Lazy lets tktd start before the file exists.
	Lazy bool `koanf:"lazy"`
	// Rehash says tkt owns the file: a password that matches a hash other
	// than bcrypt at BcryptCost is rehashed into the file at login.
	Rehash bool `koanf:"rehash"`
	// BcryptCost is the cost Rehash writes (default 10).
	BcryptCost int `koanf:"bcrypt_cost"`
}

// SQLStore maps to sqlstore.Config. With neither Driver nor DSN it is tkt's
// own SQLite store in the data directory.
type SQLStore struct {
	Driver string `koanf:"driver"`
	DSN    string `koanf:"dsn"`
	// DSNFile holds the DSN instead of DSN, since a DSN may hold a password.
	DSNFile         string        `koanf:"dsn_file"`
	Queries         *Queries      `koanf:"queries"`
	AllowPlain      bool          `koanf:"allow_plain"`
	MaxOpenConns    int           `koanf:"max_open_conns"`
	MaxIdleConns    int           `koanf:"max_idle_conns"`
	ConnMaxLifetime time.Duration `koanf:"conn_max_lifetime"`
	QueryTimeout    time.Duration `koanf:"query_timeout"`
	BcryptCost      int           `koanf:"bcrypt_cost"`
}

// dataDir reports whether s is the zero-configuration store.
func (s *SQLStore) dataDir() bool {
	return s != nil && (s.Driver == "" || s.Driver == "sqlite") && s.DSN == "" && s.DSNFile == "" && s.Queries == nil
}

// Queries maps to sqlstore.Queries: reading users from an existing database.
type Queries struct {
	Password string `koanf:"password"`
	Groups   string `koanf:"groups"`
	Data     string `koanf:"data"`
}

// LDAPStore is ldap.Config (its koanf keys: urls, base_dn, bind_dn, ...)
// plus a file for the service account's password.
type LDAPStore struct {
	ldap.Config `koanf:",squash"`
	// BindPasswordFile holds BindPassword instead of the YAML file.
	BindPasswordFile string `koanf:"bind_password_file"`
}

// commonStoreKey reports whether key is decoded into Store itself rather
// than into the type's settings.
func commonStoreKey(key string) bool {
	switch key {
	case "type", "name", "cache":
		return true
	}
	return false
}
