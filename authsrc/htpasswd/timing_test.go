package htpasswd

import (
	"os"
	"strconv"
	"testing"

	"github.com/tkt-sso/tkt/authsrc/authsrctest"
)

// The review measured bcrypt cost 12 among cost 10; the tests keep the
// factor of four between the two at a lower cost, so that the 21 timed
// failures of a test take seconds, not tens of seconds, on a loaded machine.
const commonCost, costlierCost = 8, 10

var commonFlags = []string{"-B", "-C", strconv.Itoa(commonCost)}

// TestTimingCostlierUser replays finding 5 of the security review: one
// user's hash at a bcrypt cost four times the others'. A wrong password
// for that user must take as long as an unknown user's, and as a wrong
// password for anyone else: otherwise an attacker learns that the name
// exists and that it is the one with the costlier hash (an administrator,
// typically).
func TestTimingCostlierUser(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, commonFlags,
		account{"bob", "pw-bob"}, account{"carol", "pw-carol"}, account{"dave", "pw-dave"})
	appendLine(t, path, "admin:"+hashWithTool(t, []string{"-B", "-C", strconv.Itoa(costlierCost)}, "admin", "pw-admin"))
	s := newStore(t, Config{Path: path})

	authsrctest.CheckSimilar(t, authsrctest.TimeAttempts(t, s, authsrctest.TimingRounds,
		authsrctest.Attempt{Name: "unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "costlier user, wrong password", User: "admin", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "common user, wrong password", User: "bob", Password: "guess", Want: authsrctest.Invalid},
	)...)
}

// TestTimingCheapUser: a {SHA} user among bcrypt users. A wrong password
// for them costs a microsecond of hashing and must still take as long as
// anyone's; their right password stays fast.
func TestTimingCheapUser(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, commonFlags, account{"bob", "pw-bob"}, account{"carol", "pw-carol"})
	appendLine(t, path, "legacy:"+hashWithTool(t, []string{"-s"}, "legacy", "pw-legacy"))
	s := newStore(t, Config{Path: path})

	times := authsrctest.TimeAttempts(t, s, authsrctest.TimingRounds,
		authsrctest.Attempt{Name: "unknown user", User: "mallory", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "{SHA} user, wrong password", User: "legacy", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "bcrypt user, wrong password", User: "bob", Password: "guess", Want: authsrctest.Invalid},
		authsrctest.Attempt{Name: "{SHA} user, right password", User: "legacy", Password: "pw-legacy", Want: authsrctest.Accepted},
	)
	authsrctest.CheckSimilar(t, times[:3]...)
	if r := authsrctest.Ratio(times[3].Median, times[2].Median); r > 0.5 {
		t.Errorf("the {SHA} user's right password took %v, %.2f of a failure: a success must not wait", times[3].Median, r)
	}
}

func appendLine(t testing.TB, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}
