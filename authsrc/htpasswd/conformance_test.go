package htpasswd

import (
	"strings"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// hostile is a user name with every character the suite asks for that an
// htpasswd file can hold (not ':', and not '#' first, which Apache reads as
// a comment).
const hostile = `*()\,=+<>#;"'`

// longName is as long as htpasswd lets a name be in every format: it
// refuses a record (name, ':', hash) over 255 bytes, and a sha512-crypt hash
// takes 106 of them.
var longName = "long-ü-" + strings.Repeat("x", 132)

// formats is every hash format Apache's htpasswd writes. DES reads only
// eight bytes of a password, so its passwords are shorter: the suite's
// "password + x" must stay a wrong password.
var formats = []struct {
	name  string
	flags []string
	plain bool
	short bool
}{
	{"bcrypt", []string{"-B", "-C", "4"}, false, false},
	{"apr1", []string{"-m"}, false, false},
	{"sha1", []string{"-s"}, false, false},
	{"sha256crypt", []string{"-2"}, false, false},
	{"sha512crypt", []string{"-5"}, false, false},
	{"crypt", []string{"-d"}, false, true},
	{"plain", []string{"-p"}, true, false},
}

var groupFile = `# Apache AuthGroupFile: group: members
admins: alice "Jürgen 山田"
staff: alice ` + hostile + `
readers: ` + longName + `
readers: alice
`

func TestConformance(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			authsrctest.Run(t, func(t *testing.T) authsrctest.Fixture {
				pw := func(long, short string) string {
					if f.short {
						return short
					}
					return long
				}
				users := []authsrctest.User{
					{Name: "alice", Password: pw("Alice-pw-1", "Al1ce-p"), Groups: []string{"admins", "readers", "staff"}},
					{Name: hostile, Password: pw("hostile-pw-2", "h0st1l"), Groups: []string{"staff"}},
					{Name: "Jürgen 山田", Password: pw("ünïcødé-pw✓", "ünïc"), Groups: []string{"admins"}},
					{Name: longName, Password: pw("long-pw-4", "l0ng-p"), Groups: []string{"readers"}},
					{Name: "nogroup", Password: pw("no-group-pw-5", "n0-grp"), Groups: []string{}},
				}
				dir := t.TempDir()
				var accounts []account
				for _, u := range users {
					accounts = append(accounts, account{u.Name, u.Password})
				}
				writeWithTool(t, dir+"/htpasswd", f.flags, accounts...)
				testenv.WriteFile(t, dir+"/groups", groupFile, 0o600)
				cfg := Config{Path: dir + "/htpasswd", GroupPath: dir + "/groups", AllowPlain: f.plain}
				return authsrctest.Fixture{
					Source: newStore(t, cfg),
					Users:  users,
					Down: func(t *testing.T) authsrc.Source {
						// A store whose file never existed: it can't say
						// yes or no. (One whose file vanishes after a good
						// load keeps answering from that load.)
						down := cfg
						down.Path, down.Lazy = t.TempDir()+"/missing", true
						return newStore(t, down)
					},
				}
			})
		})
	}
}
