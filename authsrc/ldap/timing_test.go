package ldap

import (
	"context"
	"testing"

	"github.com/tkt-sso/tkt/authsrc/authsrctest"
	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"github.com/tkt-sso/tkt/internal/slapdtest"
)

// timingDirectory is a directory whose users' userPassword is hash(pw).
func timingDirectory(t *testing.T, hash func(t *testing.T, pw string) string) *slapd {
	var w slapdtest.LDIF
	w.Entry(suffix, "objectClass", "dcObject", "objectClass", "organization", "o", "Example", "dc", "example")
	for _, ou := range []string{"people", "services"} {
		w.Entry("ou="+ou+","+suffix, "objectClass", "organizationalUnit", "ou", ou)
	}
	w.Entry(serviceDN, "objectClass", "applicationProcess", "objectClass", "simpleSecurityObject",
		"cn", "tkt-service", "userPassword", slapdtest.SSHA(servicePW))
	for _, u := range []string{"alice", "bob"} {
		w.Entry(userDN(u, "people"), "objectClass", "inetOrgPerson", "uid", u, "cn", u, "sn", "Test",
			"userPassword", hash(t, "pw-"+u))
	}
	return startSlapd(t, w.String())
}

// sshaHash is slappasswd's default, cheap to check: the review saw "a
// small gap" with it.
func sshaHash(_ *testing.T, pw string) string { return slapdtest.SSHA(pw) }

// cryptHash is a {CRYPT} bcrypt value, which slapd checks with crypt(3):
// the directory spends a bcrypt on every bind to an entry, and none on a
// bind to a DN it doesn't hold.
func cryptHash(t *testing.T, pw string) string {
	h, err := pwhash.Bcrypt(pw, 9)
	if err != nil {
		t.Fatal(err)
	}
	return "{CRYPT}" + h
}

// TestTimingUnknownUser: an unknown user's login must take as long as a
// known user's with a wrong password, however costly the directory's
// hashes, in both modes. Before tkt held invalid answers, a directory of
// bcrypt hashes answered the unknown user 20 times sooner.
func TestTimingUnknownUser(t *testing.T) {
	for _, dir := range []struct {
		name string
		hash func(*testing.T, string) string
		// check: the directory's check costs more than the noise of a
		// loaded machine, so that the ratio means something. With
		// {SSHA} every attempt takes a millisecond or two, scheduling
		// noise swamps any gap, and the times are only logged.
		check bool
	}{{"SSHA", sshaHash, false}, {"CRYPT-bcrypt", cryptHash, true}} {
		t.Run(dir.name, func(t *testing.T) {
			srv := timingDirectory(t, dir.hash)
			search := baseConfig(t, srv)
			search.BindDN, search.BindPassword, search.BaseDN = serviceDN, servicePW, suffix
			direct := baseConfig(t, srv)
			direct.UserDNTemplate = "uid=%s,ou=people," + suffix
			for name, cfg := range map[string]Config{"SearchBind": search, "DirectBind": direct} {
				t.Run(name, func(t *testing.T) {
					s := newSource(t, cfg)
					// The store learns the time of a bind from logins: a
					// real directory sees users log in before and between
					// an attacker's attempts.
					if _, err := s.Authenticate(context.Background(), "bob", "pw-bob"); err != nil {
						t.Fatal(err)
					}
					times := authsrctest.TimeAttempts(t, s, 11,
						authsrctest.Attempt{Name: "unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
						authsrctest.Attempt{Name: "known user, wrong password", User: "alice", Password: "guess", Want: authsrctest.Invalid},
						authsrctest.Attempt{Name: "known user, right password", User: "bob", Password: "pw-bob", Want: authsrctest.Accepted},
					)
					if dir.check {
						authsrctest.CheckSimilar(t, times[:2]...)
					} else {
						authsrctest.LogTimings(t, times...)
					}
				})
			}
		})
	}
}
