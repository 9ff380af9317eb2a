package config

import (
	"strings"
	"testing"
)

// TestYAMLTab: a tab in the indentation is named, with its line, rather
// than as "found character that cannot start any token".
func TestYAMLTab(t *testing.T) {
	_, err := Parse([]byte("listen: 127.0.0.1:9000\nticket:\n\tdigest: md5\n"), nil)
	want := "line 3 is indented with a tab: YAML indents with spaces only; replace the tab with spaces (yaml: line 3: found character that cannot start any token)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = Parse([]byte("ticket:\n  digest: [md5\n"), nil)
	if err == nil || strings.Contains(err.Error(), "tab") || !strings.Contains(err.Error(), "not a YAML map of settings") {
		t.Errorf("another syntax error: %v", err)
	}
	if _, err := Parse([]byte("ticket:\n  digest: md5\n  timeout:\t2h\n"), nil); err != nil {
		t.Errorf("a tab after the colon is fine in YAML: %v", err)
	}
}
