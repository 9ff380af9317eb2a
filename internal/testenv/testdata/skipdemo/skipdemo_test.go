// Package skipdemo is run by testenv's TestRunSummaryUnderGoTest: one test
// skipped by Need, one passed.
package skipdemo

import (
	"errors"
	"os"
	"testing"

	"github.com/tkt-sso/tkt/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestNeedsAServer(t *testing.T) {
	testenv.Need(t, "a server that is never there", errors.New("absent"))
}

func TestPasses(t *testing.T) {}
