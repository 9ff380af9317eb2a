package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Scope is how far below its base DN a search looks.
type Scope string

// The scopes a search can have. The zero value means ScopeSub.
const (
	ScopeSub Scope = "sub" // the base entry and everything below it
	ScopeOne Scope = "one" // the base entry's direct children only
)

// Defaults for a zero Config.
const (
	DefaultTimeout       = 5 * time.Second
	DefaultUserAttr      = "uid"
	DefaultGroupMember   = "member"
	DefaultGroupNameAttr = "cn"
)

// Config says how to reach the directory and how users and groups are laid
// out in it. Fields left zero get the defaults documented on them; URLs and
// either BaseDN (search then bind) or UserDNTemplate (direct bind) must be
// set.
type Config struct {
	// URLs of the directory servers: ldap://host[:port] or
	// ldaps://host[:port]. They are tried in order; a server that cannot be
	// reached, or answers busy or unavailable, hands over to the next.
	URLs []string `koanf:"urls"`
	// StartTLS upgrades ldap:// connections to TLS before any password is
	// sent. It makes no sense with ldaps:// URLs, which are TLS already.
	StartTLS bool `koanf:"starttls"`
	// CAFile is a PEM bundle of the CAs that sign the servers' certificates;
	// empty means the system's roots.
	CAFile string `koanf:"ca_file"`
	// InsecureSkipVerify turns certificate checks off. For tests only: with
	// it anyone on the network path can read every password.
	InsecureSkipVerify bool `koanf:"insecure_skip_verify"`
	// ConnectTimeout bounds connecting (and the ldaps:// handshake) to one
	// server; OpTimeout bounds each LDAP operation. Both default to
	// DefaultTimeout; the request's context deadline, when sooner, wins.
	ConnectTimeout time.Duration `koanf:"connect_timeout"`
	OpTimeout      time.Duration `koanf:"op_timeout"`

	// BindDN and BindPassword are the service account that searches for
	// users (and groups). Both empty means anonymous search.
	BindDN       string `koanf:"bind_dn"`
	BindPassword string `koanf:"bind_password"`

	// BaseDN selects search then bind: users are looked up below BaseDN
	// with (&UserFilter(UserAttr=name)), exactly one entry must match, and
	// the password is checked by binding as that entry.
	BaseDN string `koanf:"base_dn"`
	// Scope of the user search; default ScopeSub.
	Scope Scope `koanf:"scope"`
	// UserFilter narrows which entries are users, e.g.
	// (objectClass=inetOrgPerson). In direct-bind mode the bound entry must
	// match it too. Empty means any entry.
	UserFilter string `koanf:"user_filter"`
	// UserAttr holds the login name; default "uid".
	UserAttr string `koanf:"user_attr"`

	// UserDNTemplate selects direct bind instead of a search: the password
	// is checked by binding as the DN it gives, with the typed name,
	// DN-escaped, in place of its one %s, which must be a whole attribute
	// value: uid=%s,ou=people,dc=example,dc=org.
	UserDNTemplate string `koanf:"user_dn_template"`

	// UserNameAttr, when set, names the attribute whose value is reported as
	// the user's name; by default it is the entry's UserAttr value, which
	// may differ in case from what was typed.
	UserNameAttr string `koanf:"user_name_attr"`
	// DataAttr, when set, names the attribute that becomes the ticket's
	// user data.
	DataAttr string `koanf:"data_attr"`

	// GroupBaseDN turns on the group search: groups are the entries below
	// it matching (&GroupFilter(GroupMemberAttr=<user>)), named by their
	// GroupNameAttr.
	GroupBaseDN string `koanf:"group_base_dn"`
	// GroupScope of the group search; default ScopeSub.
	GroupScope Scope `koanf:"group_scope"`
	// GroupFilter narrows which entries are groups, e.g.
	// (objectClass=groupOfNames). Empty means any entry.
	GroupFilter string `koanf:"group_filter"`
	// GroupMemberAttr is the group attribute that lists members: "member"
	// (the default) or "uniqueMember" hold user DNs, "memberUid" holds user
	// names.
	GroupMemberAttr string `koanf:"group_member_attr"`
	// GroupUserAttr is what GroupMemberAttr holds of a user: "dn" for the
	// entry's DN, or the name of one of its attributes. The default is
	// UserAttr when GroupMemberAttr is memberUid, "dn" otherwise.
	GroupUserAttr string `koanf:"group_user_attr"`
	// GroupNameAttr names a group; default "cn".
	GroupNameAttr string `koanf:"group_name_attr"`
	// MemberOfAttr, when set (usually "memberOf"), lists the user's groups
	// on the user entry itself as group DNs; each group is named by the
	// value of its DN's first component. It can be combined with the group
	// search.
	MemberOfAttr string `koanf:"member_of_attr"`

	// Logger receives a line for every group name dropped and every server
	// failed over; nil means slog.Default().
	Logger *slog.Logger `koanf:"-"`
}

// directBind reports which of the two modes c selects.
func (c Config) directBind() bool { return c.UserDNTemplate != "" }

