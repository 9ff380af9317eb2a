package apachetest

import (
	"os"
	"testing"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// TestMain reports the tests skipped for want of a real server or tool.
func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
