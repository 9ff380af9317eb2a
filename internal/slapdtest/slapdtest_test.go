package slapdtest_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/tkt-sso/tkt/internal/slapdtest"
)

// TestStart checks the harness itself: the entries it loads are there, the
// admin may write, a user and the Skeleton's service account can bind with
// an SSHA password, and Stop takes the server down.
func TestStart(t *testing.T) {
	var l slapdtest.LDIF
	l.Skeleton("dc=test,dc=net")
	s := slapdtest.Start(t, slapdtest.Config{Suffix: "dc=test,dc=net", LDIF: l.String()})
	if s.BaseDN != "dc=test,dc=net" || s.AdminDN != "cn=admin,dc=test,dc=net" || s.AdminPassword != slapdtest.DefaultAdminPassword {
		t.Fatalf("server names: %+v", s)
	}
	var u slapdtest.LDIF
	u.Entry("uid=ann,dc=test,dc=net", "objectClass", "inetOrgPerson", "uid", "ann", "cn", "ann", "sn", "A",
		"userPassword", slapdtest.SSHA("Ann-pw"))
	s.AddLDIF(t, u.String())

	for _, url := range []string{s.URL, s.TLSURL} {
		var opts []goldap.DialOpt
		if strings.HasPrefix(url, "ldaps") {
			opts = append(opts, goldap.DialWithTLSConfig(tlsConfig(t, s)))
		}
		c, err := goldap.DialURL(url, opts...)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if err := c.Bind("uid=ann,dc=test,dc=net", "Ann-pw"); err != nil {
			t.Errorf("%s: bind: %v", url, err)
		}
		if err := c.Bind("uid=ann,dc=test,dc=net", "wrong"); !goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			t.Errorf("%s: wrong password: %v", url, err)
		}
		if err := c.Bind("cn=svc,dc=test,dc=net", slapdtest.ServicePassword); err != nil {
			t.Errorf("%s: bind as the service account: %v", url, err)
		}
		c.Close()
	}

	s.Stop()
	s.Stop() // twice is fine
	host, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(s.URL, "ldap://"), "/"))
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second); err == nil {
		c.Close()
		t.Errorf("server still listening on %s after Stop", s.URL)
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Errorf("URL %q has no port", s.URL)
	}
}
