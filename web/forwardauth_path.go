package web

import "strings"

// How forward-auth rules see a request's path: one spelling per path the
// application serves, and segment-wise prefix matching on it.

// rulePath is the form of a path that rules are matched in, so that no
// spelling of a path the application reads as protected escapes its rule:
// percent-decoded once (the caller's URL.Path is), ASCII lower case (an
// application on a case-insensitive file system serves /ADMIN as /admin),
// runs of slashes merged, and ";params" cut from every segment (servlet
// containers read /admin;x as /admin). A path that applications may read
// in yet another way is refused (ok false): "." and ".." segments (in any
// encoding; browsers never send one, and resolving it differently from the
// application would let /public/../admin through as public), names ending
// in a dot or a blank, and whatever plainPath refuses.
func rulePath(p string) (string, bool) {
	if !plainPath(p) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(p))
	for seg := range strings.SplitSeq(p, "/") {
		seg, _, _ = strings.Cut(seg, ";")
		switch {
		case seg == "":
			continue
		case seg == "." || seg == "..", strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " "):
			// Windows drops a name's trailing dots and blanks: /admin. is
			// /admin there.
			return "", false
		}
		b.WriteByte('/')
		b.WriteString(lower(seg))
	}
	if b.Len() == 0 || strings.HasSuffix(p, "/") {
		b.WriteByte('/')
	}
	return b.String(), true
}

// plainPath refuses what a decoded path should not hold, because some
// application reads it as something else: backslashes (a separator on
// Windows), control characters and NUL (C stops there), '?' and '#'
// (re-parsed as a query or fragment by a layer that decodes again), a
// percent escape still standing (decoded once more, %252e%252e is ..),
// and the letters that Unicode case folding turns into ASCII ones (İ ı ſ
// and the Kelvin sign: Java's equalsIgnoreCase("/admın", "/admin")).
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#':
			return false
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			return false
		}
	}
	for _, folds := range [...]string{"\u0130", "\u0131", "\u017f", "\u212a"} {
		if strings.Contains(p, folds) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// pathMatches reports whether path lies under one of the prefixes, on a
// segment boundary; no prefixes match everything. Both are in rulePath's
// form.
func pathMatches(prefixes []string, path string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if len(path) < len(p) || path[:len(p)] != p {
			continue
		}
		if len(path) == len(p) || p[len(p)-1] == '/' || path[len(p)] == '/' {
			return true
		}
	}
	return false
}
