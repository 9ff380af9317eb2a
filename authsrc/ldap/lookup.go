package ldap

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/tkt-sso/tkt/authsrc"
)

// An unknown user is answered only after a bind to an entry no directory
// holds, so that it makes the round trips a wrong password makes; the
// directory answers that bind without checking any hash, and bindPace
// makes up the rest of the time. The password is a constant: the user's
// own has no business going to any other DN.
const (
	dummyRDN      = "cn=tkt-no-such-user-5f0c9e"
	dummyPassword = "tkt-dummy-password"
)

// errAmbiguous: a name that matches two entries is a directory (or
// UserFilter) problem. Picking one would log the user in as whichever entry
// the server lists first, so no choice is made.
var errAmbiguous = errors.New("matched more than one entry; refusing to pick one (make UserAttr unique or narrow UserFilter)")

// findUser searches for the one entry whose UserAttr is user.
func (s *Source) findUser(c *conn, user string) (*goldap.Entry, error) {
	e, err := s.searchUser(c, s.cfg.UserAttr, user)
	if err == nil && e == nil {
		_ = c.bind(dummyRDN+","+s.cfg.BaseDN, dummyPassword) // for its time only
		return nil, authsrc.ErrInvalidCredentials
	}
	return e, err
}

// searchUser searches below BaseDN for the one user entry whose attr is
// value; nil when there is none.
func (s *Source) searchUser(c *conn, attr, value string) (*goldap.Entry, error) {
	req := s.searchRequest(s.cfg.BaseDN, s.cfg.Scope, 2,
		and(s.cfg.UserFilter, eq(attr, value)), s.userAttrs())
	res, err := c.search(req)
	if isCode(err, goldap.LDAPResultSizeLimitExceeded) || (err == nil && len(res.Entries) > 1) {
		return nil, final(fmt.Errorf("user search for %s=%q below %s %w", attr, sanitize(value), s.cfg.BaseDN, errAmbiguous))
	}
	if err != nil {
		return nil, fmt.Errorf("user search below %s: %w", s.cfg.BaseDN, err)
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	return res.Entries[0], nil
}

// readOwnEntry reads, as the user just bound, the entry at dn. A bind can
// succeed for a DN with no entry (slapd's rootdn) or one outside UserFilter:
// neither is a user of ours.
func (s *Source) readOwnEntry(c *conn, dn string) (*goldap.Entry, error) {
	e, err := s.readEntry(c, dn)
	if err == nil && e == nil {
		s.cfg.Logger.Warn("ldap: bind succeeded but the entry is not readable or does not match UserFilter; login refused",
			"dn", sanitize(dn))
		return nil, authsrc.ErrInvalidCredentials
	}
	return e, err
}

// readEntry reads the user entry at dn; nil when there is none, it does
// not match UserFilter, or the server refuses dn as malformed: a name
// looked up, made into a DN the server will not take, is nobody's.
func (s *Source) readEntry(c *conn, dn string) (*goldap.Entry, error) {
	filter := s.cfg.UserFilter
	if filter == "" {
		filter = "(objectClass=*)"
	}
	req := s.searchRequest(dn, "", 1, filter, s.userAttrs())
	req.Scope = goldap.ScopeBaseObject
	res, err := c.search(req)
	if isCode(err, goldap.LDAPResultNoSuchObject, goldap.LDAPResultInvalidDNSyntax) || (err == nil && len(res.Entries) != 1) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read user entry: %w", err)
	}
	return res.Entries[0], nil
}

// identity builds what the ticket will carry from the user's entry, c being
// bound as the user.
func (s *Source) identity(ctx context.Context, c *conn, e *goldap.Entry, typed string) (authsrc.Identity, error) {
	login := loginValue(e, s.cfg.UserAttr, typed)
	id := authsrc.Identity{User: login}
	if a := s.cfg.UserNameAttr; a != "" {
		if id.User = e.GetEqualFoldAttributeValue(a); id.User == "" {
			return authsrc.Identity{}, final(fmt.Errorf("user entry %s has no %s (UserNameAttr)", e.DN, a))
		}
	}
	if a := s.cfg.DataAttr; a != "" {
		id.Data = e.GetEqualFoldAttributeValue(a)
	}

	var names []string
	if a := s.cfg.MemberOfAttr; a != "" {
		for _, dn := range e.GetEqualFoldAttributeValues(a) {
			name, err := groupNameFromDN(dn)
			if err != nil {
				s.cfg.Logger.WarnContext(ctx, "ldap: ignoring a group DN that does not parse",
					"attr", a, "dn", sanitize(dn), "user", id.User, "err", err)
				continue
			}
			names = append(names, name)
		}
	}
	if s.cfg.GroupBaseDN != "" {
		// The user may not be allowed to read groups; the account that
		// searched for the user is. In direct-bind mode without a service
		// account the user's own bind is all there is.
		if !s.cfg.directBind() || s.cfg.BindDN != "" {
			if err := s.searchBind(c); err != nil {
				return authsrc.Identity{}, err
			}
		}
		found, err := s.findGroups(ctx, c, e, login)
		if err != nil {
			return authsrc.Identity{}, err
		}
		names = append(names, found...)
	}
	id.Groups = s.tokens(ctx, names, id.User)
	return id, nil
}

