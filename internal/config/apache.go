package config

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// DefaultSecretDir is where imported secret files are expected.
const DefaultSecretDir = "/etc/tkt"

// ImportOptions tune ImportApache.
type ImportOptions struct {
	// SecretDir is where the YAML expects the secret files: SecretDir/secret
	// (TKTAuthSecret) and SecretDir/secret.old (TKTAuthSecretOld). Default
	// DefaultSecretDir.
	SecretDir string
}

// ImportedSecret is a secret found in the Apache configuration. It must be
// written to Path (mode 0600) before tktd starts; Value is the secret itself
// and must never be printed or logged.
type ImportedSecret struct {
	Path      string
	Value     string
	Directive string
	Line      int
}

// Imported is the result of ImportApache.
type Imported struct {
	// YAML is the configuration file, commented with where each setting
	// came from. It holds no secret.
	YAML []byte
	// Config is YAML decoded over Defaults (not validated: the secret files
	// may not exist yet).
	Config  Config
	Notes   []Note
	Secrets []ImportedSecret
}

// ImportApache turns mod_auth_tkt's TKTAuth* directives into tktd's YAML.
//
// Each <Location> and <Directory> that mod_auth_tkt protects becomes
// forward_auth rules (apache_rules.go) carrying its own settings: tokens,
// timeout and refresh, the timeout and unauth URLs, guests, TLS, and
// Apache's "require user", "Require ip", "Require all denied",
// <Limit>/<LimitExcept> and Satisfy around them, with what their parent
// sections pass down. It never loosens: a section it cannot reproduce
// exactly becomes a deny rule and a warning (apache_authz.go). The cookie and the
// portal have one set of settings, so such a setting found in several
// places with different values keeps its first value and gets a warning;
// required tokens go to ticket.tokens only when every place agrees.
// Unknown TKTAuth* directives get a warning. Other Apache directives are
// ignored, except ServerName and ServerAlias of the virtual hosts using
// mod_auth_tkt, which become allowed_redirects and the rules' hosts.
//
// The secrets go to files, never into the YAML (see Imported.Secrets).
func ImportApache(r io.Reader, o ImportOptions) (*Imported, error) {
	conf, err := parseApache(r)
	if err != nil {
		return nil, err
	}
	if o.SecretDir == "" {
		o.SecretDir = DefaultSecretDir
	}
	im := &importer{conf: conf, cands: map[string][]candidate{}, tktHosts: map[int]bool{}, tokenScopes: map[string]*candidate{}, inScopes: map[string]bool{}}
	for _, d := range conf.directives {
		im.directive(d)
	}
	out, secrets := im.resolve(o.SecretDir)
	y, err := renderYAML(out)
	if err != nil {
		return nil, err
	}
	c, probs, err := decode(y, nil, nil)
	if err == nil {
		err = probs.err()
	}
	if err != nil {
		return nil, fmt.Errorf("import-apache produced a configuration it can't read back (a bug): %w", err)
	}
	return &Imported{YAML: y, Config: c, Notes: conf.finalNotes(), Secrets: secrets}, nil
}

// candidate is one value for a setting, from one directive.
type candidate struct {
	value any // string, bool, float64, time.Duration or []string
	d     directive
}

type importer struct {
	conf  *apacheConf
	cands map[string][]candidate // by YAML key; "secret" and "old_secret" are the secrets
	// tktHosts are the virtual hosts holding TKTAuth directives.
	tktHosts map[int]bool
	// tokenScopes are the TKTAuthToken lists by scope; scopes lists every
	// scope with per-location TKTAuth directives, in order.
	tokenScopes map[string]*candidate
	scopes      []string
	inScopes    map[string]bool
	// perLocation are the directives only a forward_auth rule carries;
	// ruleScopes the scopes that became rules.
	perLocation []directive
	ruleScopes  map[string]bool
}

func (im *importer) add(key string, v any, d directive) {
	im.cands[key] = append(im.cands[key], candidate{v, d})
}

func (im *importer) warn(d directive, format string, a ...any) {
	im.conf.note(d.line, true, "%s: "+format, append([]any{d.name}, a...)...)
}

