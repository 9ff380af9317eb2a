package ldap

import (
	"context"
	"fmt"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/tkt-sso/tkt/authsrc"
)

// Lookup finds user's entry as the account that searches at login does
// (the service account, or an anonymous connection), and reads the user's
// name, data and groups as a login does.
//
// user is a name as Identity.User reports it: the UserAttr value, or the
// UserNameAttr value when that is set, which is then what is searched for
// (it must then be unique below BaseDN, or the lookup fails as ambiguous).
// In direct-bind mode the entry is read at the DN the template gives.
//
// Two configurations cannot look a user up, and fail closed with an
// unavailable error wrapping authsrc.ErrLookupUnsupported, without asking
// the directory: direct bind with no service account, where nothing but
// the user's own password may read the entry (an anonymous read would
// turn "not allowed to see" into "no such user"), and direct bind with
// UserNameAttr, whose names the template cannot turn into a DN. Tickets of
// their users are then not refreshed; set bind_dn to refresh them.
func (s *Source) Lookup(ctx context.Context, user string) (authsrc.Identity, error) {
	if err := authsrc.CheckName(ctx, user); err != nil {
		return authsrc.Identity{}, err
	}
	if err := s.cannotLookup(); err != nil {
		return authsrc.Identity{}, authsrc.Unavailable("ldap "+s.servers[0].url, err)
	}
	return s.onServers(ctx, func(srv server) (authsrc.Identity, error) {
		return s.lookupOn(ctx, srv, user)
	})
}

// cannotLookup says why this configuration cannot look users up, or nil.
func (s *Source) cannotLookup() error {
	switch {
	case !s.cfg.directBind():
		return nil
	case s.cfg.BindDN == "":
		return fmt.Errorf("%w: direct bind (user_dn_template) without a service account (bind_dn)", authsrc.ErrLookupUnsupported)
	case s.cfg.UserNameAttr != "":
		return fmt.Errorf("%w: direct bind (user_dn_template) with user_name_attr: a ticket's name is not the template's", authsrc.ErrLookupUnsupported)
	}
	return nil
}

func (s *Source) lookupOn(ctx context.Context, srv server, user string) (authsrc.Identity, error) {
	c, err := s.dial(ctx, srv)
	if err != nil {
		return authsrc.Identity{}, fmt.Errorf("connect: %w", err)
	}
	defer c.close()
	if err := s.searchBind(c); err != nil {
		return authsrc.Identity{}, err
	}
	var e *goldap.Entry
	switch {
	case s.cfg.directBind():
		e, err = s.readEntry(c, s.tmpl.dn(user))
	case s.cfg.UserNameAttr != "":
		e, err = s.searchUser(c, s.cfg.UserNameAttr, user)
	default:
		e, err = s.searchUser(c, s.cfg.UserAttr, user)
	}
	if err != nil {
		return authsrc.Identity{}, err
	}
	if e == nil {
		return authsrc.Identity{}, authsrc.ErrNoSuchUser
	}
	return s.identity(ctx, c, e, user)
}