// findGroups lists the names of the groups whose GroupMemberAttr holds the
// user (login is the user's UserAttr value).
func (s *Source) findGroups(ctx context.Context, c *conn, e *goldap.Entry, login string) ([]string, error) {
	var member string
	switch a := s.cfg.GroupUserAttr; {
	case strings.EqualFold(a, "dn"):
		member = e.DN
	case strings.EqualFold(a, s.cfg.UserAttr):
		member = login
	default:
		member = e.GetEqualFoldAttributeValue(a)
	}
	if member == "" {
		s.cfg.Logger.WarnContext(ctx, "ldap: user entry lacks GroupUserAttr; no groups searched",
			"dn", e.DN, "attr", s.cfg.GroupUserAttr)
		return nil, nil
	}
	req := s.searchRequest(s.cfg.GroupBaseDN, s.cfg.GroupScope, 0,
		and(s.cfg.GroupFilter, eq(s.cfg.GroupMemberAttr, member)), []string{s.cfg.GroupNameAttr})
	res, err := c.search(req)
	if err != nil {
		return nil, fmt.Errorf("group search below %s: %w", s.cfg.GroupBaseDN, err)
	}
	names := make([]string, 0, len(res.Entries))
	for _, g := range res.Entries {
		name := g.GetEqualFoldAttributeValue(s.cfg.GroupNameAttr)
		if name == "" {
			s.cfg.Logger.WarnContext(ctx, "ldap: group has no GroupNameAttr; ignored",
				"dn", g.DN, "attr", s.cfg.GroupNameAttr)
			continue
		}
		names = append(names, name)
	}
	return names, nil
}

// tokens turns group names into ticket tokens: sorted, without duplicates,
// and without the names a ticket cannot carry, which are logged and dropped
// rather than failing the login.
func (s *Source) tokens(ctx context.Context, names []string, user string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !validToken(n) {
			s.cfg.Logger.WarnContext(ctx, "ldap: group name cannot be a ticket token; dropped",
				"group", sanitize(n), "user", user)
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// validToken reports whether a group name can be a ticket token: tokens are
// comma-separated inside a '!'-separated ticket, and whitespace or control
// characters do not survive cookies and headers.
func validToken(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '!' || r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// groupNameFromDN names a group by its DN's first value:
// cn=admins,ou=groups,dc=example,dc=org is "admins".
func groupNameFromDN(dn string) (string, error) {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return "", err
	}
	if len(parsed.RDNs) == 0 || len(parsed.RDNs[0].Attributes) == 0 {
		return "", errors.New("empty DN")
	}
	return parsed.RDNs[0].Attributes[0].Value, nil
}

// loginValue is the entry's value of attr that the user typed (the server
// matched it ignoring case, so pick the one that matches), or its first one,
// or, when the entry has none (direct bind by another attribute), what was
// typed.
func loginValue(e *goldap.Entry, attr, typed string) string {
	values := e.GetEqualFoldAttributeValues(attr)
	for _, v := range values {
		if strings.EqualFold(v, typed) {
			return v
		}
	}
	if len(values) > 0 {
		return values[0]
	}
	return typed
}

// userAttrs are the attributes read from a user entry.
func (s *Source) userAttrs() []string {
	attrs := []string{s.cfg.UserAttr}
	for _, a := range []string{s.cfg.UserNameAttr, s.cfg.DataAttr, s.cfg.MemberOfAttr} {
		if a != "" {
			attrs = append(attrs, a)
		}
	}
	if s.cfg.GroupBaseDN != "" && !strings.EqualFold(s.cfg.GroupUserAttr, "dn") {
		attrs = append(attrs, s.cfg.GroupUserAttr)
	}
	return attrs
}

func (s *Source) searchRequest(base string, scope Scope, sizeLimit int, filter string, attrs []string) *goldap.SearchRequest {
	sc := goldap.ScopeWholeSubtree
	if scope == ScopeOne {
		sc = goldap.ScopeSingleLevel
	}
	// The server's own time limit (whole seconds) backs up our socket
	// deadline, so a slow search stops on the server too.
	limit := int(math.Ceil(s.cfg.OpTimeout.Seconds()))
	return goldap.NewSearchRequest(base, sc, goldap.NeverDerefAliases, sizeLimit, limit, false, filter, attrs, nil)
}

// eq is the filter (attr=value), value escaped so that no character of it
// can end the filter, open another, or act as a wildcard.
func eq(attr, value string) string {
	return "(" + attr + "=" + goldap.EscapeFilter(value) + ")"
}

// and narrows filter f (possibly empty) by g.
func and(f, g string) string {
	if f == "" {
		return g
	}
	return "(&" + f + g + ")"
}
