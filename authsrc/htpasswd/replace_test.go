package htpasswd

import (
	"testing"
)

func TestReplaceHash(t *testing.T) {
	tests := []struct {
		name, in, user, old string
		want                string // "" for no replacement
	}{
		{"plain", "alice:OLD\nbob:B\n", "alice", "OLD", "alice:NEW\nbob:B\n"},
		{"last line without newline", "bob:B\nalice:OLD", "alice", "OLD", "bob:B\nalice:NEW"},
		{"CRLF and blanks kept", "  alice:OLD \r\n", "alice", "OLD", "  alice:NEW \r\n"},
		{"comment skipped", "#alice:OLD\nalice:OLD\n", "alice", "OLD", "#alice:OLD\nalice:NEW\n"},
		{"first line counts", "alice:OTHER\nalice:OLD\n", "alice", "OLD", ""},
		{"name is whole", "alice2:OLD\nalice:OLD\n", "alice", "OLD", "alice2:OLD\nalice:NEW\n"},
		{"hash with a colon", "alice:pa:ss\n", "alice", "pa:ss", "alice:NEW\n"},
		{"same text earlier on the line", "OLD:OLD\n", "OLD", "OLD", "OLD:NEW\n"},
		{"no such user", "bob:OLD\n", "alice", "OLD", ""},
	}
	for _, tt := range tests {
		got, ok := replaceHash([]byte(tt.in), tt.user, tt.old, "NEW")
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("%s: replaceHash(%q) = %q, %v; want %q", tt.name, tt.in, got, ok, tt.want)
		}
	}
}
