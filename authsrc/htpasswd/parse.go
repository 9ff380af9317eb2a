package htpasswd

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
)

// maxLine bounds one line of either file. Apache reads lines into
// MAX_STRING_LEN (8 KiB) buffers; the longest hash we accept is a few
// hundred bytes.
const maxLine = 8 << 10

// ParseError names the file and line of an entry that can't be used. Its
// text never holds a hash or a password.
type ParseError struct {
	File   string
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// userTable is what an htpasswd file holds: user name to stored hash.
type userTable map[string]string

// parseUsers reads an htpasswd file the way Apache's mod_authn_file does:
// leading and trailing white space is dropped, empty lines and lines
// starting with '#' are comments, the user name runs to the first ':' and
// the hash is the rest; for a name listed twice the first line wins. Unlike
// Apache, a line it can't use is an error (naming file and line) rather
// than silently skipped, and so is a hash Verify could never use: a broken
// file is better refused whole, keeping the last good one, than half
// applied. warn receives what is odd but harmless.
func parseUsers(data []byte, file string, v pwhash.Verifier, warn func(string)) (userTable, error) {
	users := userTable{}
	firstLine := map[string]int{}
	err := eachLine(data, file, func(n int, line string) error {
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			return &ParseError{file, n, "no ':' between user name and hash"}
		case user == "":
			return &ParseError{file, n, "empty user name"}
		case user != strings.TrimSpace(user):
			// Apache would keep the space as part of the name, which then
			// nobody types: a typo, and better reported.
			return &ParseError{file, n, fmt.Sprintf("user name %q ends with white space", user)}
		case strings.TrimSpace(hash) == "":
			return &ParseError{file, n, fmt.Sprintf("user %q has no hash", user)}
		}
		if err := v.Check(hash); err != nil {
			why := err.Error()
			if !v.AllowPlain && !strings.ContainsAny(hash, "${") {
				why += " (plain-text passwords need AllowPlain)"
			}
			return &ParseError{file, n, fmt.Sprintf("user %q: %s", user, why)}
		}
		if first, dup := firstLine[user]; dup {
			warn(fmt.Sprintf("%s:%d: user %q already defined on line %d; the first wins, as in Apache", file, n, user, first))
			return nil
		}
		if !utf8.ValidString(user) {
			warn(fmt.Sprintf("%s:%d: user name %q is not UTF-8 and can never log in", file, n, user))
		}
		firstLine[user] = n
		users[user] = hash
		return nil
	})
	return users, err
}

// groupTable maps a user to the sorted groups that list them.
type groupTable map[string][]string

// parseGroups reads an Apache AuthGroupFile (mod_authz_groupfile): lines of
// "group: user1 user2 ...", members separated by white space, a member
// with spaces in double or single quotes; a group may span several lines.
// Group names become ticket tokens, which mod_auth_tkt separates with
// commas, so a group name holding a comma or white space is an error.
func parseGroups(data []byte, file string) (groupTable, error) {
	members := map[string]map[string]bool{}
	err := eachLine(data, file, func(n int, line string) error {
		group, list, ok := strings.Cut(line, ":")
		group = strings.TrimSpace(group)
		switch {
		case !ok:
			return &ParseError{file, n, "no ':' after the group name"}
		case group == "":
			return &ParseError{file, n, "empty group name"}
		case strings.ContainsAny(group, ", \t"):
			return &ParseError{file, n, fmt.Sprintf("group name %q holds a comma or space, which a ticket token can't", group)}
		}
		users, err := confWords(list)
		if err != nil {
			return &ParseError{file, n, err.Error()}
		}
		for _, u := range users {
			if members[u] == nil {
				members[u] = map[string]bool{}
			}
			members[u][group] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	groups := groupTable{}
	for u, set := range members {
		for g := range set {
			groups[u] = append(groups[u], g)
		}
		slices.Sort(groups[u])
	}
	return groups, nil
}

// eachLine calls f with the number and the trimmed text of every line that
// is not empty or a comment.
func eachLine(data []byte, file string, f func(n int, line string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if err := f(n, line); err != nil {
			return err
		}
	}
	if sc.Err() != nil {
		return &ParseError{file, n + 1, fmt.Sprintf("line longer than %d bytes", maxLine)}
	}
	return nil
}

// confWords splits s into words as Apache's ap_getword_conf does: runs of
// non-space, or text in double or single quotes where a backslash escapes
// the quote character.
func confWords(s string) ([]string, error) {
	var words []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return words, nil
		}
		q := s[0]
		if q != '"' && q != '\'' {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			words = append(words, s[:end])
			s = s[end:]
			continue
		}
		var w strings.Builder
		i := 1
		for ; i < len(s) && s[i] != q; i++ {
			if s[i] == '\\' && i+1 < len(s) && s[i+1] == q {
				i++
			}
			w.WriteByte(s[i])
		}
		if i == len(s) {
			return nil, fmt.Errorf("unterminated %c quote", q)
		}
		words = append(words, w.String())
		s = s[i+1:]
	}
}
