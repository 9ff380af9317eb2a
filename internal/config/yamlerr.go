package config

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// yamlSyntaxError explains a YAML syntax error in data. For a tab in the
// indentation, the commonest one in a hand-edited file, the YAML library
// says "found character that cannot start any token", without the word
// tab: this says it, with the line.
func yamlSyntaxError(data []byte, err error) error {
	if _, rest, ok := strings.Cut(err.Error(), "line "); ok {
		digits, _, _ := strings.Cut(rest, ":")
		if n, aerr := strconv.Atoi(digits); aerr == nil && tabIndented(data, n) {
			return fmt.Errorf("line %d is indented with a tab: YAML indents with spaces only; replace the tab with spaces (%w)", n, err)
		}
	}
	return fmt.Errorf("not a YAML map of settings: %w", err)
}

// tabIndented reports whether line n (from 1) of data has a tab in its
// leading blanks.
func tabIndented(data []byte, n int) bool {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return false
	}
	line := lines[n-1]
	indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
	return bytes.IndexByte(indent, '\t') >= 0
}
