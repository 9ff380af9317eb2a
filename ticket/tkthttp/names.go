package tkthttp

import (
	"errors"
	"net/url"
	"strings"
)

// The checks of the settings a Config shares with the servers built on
// this package (tktd reads the same settings from YAML): each setting has
// one check, so a configuration check and the server that runs it agree.

// ValidName reports whether s can name a cookie or a query parameter
// without quoting or escaping anywhere: letters, digits and -._~ (RFC 6265
// tokens that are also unreserved in URLs).
func ValidName(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return s != ""
}

// ValidCookieDomain reports whether d can be a cookie's Domain: a host
// name as HostList reads one, with or without a leading dot.
func ValidCookieDomain(d string) bool { return validHostname(strings.TrimPrefix(d, ".")) }

// ValidCookiePath reports whether p can be a cookie's Path: it starts with
// '/' and holds no ';', ',', blanks or control characters, which would end
// or split the attribute.
func ValidCookiePath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.ContainsAny(p, ";,") && !hasCTLOrSpace(p)
}

// CheckRedirectURL accepts "" (unset), an absolute http(s) URL or an
// absolute path, without a fragment (the back parameter goes at the end)
// and without anything a Location header could not carry as is: the login,
// timeout and unauth URLs.
func CheckRedirectURL(s string) error {
	if s == "" {
		return nil
	}
	if hasCTLOrSpace(s) {
		return errors.New("holds spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Fragment != "" || strings.Contains(s, "#"):
		return errors.New("has a fragment")
	case u.Scheme == "" && u.Host == "":
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
			return errors.New("a relative URL must be a path starting with a single /")
		}
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return errors.New("must be an http or https URL, or a path")
	}
	return nil
}

// hasCTLOrSpace reports whether s holds a blank, a control character or
// DEL.
func hasCTLOrSpace(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c == 0x7f {
			return true
		}
	}
	return false
}