// info notes where a directive went, or that it stays in Apache.
func (im *importer) info(d directive, format string, a ...any) {
	im.conf.note(d.line, false, "%s: "+format, append([]any{d.name}, a...)...)
}

func (im *importer) directive(d directive) {
	name := strings.ToLower(d.name)
	if !strings.HasPrefix(name, "tktauth") {
		if name == "include" || name == "includeoptional" {
			im.conf.note(d.line, true, "%s %s is not followed: import that file too", d.name, strings.Join(d.args, " "))
		}
		return
	}
	if d.vhost >= 0 {
		im.tktHosts[d.vhost] = true
	}
	for _, a := range d.args {
		if strings.Contains(a, "${") {
			im.warn(d, "uses an Apache variable (${...}); substitute it by hand; skipped")
			return
		}
	}
	switch name {
	case "tktauthsecret", "tktauthsecretold", "tktauthdigesttype":
		im.serverDirective(name, d)
		return
	}
	if !im.inScopes[d.scope] {
		im.inScopes[d.scope] = true
		im.scopes = append(im.scopes, d.scope)
	}
	switch name {
	case "tktauthtimeout", "tktauthcookieexpires":
		key := map[string]string{"tktauthtimeout": "ticket.timeout", "tktauthcookieexpires": "cookie.expires"}[name]
		secs, quirk, err := apacheSeconds(d.args)
		if err != nil {
			im.warn(d, "%v; skipped (Apache would refuse to start)", err)
			return
		}
		if quirk != "" {
			im.warn(d, "%s; imported as Apache reads it", quirk)
		}
		im.add(key, time.Duration(secs)*time.Second, d)
	case "tktauthtimeoutmin":
		if n, ok := im.oneArg(d); ok {
			m, err := strconv.ParseUint(n, 10, 31)
			if err != nil {
				im.warn(d, "%q is not a number of minutes; skipped", n)
				return
			}
			im.add("ticket.timeout", time.Duration(m)*time.Minute, d)
		}
	case "tktauthtimeoutrefresh":
		if s, ok := im.oneArg(d); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f < 0 || f > 1 || math.IsNaN(f) {
				im.warn(d, "%q is not a number from 0 to 1; skipped", s)
				return
			}
			im.add("ticket.refresh", f, d)
		}
	case "tktauthignoreip":
		im.flag("ticket.ignore_ip", d)
	case "tktauthcookiesecure":
		im.flag("cookie.secure", d)
	case "tktauthguestlogin":
		im.flag("guest.enabled", d)
		if len(d.args) == 1 && strings.EqualFold(d.args[0], "on") { // off needs no word
			im.info(d, "Apache lets visitors in as guests by itself; tktd's login page will also offer \"continue as guest\"")
		}
	case "tktauthcookiename":
		im.checked("cookie.name", d, tkthttp.ValidName, "not a cookie name")
	case "tktauthdomain":
		im.checked("cookie.domain", d, tkthttp.ValidCookieDomain, "not a domain name")
	case "tktauthbackargname":
		if v, ok := im.oneArg(d); ok && v == "None" {
			im.warn(d, "None: tktd always takes the destination from a query parameter; kept %q (Apache will not send it: users land on default_url)", Defaults().BackArg)
			return
		}
		im.checked("back_arg", d, tkthttp.ValidName, "not a query parameter name")
	case "tktauthguestuser":
		im.checked("guest.user", d, func(s string) bool { return s != "" && !strings.ContainsAny(s, "!\x00\r\n") }, "not a user id")
	case "tktauthtoken":
		im.tokens(d)
	case "tktauthbackcookiename":
		im.warn(d, "not supported: tktd reads the destination from the %s parameter only; remove it so Apache sends ?%s=", Defaults().BackArg, Defaults().BackArg)
	case "tktauthloginurl":
		// forward_auth.login_url (locRules)
	case "tktauthtimeouturl", "tktauthposttimeouturl", "tktauthunauthurl", "tktauthguestcookie", "tktauthguestfallback", "tktauthrequiressl":
		im.perLocation = append(im.perLocation, d) // the rule of its <Location> (apache_rules.go)
	case "tktauthguestempty", "tktauthqueryseparator", "tktauthdebug":
		im.info(d, "only Apache acts on it; nothing to configure in tktd")
	default:
		im.warn(d, "unknown mod_auth_tkt directive; ignored")
	}
}

