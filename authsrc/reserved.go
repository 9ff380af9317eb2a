package authsrc

import (
	"context"
	"slices"
)

// WithoutGroups wraps src so that the groups named never come out of it,
// by Authenticate or by Lookup: they are tokens tkt grants itself (the
// second-factor token, mfa), and a store group of the same name, made by
// whoever edits a group file or an LDAP directory, must not grant them.
// The wrapper is a Lookuper exactly when src is one. With no names it is
// src itself.
func WithoutGroups(src Source, names ...string) Source {
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "" })
	if len(names) == 0 {
		return src
	}
	w := withoutGroups{src: src, names: names}
	if l, ok := src.(Lookuper); ok {
		return withoutGroupsLookup{w, l}
	}
	return w
}

type withoutGroups struct {
	src   Source
	names []string
}

func (w withoutGroups) Authenticate(ctx context.Context, user, password string) (Identity, error) {
	id, err := w.src.Authenticate(ctx, user, password)
	return w.strip(id), err
}

func (w withoutGroups) strip(id Identity) Identity { return WithoutGroupsOf(id, w.names...) }

// WithoutGroupsOf is id without the groups named, copying the list only
// when it holds one (a cache may share its Identity between callers).
func WithoutGroupsOf(id Identity, names ...string) Identity {
	reserved := func(g string) bool { return slices.Contains(names, g) }
	if slices.ContainsFunc(id.Groups, reserved) {
		id.Groups = slices.DeleteFunc(slices.Clone(id.Groups), reserved)
	}
	return id
}

type withoutGroupsLookup struct {
	withoutGroups
	l Lookuper
}

func (w withoutGroupsLookup) Lookup(ctx context.Context, user string) (Identity, error) {
	id, err := w.l.Lookup(ctx, user)
	return w.strip(id), err
}
