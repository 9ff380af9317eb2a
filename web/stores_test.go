package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/authsrc/ldap"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
	"github.com/tkt-sso/tkt/internal/slapdtest"
	"github.com/tkt-sso/tkt/internal/sqltest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/web"
)

// The one user every store behind the portal holds.
const (
	storeUser = "carol"
	storePass = "Carol-pw-1 ü"
	storeData = "carol's data"
	storeBack = "https://app.example.com/after?login=1"
)

var storeGroups = []string{"admins", "staff"}

// storeCase is a real user store holding storeUser. down makes the store
// unreachable and returns the Source the portal should then be given (the
// same one, except for htpasswd, see below).
type storeCase struct {
	name     string
	wantData string
	open     func(t *testing.T) (src authsrc.Source, down func() authsrc.Source)
}

func storeCases() []storeCase {
	return []storeCase{
		{"htpasswd", "", openHtpasswd},
		{"sqlite", storeData, func(t *testing.T) (authsrc.Source, func() authsrc.Source) {
			s, err := sqlstore.OpenDataDir(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return sqlDown(t, s)
		}},
		{"postgres", storeData, func(t *testing.T) (authsrc.Source, func() authsrc.Source) {
			dsn, _ := sqltest.Postgres(t)
			return sqlDown(t, openSQL(t, sqlstore.Config{Driver: "pgx", DSN: dsn}))
		}},
		{"mariadb", storeData, func(t *testing.T) (authsrc.Source, func() authsrc.Source) {
			dsn, _ := sqltest.MariaDB(t)
			return sqlDown(t, openSQL(t, sqlstore.Config{Driver: "mysql", DSN: dsn}))
		}},
		{"slapd", storeData, openSlapd},
	}
}

// openHtpasswd writes a bcrypt (cost 4) htpasswd file and a group file. An
// htpasswd store that has loaded once keeps its last good table whatever
// happens to the file, by design, so "down" is the one state in which it
// fails: a store whose file has never been readable (Lazy, file absent).
func openHtpasswd(t *testing.T) (authsrc.Source, func() authsrc.Source) {
	dir := t.TempDir()
	h, err := pwhash.Bcrypt(storePass, 4)
	if err != nil {
		t.Fatal(err)
	}
	pw, gr := filepath.Join(dir, "htpasswd"), filepath.Join(dir, "groups")
	testenv.WriteFile(t, pw, storeUser+":"+h+"\nother:"+h+"\n", 0o600)
	testenv.WriteFile(t, gr, "staff: other "+storeUser+"\nadmins: "+storeUser+"\nnobody: other\n", 0o600)
	s, err := htpasswd.New(htpasswd.Config{Path: pw, GroupPath: gr})
	if err != nil {
		t.Fatal(err)
	}
	return s, func() authsrc.Source {
		missing, err := htpasswd.New(htpasswd.Config{Path: filepath.Join(dir, "absent"), Lazy: true})
		if err != nil {
			t.Fatal(err)
		}
		return missing
	}
}

func openSQL(t *testing.T, c sqlstore.Config) *sqlstore.Store {
	t.Helper()
	c.BcryptCost, c.QueryTimeout = 4, 3*time.Second
	s, err := sqlstore.Open(context.Background(), c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// sqlDown adds storeUser to s; down closes the store, as a shutdown or a
// lost pool would leave it.
func sqlDown(t *testing.T, s *sqlstore.Store) (authsrc.Source, func() authsrc.Source) {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.AddUser(ctx, storeUser, storePass, storeGroups, storeData); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, "other", storePass, []string{"nobody"}, ""); err != nil {
		t.Fatal(err)
	}
	return s, func() authsrc.Source {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// openSlapd starts a real slapd with storeUser in two groupOfNames and
// searches then binds with a service account; down stops the server.
func openSlapd(t *testing.T) (authsrc.Source, func() authsrc.Source) {
	srv := slapdtest.Start(t, slapdtest.Config{})
	base := srv.BaseDN
	var l slapdtest.LDIF
	l.Skeleton(base)
	person := func(uid, data string) string {
		dn := "uid=" + uid + ",ou=people," + base
		attrs := []string{"objectClass", "inetOrgPerson", "uid", uid, "cn", uid, "sn", "Test", "userPassword", slapdtest.SSHA(storePass)}
		if data != "" {
			attrs = append(attrs, "description", data)
		}
		l.Entry(dn, attrs...)
		return dn
	}
	carol, other := person(storeUser, storeData), person("other", "")
	l.Entry("cn=admins,ou=groups,"+base, "objectClass", "groupOfNames", "cn", "admins", "member", carol)
	l.Entry("cn=staff,ou=groups,"+base, "objectClass", "groupOfNames", "cn", "staff", "member", carol, "member", other)
	l.Entry("cn=nobody,ou=groups,"+base, "objectClass", "groupOfNames", "cn", "nobody", "member", other)
	srv.AddLDIF(t, l.String())

	s, err := ldap.New(ldap.Config{
		URLs: []string{srv.URL}, StartTLS: true, CAFile: srv.CAFile,
		ConnectTimeout: time.Second, OpTimeout: 2 * time.Second,
		BindDN: "cn=svc," + base, BindPassword: slapdtest.ServicePassword,
		BaseDN: "ou=people," + base, UserFilter: "(objectClass=inetOrgPerson)",
		GroupBaseDN: "ou=groups," + base, GroupFilter: "(objectClass=groupOfNames)", GroupMemberAttr: "member",
		DataAttr: "description",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, func() authsrc.Source { srv.Stop(); return s }
}

// TestStoresBehindPortal logs in over HTTP through a Portal in front of
// every real store: the right ticket on success, the wrong-credentials
// page for a wrong password, and the unavailable page (fail closed, no
// cookie) once the store is down.
func TestStoresBehindPortal(t *testing.T) {
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			src, down := sc.open(t)
			tc := ticket.Config{Digest: ticket.SHA256, Secret: "store-test-secret-0123456789", Timeout: time.Hour}
			portal, err := web.New(web.Config{
				Ticket: tc, Source: src, AllowedRedirects: []string{"app.example.com"},
				Throttle: web.ThrottleConfig{Disabled: true}, StoreTimeout: 5 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(portal)
			t.Cleanup(srv.Close)
			start := time.Now()

			// Success: 303 to back, with a ticket a validator configured
			// like the portal accepts.
			resp, _ := testenv.Login(t, testenv.Browser(t), srv.URL, storeUser, storePass, storeBack)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != storeBack {
				t.Fatalf("login: %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), storeBack)
			}
			value, _ := testenv.SetCookieValue(resp, ticket.DefaultCookieName)
			if value == "" {
				t.Fatal("login set no ticket cookie")
			}
			v, err := ticket.NewVerifier(tc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(value, netip.MustParseAddr("127.0.0.1"), time.Now())
			if err != nil {
				t.Fatalf("ticket does not verify: %v", err)
			}
			type view struct {
				UID, Data string
				Tokens    []string
			}
			tokens := got.Tokens.Groups().List()
			slices.Sort(tokens)
			if d := cmp.Diff(view{storeUser, sc.wantData, storeGroups}, view{got.UID, got.Data, tokens}); d != "" {
				t.Errorf("ticket (-want +got):\n%s", d)
			}
			if got.Time.Before(start.Truncate(time.Second)) || got.Time.After(time.Now()) {
				t.Errorf("ticket time %v, want now", got.Time)
			}

			// A wrong password: 401 and the wrong-credentials page.
			resp, body := testenv.Login(t, testenv.Browser(t), srv.URL, storeUser, storePass+"x", storeBack)
			checkFailure(t, "wrong password", resp, body, http.StatusUnauthorized, "wrong_credentials")

			// The store down: 503 and the unavailable page, never a ticket.
			if err := portal.Reload(web.Config{
				Ticket: tc, Source: down(), AllowedRedirects: []string{"app.example.com"},
				Throttle: web.ThrottleConfig{Disabled: true}, StoreTimeout: 5 * time.Second,
			}); err != nil {
				t.Fatal(err)
			}
			resp, body = testenv.Login(t, testenv.Browser(t), srv.URL, storeUser, storePass, storeBack)
			checkFailure(t, "store down", resp, body, http.StatusServiceUnavailable, "unavailable")
		})
	}
}

func checkFailure(t *testing.T, what string, resp *http.Response, body string, status int, reason string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d", what, resp.StatusCode, status)
	}
	if !strings.Contains(body, `data-reason="`+reason+`"`) {
		t.Errorf("%s: page does not give reason %q:\n%.600s", what, reason, body)
	}
	if _, set := testenv.SetCookieValue(resp, ticket.DefaultCookieName); set {
		t.Errorf("%s: a ticket cookie was set", what)
	}
}