func (im *importer) serverDirective(name string, d directive) {
	v, ok := im.oneArg(d)
	if !ok {
		return
	}
	switch name {
	case "tktauthsecret":
		im.add("secret", v, d)
	case "tktauthsecretold":
		im.add("old_secret", v, d)
	default:
		if v != "MD5" && v != "SHA256" && v != "SHA512" {
			im.warn(d, "%q: mod_auth_tkt takes MD5, SHA256 or SHA512; skipped", v)
			return
		}
		im.add("ticket.digest", strings.ToLower(v), d)
	}
}

func (im *importer) oneArg(d directive) (string, bool) {
	if len(d.args) != 1 {
		im.warn(d, "takes one argument, got %d (quote values holding blanks; Apache allows no comment after a directive); skipped", len(d.args))
		return "", false
	}
	return d.args[0], true
}

func (im *importer) flag(key string, d directive) {
	v, ok := im.oneArg(d)
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "on":
		im.add(key, true, d)
	case "off":
		im.add(key, false, d)
	default:
		im.warn(d, "%q: want On or Off; skipped", v)
	}
}

func (im *importer) checked(key string, d directive, ok func(string) bool, what string) {
	v, found := im.oneArg(d)
	if !found {
		return
	}
	if !ok(v) {
		im.warn(d, "%q is %s tktd accepts; skipped", v, what)
		return
	}
	im.add(key, v, d)
}

func (im *importer) tokens(d directive) {
	c := im.tokenScopes[d.scope]
	if c == nil {
		c = &candidate{value: []string(nil), d: d}
		im.tokenScopes[d.scope] = c
	}
	for _, t := range d.args {
		if err := ticket.CheckRequiredToken(t); err != nil {
			im.warn(d, "%q: %v; skipped", t, err)
			continue
		}
		c.value = append(c.value.([]string), t)
	}
}

// apacheSeconds reads TKTAuthTimeout and TKTAuthCookieExpires arguments as
// mod_auth_tkt does: an all-digit argument sets the seconds, one with a unit
// (s m h d w M y) adds to them, and a form like "1h30m" is read as its
// leading number in its last unit (60 seconds). quirk explains such a form.
func apacheSeconds(args []string) (secs int64, quirk string, err error) {
	if len(args) == 0 {
		return 0, "", fmt.Errorf("no value")
	}
	secs = -1
	units := map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400, 'M': 30 * 86400, 'y': 365 * 86400}
	for _, a := range args {
		digits := len(a) - len(strings.TrimLeft(a, "0123456789"))
		if digits == 0 {
			return 0, "", fmt.Errorf("%q: Apache wants a number first", a)
		}
		num, perr := strconv.ParseInt(a[:digits], 10, 64)
		if perr != nil || num > math.MaxInt32 {
			return 0, "", fmt.Errorf("%q is too large", a)
		}
		last := a[len(a)-1]
		switch {
		case last >= '0' && last <= '9':
			secs = num
		default:
			mult, ok := units[last]
			if !ok && (last|0x20 >= 'a' && last|0x20 <= 'z') {
				return 0, "", fmt.Errorf("%q: unknown unit %q (want s, m, h, d, w, M or y)", a, last)
			}
			if !ok {
				mult = 1
			}
			secs = max(secs, 0) + num*mult
		}
		if digits != len(a) && digits != len(a)-1 {
			quirk = fmt.Sprintf("%q means %ds to mod_auth_tkt (its leading number in its last unit)", a, secs)
		}
		if secs > math.MaxInt32 {
			return 0, "", fmt.Errorf("%q is too large", strings.Join(args, " "))
		}
	}
	return secs, quirk, nil
}

// secretPaths are the files the imported YAML names.
func secretPaths(dir string) (current, old string) {
	return filepath.Join(dir, "secret"), filepath.Join(dir, "secret.old")
}