// withDefaults returns c with every zero field that has a default filled in.
func (c Config) withDefaults() Config {
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultTimeout
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultTimeout
	}
	if c.Scope == "" {
		c.Scope = ScopeSub
	}
	if c.GroupScope == "" {
		c.GroupScope = ScopeSub
	}
	if c.UserAttr == "" {
		c.UserAttr = DefaultUserAttr
	}
	if c.GroupMemberAttr == "" {
		c.GroupMemberAttr = DefaultGroupMember
	}
	if c.GroupNameAttr == "" {
		c.GroupNameAttr = DefaultGroupNameAttr
	}
	if c.GroupUserAttr == "" {
		c.GroupUserAttr = "dn"
		if strings.EqualFold(c.GroupMemberAttr, "memberUid") {
			c.GroupUserAttr = c.UserAttr
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// attrName is an attribute description as RFC 4512 allows it: a name or an
// OID, with options (";lang-en").
var attrName = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(;[A-Za-z0-9-]+)*$`)

// Validate reports every problem with c at once, so an operator fixes the
// configuration in one pass. It reads CAFile.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("ldap: "+format, a...))
	}

	if len(c.URLs) == 0 {
		add("no server URLs")
	}
	for i, raw := range c.URLs {
		srv, err := parseServerURL(raw)
		if err != nil {
			add("URLs[%d]: %v", i, err)
			continue
		}
		if srv.tls && c.StartTLS {
			add("URLs[%d]: StartTLS with %s: an ldaps:// connection is TLS already", i, srv.url)
		}
	}
	if _, err := loadCA(c.CAFile); err != nil {
		add("%v", err)
	}
	if c.ConnectTimeout < 0 {
		add("ConnectTimeout %v is negative", c.ConnectTimeout)
	}
	if c.OpTimeout < 0 {
		add("OpTimeout %v is negative", c.OpTimeout)
	}

	if (c.BindDN == "") != (c.BindPassword == "") {
		// A DN without a password is an unauthenticated bind that servers
		// accept as anonymous: a silent downgrade, never what was meant.
		add("BindDN and BindPassword must be set together (both empty means anonymous search)")
	}
	checkDN := func(field, dn string) {
		if dn == "" {
			return
		}
		if _, err := goldap.ParseDN(dn); err != nil {
			add("%s %q: %v", field, dn, err)
		}
	}
	checkDN("BindDN", c.BindDN)
	checkDN("BaseDN", c.BaseDN)
	checkDN("GroupBaseDN", c.GroupBaseDN)

	switch {
	case c.UserDNTemplate != "" && c.BaseDN != "":
		add("set either BaseDN (search then bind) or UserDNTemplate (direct bind), not both")
	case c.UserDNTemplate == "" && c.BaseDN == "":
		add("set BaseDN (search then bind) or UserDNTemplate (direct bind)")
	case c.UserDNTemplate != "":
		if _, err := parseTemplate(c.UserDNTemplate); err != nil {
			add("%v", err)
		}
	}

	checkScope := func(field string, s Scope) {
		if s != "" && s != ScopeSub && s != ScopeOne {
			add("%s %q: want %q or %q", field, s, ScopeSub, ScopeOne)
		}
	}
	checkScope("Scope", c.Scope)
	checkScope("GroupScope", c.GroupScope)

	checkFilter := func(field, f string) {
		if f == "" {
			return
		}
		if _, err := goldap.CompileFilter(f); err != nil {
			add("%s %q: %v", field, f, err)
		}
	}
	checkFilter("UserFilter", c.UserFilter)
	checkFilter("GroupFilter", c.GroupFilter)

	for _, a := range []struct{ field, value string }{
		{"UserAttr", c.UserAttr}, {"UserNameAttr", c.UserNameAttr},
		{"DataAttr", c.DataAttr}, {"GroupMemberAttr", c.GroupMemberAttr},
		{"GroupUserAttr", c.GroupUserAttr}, {"GroupNameAttr", c.GroupNameAttr},
		{"MemberOfAttr", c.MemberOfAttr},
	} {
		if a.value != "" && !attrName.MatchString(a.value) {
			add("%s %q is not an attribute name", a.field, a.value)
		}
	}
	if c.GroupBaseDN == "" && (c.GroupFilter != "" || c.GroupMemberAttr != "" || c.GroupUserAttr != "" || c.GroupNameAttr != "" || c.GroupScope != "") {
		add("group search settings given without GroupBaseDN")
	}
	return errors.Join(errs...)
}

// server is one parsed entry of Config.URLs.
type server struct {
	url  string // as configured (it holds no credentials): for errors and logs
	addr string // host:port to dial
	host string // for the certificate check
	tls  bool   // ldaps://
	// pace holds the server's invalid answers (pace.go); set by New.
	pace *bindPace
}

// parseServerURL accepts ldap:// and ldaps:// URLs naming only a host and
// port. Base DNs, filters and credentials have their own settings; taking
// them from the URL too would give two places to look.
func parseServerURL(raw string) (server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL itself might hold a password: don't echo it
		}
		return server{}, fmt.Errorf("bad server URL: %w", err)
	}
	if u.User != nil {
		return server{}, fmt.Errorf("server URL %s: credentials go in BindDN and BindPassword, not the URL", u.Redacted())
	}
	srv := server{url: raw}
	port := ""
	switch u.Scheme {
	case "ldap":
		port = "389"
	case "ldaps":
		port, srv.tls = "636", true
	default:
		return server{}, fmt.Errorf("server URL %q: scheme must be ldap or ldaps", raw)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return server{}, fmt.Errorf("server URL %q: give only scheme, host and port (the base DN goes in BaseDN)", raw)
	}
	srv.host = u.Hostname()
	if srv.host == "" {
		return server{}, fmt.Errorf("server URL %q: no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return server{}, fmt.Errorf("server URL %q: bad port %q", raw, p)
		}
		port = p
	}
	srv.addr = net.JoinHostPort(srv.host, port)
	return srv, nil
}

// loadCA reads a PEM bundle; an empty name means the system roots (nil).
func loadCA(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CAFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CAFile %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// tlsConfigFor is the TLS configuration for talking to srv: certificates
// checked against roots and srv's host name.
func (c Config) tlsConfigFor(srv server, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            roots,
		ServerName:         srv.host,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // documented as for tests only
	}
}
