package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// errHashChanged: the row's hash is no longer the one that matched (tktctl
// user passwd ran meanwhile); the newer one stays.
var errHashChanged = errors.New("password hash changed meanwhile")

// rehash stores a new bcrypt hash at the configured cost for a user of
// tkt's own schema whose password has just matched a hash in another
// scheme or at another cost (pwhash.Rehash) (an import from htpasswd, a cost raised since):
// the one moment tkt holds the password. The login succeeds whatever
// happens here; a failure is logged and tried again at the next login.
//
// The UPDATE replaces old only, so that a password set meanwhile is not
// overwritten with the one just typed. updated_at is left alone: neither
// the user nor the password changed, only how it is stored.
func (s *Store) rehash(ctx context.Context, name, old, password string) {
	h, err := pwhash.Rehash(old, password, s.cost)
	if h == "" && err == nil {
		return // already bcrypt at the cost
	}
	from, to := pwhash.Class(old), pwhash.BcryptClass(s.cost)
	if err != nil {
		s.log.WarnContext(ctx, "sqlstore: password hash not upgraded", "store", s.c.name, "user", name, "from", from, "to", to, "err", err)
		return
	}
	if s.beforeRehash != nil {
		s.beforeRehash()
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, "UPDATE tkt_users SET password = ? WHERE name = ? AND password = ?", h, name, old)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = errHashChanged
		}
		return err
	})
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "sqlstore: password hash upgraded", "store", s.c.name, "user", name, "from", from, "to", to)
	case errors.Is(err, errHashChanged):
		s.log.DebugContext(ctx, "sqlstore: password hash not upgraded: it changed meanwhile", "store", s.c.name, "user", name)
	default:
		s.log.WarnContext(ctx, "sqlstore: password hash not upgraded", "store", s.c.name, "user", name, "from", from, "to", to, "err", err)
	}
}
