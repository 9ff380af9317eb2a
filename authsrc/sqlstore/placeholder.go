package sqlstore

import (
	"errors"
	"fmt"
	"strings"
)

// Placeholders: our own SQL is written with `?`; an administrator's queries
// may use `?` or `$1`. Either way each is rewritten into the driver's style
// (`$1` for PostgreSQL, `?` for SQLite and MySQL), which needs a scanner that
// knows where a `?` is SQL and where it is text inside a literal, a quoted
// identifier or a comment.

// ErrPlaceholder is returned for a configured query that does not hold
// exactly one parameter placeholder.
var ErrPlaceholder = errors.New("query must contain exactly one placeholder (? or $1) for the user name")

// placeholder is one parameter marker found in a query.
type placeholder struct {
	start, end int // query[start:end] is the marker
	num        int // the N of `$N` or `?N`; 1 for a bare `?`
}

// lexer options that differ by dialect.
type lexOpts struct {
	backslash   bool // backslash escapes inside quotes (MySQL)
	hashComment bool // # starts a comment (MySQL)
	dollarQuote bool // $tag$...$tag$ strings, nested /* */ (PostgreSQL)
	dashSpace   bool // -- starts a comment only before a blank (MySQL)
}

// scanPlaceholders returns the parameter markers in query outside literals,
// quoted identifiers and comments. It refuses unterminated quotes and
// comments: such a query can't be checked, so it isn't run.
func scanPlaceholders(query string, o lexOpts) ([]placeholder, error) {
	var out []placeholder
scan:
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			esc := o.backslash && c != '`' || c == '\'' && o.dollarQuote && i > 0 && (query[i-1] == 'E' || query[i-1] == 'e') && !identBefore(query, i-1)
			end, ok := skipQuoted(query, i, esc)
			if !ok {
				return nil, fmt.Errorf("unterminated %c quote at byte %d", c, i)
			}
			i = end
		case c == '-' && strings.HasPrefix(query[i:], "--") && (!o.dashSpace || i+2 == len(query) || isBlank(query[i+2])),
			c == '#' && o.hashComment:
			nl := strings.IndexByte(query[i:], '\n')
			if nl < 0 {
				break scan
			}
			i += nl + 1
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end, ok := skipBlockComment(query, i, o.dollarQuote)
			if !ok {
				return nil, fmt.Errorf("unterminated /* comment at byte %d", i)
			}
			i = end
		case c == '$' && !identBefore(query, i):
			j := i + 1
			for j < len(query) && isDigit(query[j]) {
				j++
			}
			if j > i+1 {
				out = append(out, placeholder{start: i, end: j, num: atoi(query[i+1 : j])})
				i = j
				continue
			}
			if o.dollarQuote {
				if end, isQuote, ok := skipDollarQuoted(query, i); isQuote {
					if !ok {
						return nil, fmt.Errorf("unterminated dollar quote at byte %d", i)
					}
					i = end
					continue
				}
			}
			i++
		case c == '?':
			j := i + 1
			for j < len(query) && isDigit(query[j]) {
				j++
			}
			n := 1 // a bare ? is the next parameter: the first, in a one-parameter query
			if j > i+1 {
				n = atoi(query[i+1 : j])
			}
			out = append(out, placeholder{start: i, end: j, num: n})
			i = j
		default:
			i++
		}
	}
	// A marker touching a name or number would lex differently once
	// rewritten (x? would become the identifier x$1), so refuse it.
	for _, p := range out {
		if identBefore(query, p.start) || p.end < len(query) && isIdent(query[p.end]) {
			return nil, fmt.Errorf("placeholder at byte %d touches a name or number: put a blank around it", p.start)
		}
	}
	return out, nil
}

// bindOne checks that query holds exactly one placeholder and returns it in
// the driver's style. A configured query gets the user name and nothing else,
// so more than one marker is a mistake we report at Open, not at login.
func bindOne(query string, o lexOpts, dollar bool) (string, error) {
	ps, err := scanPlaceholders(query, o)
	if err != nil {
		return "", err
	}
	if len(ps) != 1 {
		return "", fmt.Errorf("%w: found %d", ErrPlaceholder, len(ps))
	}
	if n := ps[0].num; n != 1 {
		return "", fmt.Errorf("%w: found parameter number %d", ErrPlaceholder, n)
	}
	return rewrite(query, ps, dollar), nil
}

// rebind rewrites our own ?-style SQL for the driver. Our queries are
// constants checked by the tests, so a scan error is a bug.
func rebind(query string, o lexOpts, dollar bool) string {
	ps, err := scanPlaceholders(query, o)
	if err != nil {
		panic("sqlstore: bad built-in query: " + err.Error())
	}
	return rewrite(query, ps, dollar)
}

func rewrite(query string, ps []placeholder, dollar bool) string {
	var b strings.Builder
	last := 0
	for i, p := range ps {
		b.WriteString(query[last:p.start])
		if dollar {
			fmt.Fprintf(&b, "$%d", i+1)
		} else {
			b.WriteByte('?')
		}
		last = p.end
	}
	b.WriteString(query[last:])
	return b.String()
}

// skipQuoted returns the index after the quote opened at query[i]; a doubled
// quote character is an escaped one, and so is a backslash pair when esc.
func skipQuoted(query string, i int, esc bool) (int, bool) {
	q := query[i]
	for j := i + 1; j < len(query); j++ {
		switch query[j] {
		case '\\':
			if esc {
				j++
			}
		case q:
			if j+1 < len(query) && query[j+1] == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}

// skipBlockComment returns the index after the comment opened at query[i].
// PostgreSQL nests block comments; MySQL and SQLite don't.
func skipBlockComment(query string, i int, nest bool) (int, bool) {
	depth := 0
	for j := i; j+1 < len(query); j++ {
		switch {
		case query[j] == '/' && query[j+1] == '*':
			if depth == 0 || nest {
				depth++
			}
			j++
		case query[j] == '*' && query[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// skipDollarQuoted handles PostgreSQL's $tag$...$tag$ at query[i]. isQuote
// is false when the $ does not open one (then it is just a character).
func skipDollarQuoted(query string, i int) (end int, isQuote, ok bool) {
	j := i + 1
	for j < len(query) && query[j] != '$' && isIdent(query[j]) {
		j++
	}
	if j >= len(query) || query[j] != '$' {
		return 0, false, false
	}
	tag := query[i : j+1]
	k := strings.Index(query[j+1:], tag)
	if k < 0 {
		return 0, true, false
	}
	return j + 1 + k + len(tag), true, true
}

// identBefore reports whether query[i] continues an identifier (a$1 is a
// name in PostgreSQL and MySQL, not a parameter).
func identBefore(query string, i int) bool {
	return i > 0 && isIdent(query[i-1])
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// atoi reads a placeholder number, saturating so that a huge one still
// counts as "not 1".
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<20 {
			return 1 << 20
		}
	}
	return n
}
