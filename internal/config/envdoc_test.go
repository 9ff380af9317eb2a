package config

import (
	"os"
	"strings"
	"testing"
)

// TestEnvironmentDoc: docs/environment.md lists the variable of every
// setting, so that the list stays whole as settings are added.
func TestEnvironmentDoc(t *testing.T) {
	b, err := os.ReadFile("../../docs/environment.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range SettingKeys() {
		if row := "| `" + EnvName(k) + "` | `" + k + "` |"; !strings.Contains(doc, row) {
			t.Errorf("docs/environment.md lacks the row %s", row)
		}
	}
	for _, name := range []string{"TKT_CONFIG", "TKT_SECRET", "TKT_DB_DRIVER", "TKT_DB_DSN", "TKT_SCREENSHOT_DIR"} {
		if !otherEnv(name) || !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("%s: known %v, documented %v", name, otherEnv(name), strings.Contains(doc, name))
		}
	}
}
