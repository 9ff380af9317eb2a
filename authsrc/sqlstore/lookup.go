package sqlstore

import (
	"context"

	"github.com/tkt-sso/tkt/authsrc"
)

var _ authsrc.Lookuper = (*Store)(nil)

// Lookup finds user as a login would, without checking a password: the
// user's row (with tkt's own schema, tkt_users; with Queries, the password
// query's row) says that the user exists, and the groups and data come
// from the same queries as at login.
//
// A row without a usable hash (NULL or empty) counts as no user: it is how
// many applications disable an account, and no password could log such a
// user in, so no ticket of theirs should be refreshed either.
func (s *Store) Lookup(ctx context.Context, user string) (authsrc.Identity, error) {
	if err := authsrc.CheckName(ctx, user); err != nil {
		return authsrc.Identity{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	name, _, data, found, err := s.userRow(ctx, user)
	if err != nil {
		return authsrc.Identity{}, s.unavailable(err)
	}
	if !found {
		return authsrc.Identity{}, authsrc.ErrNoSuchUser
	}
	return s.identity(ctx, name, data)
}
