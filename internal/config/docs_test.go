package config

import (
	"os"
	"strings"
	"testing"
)

// The YAML of README.md and docs/proxies.md that configures forward_auth
// or the gate is a configuration tktd takes: every key known, every rule
// valid.
func TestDocsForwardAuthExamples(t *testing.T) {
	for _, file := range []string{"../../README.md", "../../docs/proxies.md"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, block := range strings.Split(string(b), "```yaml\n")[1:] {
			y, _, _ := strings.Cut(block, "```")
			if !strings.Contains(y, "forward_auth:") && !strings.Contains(y, "gate:") {
				continue
			}
			n++
			c, probs, err := decode([]byte(y), nil, nil)
			if err != nil {
				t.Errorf("%s: %v\n%s", file, err, y)
				continue
			}
			c.validateForwardAuth(&probs)
			if len(probs) > 0 {
				t.Errorf("%s: %v\n%s", file, probs.err(), y)
			}
		}
		if n == 0 {
			t.Errorf("%s: no forward_auth or gate example found", file)
		}
	}
}
