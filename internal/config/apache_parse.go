package config

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Limits on an Apache configuration given to ImportApache: real ones are
// far smaller, and the importer reads from users and fuzzers alike.
const (
	maxApacheSize = 4 << 20
	maxApacheLine = 64 << 10
	maxApacheNest = 64
)

// directive is one Apache configuration line.
type directive struct {
	name  string // as written; Apache matches names case-insensitively
	args  []string
	line  int    // where it starts
	scope string // "<VirtualHost *:80> <Location /app/>", or "" at top level
	vhost int    // index into apacheConf.vhosts, -1 outside any
	// sections are the words of each open section, outermost first
	// ({"Location", "/app/"}).
	sections [][]string
}

// where names d's place for messages.
func (d directive) where() string {
	if d.scope == "" {
		return fmt.Sprintf("line %d", d.line)
	}
	return fmt.Sprintf("line %d, %s", d.line, d.scope)
}

// vhost is what ImportApache needs of a <VirtualHost>: the host names it
// answers to.
type vhost struct {
	line  int
	names []string // ServerName, then ServerAlias values
}

type apacheConf struct {
	directives []directive
	vhosts     []vhost
	notes      []*remark
	byText     map[string]*remark
}

// remark is a Note made at one or more lines.
type remark struct {
	lines   []int
	warning bool
	text    string
}

// parseApache splits an Apache configuration into directives, tracking the
// <Section> each lies in. It follows Apache's own reading: a line whose
// first non-blank character is '#' is a comment, a trailing backslash
// continues a line, words are split at blanks unless quoted with " or ',
// and a backslash escapes a backslash or the quote.
func parseApache(r io.Reader) (*apacheConf, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxApacheSize+1))
	sc.Buffer(make([]byte, 0, 4096), maxApacheLine)
	conf := &apacheConf{byText: map[string]*remark{}}
	type section struct {
		name, label string
		line        int
		words       []string
	}
	var stack []section
	cur := -1 // current vhost
	read, lineNo := 0, 0
	for sc.Scan() {
		lineNo++
		read += len(sc.Bytes()) + 1
		if read > maxApacheSize {
			return nil, fmt.Errorf("more than %d bytes: not an Apache configuration snippet", maxApacheSize)
		}
		start := lineNo
		text := sc.Text()
		for strings.HasSuffix(text, "\\") && sc.Scan() {
			lineNo++
			read += len(sc.Bytes()) + 1
			if len(text)+len(sc.Bytes()) > maxApacheLine {
				return nil, fmt.Errorf("line %d: continued line longer than %d bytes", start, maxApacheLine)
			}
			text = strings.TrimSuffix(text, "\\") + " " + strings.TrimLeft(sc.Text(), " \t")
		}
		text = strings.TrimSpace(text)
		if text == "" || text[0] == '#' {
			continue
		}
		if text[0] == '<' {
			inner, ok := strings.CutSuffix(text[1:], ">")
			if !ok {
				conf.note(start, true, "section line %q does not end with '>'; ignored", cut(text, 60))
				continue
			}
			if name, closing := strings.CutPrefix(inner, "/"); closing {
				name = strings.TrimSpace(name)
				if len(stack) == 0 || !strings.EqualFold(stack[len(stack)-1].name, name) {
					conf.note(start, true, "</%s> closes no open <%s> section; ignored", name, name)
					continue
				}
				if strings.EqualFold(name, "VirtualHost") {
					cur = -1
				}
				stack = stack[:len(stack)-1]
				continue
			}
			words := splitWords(inner)
			if len(words) == 0 {
				conf.note(start, true, "empty section '<>'; ignored")
				continue
			}
			if len(stack) >= maxApacheNest {
				return nil, fmt.Errorf("line %d: sections nested more than %d deep", start, maxApacheNest)
			}
			stack = append(stack, section{name: words[0], label: "<" + cut(strings.Join(words, " "), 80) + ">", line: start, words: words})
			if strings.EqualFold(words[0], "VirtualHost") {
				conf.vhosts = append(conf.vhosts, vhost{line: start})
				cur = len(conf.vhosts) - 1
			}
			continue
		}
		words := splitWords(text)
		labels := make([]string, len(stack))
		sections := make([][]string, len(stack))
		for i, s := range stack {
			labels[i], sections[i] = s.label, s.words
		}
		d := directive{name: words[0], args: words[1:], line: start, scope: strings.Join(labels, " "), vhost: cur, sections: sections}
		conf.directives = append(conf.directives, d)
		if cur >= 0 && (strings.EqualFold(d.name, "ServerName") || strings.EqualFold(d.name, "ServerAlias")) {
			conf.vhosts[cur].names = append(conf.vhosts[cur].names, d.args...)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", lineNo+1, maxApacheLine)
		}
		return nil, err
	}
	for _, s := range stack {
		conf.note(s.line, true, "%s is never closed", s.label)
	}
	return conf, nil
}

// splitWords splits a line as Apache's ap_getword_conf does.
func splitWords(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\r\n\v\f")
		if s == "" {
			return out
		}
		var quote byte
		if s[0] == '"' || s[0] == '\'' {
			quote, s = s[0], s[1:]
		}
		var b strings.Builder
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if quote != 0 && c == quote || quote == 0 && strings.IndexByte(" \t\r\n\v\f", c) >= 0 {
				break
			}
			if c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || quote != 0 && s[i+1] == quote) {
				i++
				c = s[i]
			}
			b.WriteByte(c)
		}
		out = append(out, b.String())
		if quote != 0 && i < len(s) {
			i++ // the closing quote
		}
		s = s[i:]
	}
}

// cut shortens s for a message.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Note is a remark ImportApache makes about one line of the input (Line 0:
// the input as a whole). A warning means something was not carried over
// or needs a decision; other notes say where a setting went.
type Note struct {
	Line    int
	Warning bool
	Text    string
}

func (n Note) String() string {
	kind := "note"
	if n.Warning {
		kind = "warning"
	}
	if n.Line == 0 {
		return kind + ": " + n.Text
	}
	return fmt.Sprintf("line %d: %s: %s", n.Line, kind, n.Text)
}

// note makes a remark about line. The same remark at several lines (a
// directive repeated in every <VirtualHost>) becomes one Note.
func (c *apacheConf) note(line int, warning bool, format string, a ...any) {
	text := fmt.Sprintf(format, a...)
	key := fmt.Sprint(warning, text)
	if r := c.byText[key]; r != nil {
		r.lines = append(r.lines, line)
		return
	}
	r := &remark{lines: []int{line}, warning: warning, text: text}
	c.byText[key] = r
	c.notes = append(c.notes, r)
}

// finalNotes lists the remarks by the line each was first made at, those
// about the whole input last.
func (c *apacheConf) finalNotes() []Note {
	out := make([]Note, 0, len(c.notes))
	for _, r := range c.notes {
		n := Note{Line: r.lines[0], Warning: r.warning, Text: r.text}
		if more := r.lines[1:]; len(more) > 0 {
			shown := make([]string, 0, 5)
			for _, l := range more[:min(len(more), 5)] {
				shown = append(shown, strconv.Itoa(l))
			}
			n.Text += " (also at line " + strings.Join(shown, ", ")
			if len(more) > 5 {
				n.Text += fmt.Sprintf(" and %d more", len(more)-5)
			}
			n.Text += ")"
		}
		out = append(out, n)
	}
	slices.SortStableFunc(out, func(a, b Note) int {
		if (a.Line == 0) != (b.Line == 0) {
			return cmp.Compare(b.Line, a.Line) // 0 last
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return out
}
