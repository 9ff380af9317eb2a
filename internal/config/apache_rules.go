package config

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// How ImportApache turns each <Location> and <Directory> that mod_auth_tkt
// protects into a forward_auth rule: its TKTAuth* directives become the
// rule's per-location settings, Apache's "require user", "Require ip",
// "Require all denied|granted", <Limit>/<LimitExcept> and Satisfy (or
// <RequireAll>) become users, networks, deny, bypass and methods, split
// into several rules where one Apache section means more than one. A
// section inherits from its parents' (inherit); one the rules cannot say
// exactly becomes a deny rule with a warning (apache_authz.go).

// apacheLoc is one protected section: a path on one virtual host.
type apacheLoc struct {
	vhost int
	path  string
	where directive // the first directive, for comments and notes
	// order is where Apache merges the section: <Directory> before
	// <Location>, the main server's before a virtual host's, then in
	// order of appearance.
	order int
	// tkt says a TKTAuth* directive or a "require user" is there: the
	// section is mod_auth_tkt's to protect.
	tkt                      bool
	tokens                   []string
	az                       authz
	timeout                  *time.Duration
	refresh                  *float64
	ignoreIP, guest          *bool
	fallback, cookie, tls    bool
	timeoutURL, postURL, una string
}

// sectionOf reads the sections around d: the path of its innermost
// <Location> or <Directory> (directory true), its <Limit> or <LimitExcept>
// methods, and the <Require*> sections holding it (lower case). ok is
// false outside any such path; why says what cannot be imported ("" when
// nothing is wrong; with ok, a condition within the path: <If>).
func sectionOf(d directive) (p string, directory bool, methods []string, except bool, containers []string, why string, ok bool) {
	for _, s := range d.sections {
		switch name := strings.ToLower(s[0]); {
		case name == "location" || name == "directory":
			if len(s) != 2 || s[1] == "~" {
				return "", false, nil, false, nil, fmt.Sprintf("<%s> with a regular expression", s[0]), false
			}
			p, directory, ok = s[1], name == "directory", true
		case name == "if" || name == "elseif" || name == "else":
			// conditional: within a path, that path's rule can't be exact
			why = "<" + s[0] + ">"
		case name == "locationmatch" || name == "directorymatch" || name == "files" || name == "filesmatch" ||
			name == "proxy" || name == "proxymatch":
			return "", false, nil, false, nil, "<" + s[0] + ">", false
		case name == "limit" || name == "limitexcept":
			methods, except = nil, name == "limitexcept"
			for _, m := range s[1:] {
				methods = append(methods, strings.ToUpper(m))
			}
		case strings.HasPrefix(name, "require"):
			containers = append(containers, name)
		}
	}
	if !ok && why != "" {
		return "", false, nil, false, nil, why, false
	}
	return p, directory, methods, except, containers, why, ok
}

// locations gathers the protected sections in order of appearance.
func (im *importer) locations() []*apacheLoc {
	roots := map[int]string{} // DocumentRoot by vhost
	var out []*apacheLoc
	byKey := map[string]*apacheLoc{}
	for _, d := range im.conf.directives {
		name := strings.ToLower(d.name)
		if name == "documentroot" && len(d.args) == 1 {
			roots[d.vhost] = strings.TrimSuffix(d.args[0], "/")
			continue
		}
		p, directory, methods, except, containers, why, ok := sectionOf(d)
		if !ok {
			if why != "" && (strings.HasPrefix(name, "tktauth") || accessDirective(name)) {
				im.warn(d, "inside %s, which no forward_auth rule can express (rules match path prefixes); write that rule by hand", why)
			}
			continue
		}
		if directory {
			root, found := roots[d.vhost]
			if !found {
				root, found = roots[-1]
			}
			rel, under := strings.CutPrefix(strings.TrimSuffix(p, "/"), root)
			if !found || !under || rel != "" && rel[0] != '/' {
				if strings.HasPrefix(name, "tktauth") {
					im.warn(d, "<Directory %s> lies under no DocumentRoot seen before it: no URL path for its forward_auth rule; write it by hand", p)
				}
				continue
			}
			p = cmp.Or(rel, "/")
		}
		key := strconv.Itoa(d.vhost) + " " + p
		l := byKey[key]
		if l == nil {
			l = &apacheLoc{vhost: d.vhost, path: p, where: d, order: len(im.conf.directives) * 4}
			if d.vhost < 0 {
				l.order = 0
			}
			if !directory {
				l.order += len(im.conf.directives) * 2
			}
			l.order += len(out)
			byKey[key] = l
			out = append(out, l)
		}
		if why != "" { // ok, inside <If>
			if strings.HasPrefix(name, "tktauth") || accessDirective(name) {
				l.az.unsafe = append(l.az.unsafe, d.name+" inside "+why)
			}
			continue
		}
		im.locDirective(l, d, name, methods, except, containers)
	}
	var own []*apacheLoc
	for _, l := range out {
		// One with nothing of its own (a ProxyPass) is its parent's rule.
		if l.tkt || l.az.set || l.az.compat {
			own = append(own, l)
		}
	}
	im.inherit(own)
	for _, l := range own {
		l.az.settle()
	}
	return own
}

// locDirective records what d says about l.
func (im *importer) locDirective(l *apacheLoc, d directive, name string, methods []string, except bool, containers []string) {
	arg := func() (string, bool) {
		if len(d.args) != 1 {
			return "", false // warned about by directive
		}
		return d.args[0], true
	}
	on := func() (bool, bool) {
		v, ok := arg()
		return strings.EqualFold(v, "on"), ok && (strings.EqualFold(v, "on") || strings.EqualFold(v, "off"))
	}
	url := func(to *string) {
		if v, ok := arg(); ok {
			if err := tkthttp.CheckRedirectURL(v); err != nil {
				im.warn(d, "%q: %v; not carried into the forward_auth rule", v, err)
				return
			}
			*to = v
		}
	}
	if strings.HasPrefix(name, "tktauth") {
		l.tkt = true
	}
	switch name {
	case "tktauthtoken":
		for _, t := range d.args {
			if ticket.CheckRequiredToken(t) == nil {
				l.tokens = append(l.tokens, t)
			}
		}
	case "tktauthtimeout", "tktauthtimeoutmin":
		secs, _, err := apacheSeconds(d.args)
		if name == "tktauthtimeoutmin" {
			m, perr := strconv.ParseUint(strings.Join(d.args, ""), 10, 31)
			secs, err = int64(m)*60, perr
		}
		if err == nil {
			t := time.Duration(secs) * time.Second
			l.timeout = &t
		}
	case "tktauthtimeoutrefresh":
		if v, ok := arg(); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 && !math.IsNaN(f) {
				l.refresh = &f
			}
		}
	case "tktauthignoreip":
		if v, ok := on(); ok {
			l.ignoreIP = &v
		}
	case "tktauthguestlogin":
		if v, ok := on(); ok {
			l.guest = &v
		}
	case "tktauthguestfallback":
		l.fallback, _ = on()
	case "tktauthguestcookie":
		l.cookie, _ = on()
	case "tktauthrequiressl":
		l.tls, _ = on()
	case "tktauthtimeouturl":
		url(&l.timeoutURL)
	case "tktauthposttimeouturl":
		url(&l.postURL)
	case "tktauthunauthurl":
		url(&l.una)
	case "tktauthloginurl":
		if v, ok := arg(); ok && tkthttp.CheckRedirectURL(v) == nil {
			im.add("forward_auth.login_url", v, d)
		}
	case "require":
		if len(d.args) == 0 {
			return
		}
		var ms []string
		for _, m := range methods {
			if m == "" || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				l.az.unsafe = append(l.az.unsafe, fmt.Sprintf("method %q in a <Limit>", m))
				continue
			}
			ms = append(ms, m)
		}
		if methods != nil && ms == nil {
			return
		}
		im.require(l, d, withHEAD(ms), except, containers)
	case "satisfy", "allow", "deny", "order":
		im.access(l, d, name, methods)
	case "authmerging":
		// And/Or combine this section's Require lines with its parent's:
		// the rules take one section's only.
		if len(d.args) != 1 || !strings.EqualFold(d.args[0], "off") {
			l.az.unsafe = append(l.az.unsafe, "AuthMerging "+strings.Join(d.args, " "))
		}
	}
}

// forwardRules turns the protected sections into forward_auth rules, the
// most specific path first (tktd takes the first rule that matches, while
// Apache merges every <Location> that does). Per-location timeouts,
// refresh and ignore_ip are written where they differ from the ticket
// section's. It returns the rules as YAML maps, and the scopes they came
// from.
func (im *importer) forwardRules() ([][]entry, map[string]bool) {
	var locs []*apacheLoc
	scopes := map[string]bool{}
	all := im.locations()
	anyTkt := slices.ContainsFunc(all, func(l *apacheLoc) bool { return l.tkt })
	for _, l := range all {
		// A section of a site using mod_auth_tkt that limits access on
		// its own (Require ip, Require all denied) is a rule too.
		if !l.tkt && !((l.az.set || l.az.compat) && (l.vhost < 0 && anyTkt || im.tktHosts[l.vhost])) {
			continue
		}
		if !strings.HasPrefix(l.path, "/") || strings.ContainsAny(l.path, "?# \t") {
			im.warn(l.where, "path %q can't be a forward_auth rule's; skipped", l.path)
			continue
		}
		locs = append(locs, l)
		scopes[l.where.scope] = true
	}
	// ignore_ip stays the first one seen: the portal mints every ticket
	// bound or unbound, for every location alike.
	for _, key := range []string{"ticket.timeout", "ticket.refresh"} {
		im.ticketValue(key, locs, scopes)
	}
	// A virtual host's section goes before the main server's of the same
	// path, which Apache merges under it.
	slices.SortStableFunc(locs, func(a, b *apacheLoc) int {
		return cmp.Or(cmp.Compare(len(b.path), len(a.path)), cmp.Compare(min(b.vhost, 0), min(a.vhost, 0)))
	})
	var rules [][]entry
	for _, l := range locs {
		rules = append(rules, im.locRules(l)...)
	}
	return rules, scopes
}

// ticketValue decides the ticket section's value of key, which rules can
// override: the one set outside every rule's section, or the one every
// rule's section agrees on; otherwise none (mod_auth_tkt's default), and
// each rule carries its own.
func (im *importer) ticketValue(key string, locs []*apacheLoc, scopes map[string]bool) {
	var outside []candidate
	for _, c := range im.cands[key] {
		if !scopes[c.d.scope] {
			outside = append(outside, c)
		}
	}
	if len(outside) == 0 && len(im.cands[key]) > 0 {
		agreed := true
		for _, l := range locs {
			if v := l.value(key); l.tkt {
				agreed = agreed && v != nil && equalValues(v, im.cands[key][0].value)
			}
		}
		if agreed {
			return
		}
	}
	im.cands[key] = outside
}

// value is l's own value of a ticket setting, nil when it sets none.
func (l *apacheLoc) value(key string) any {
	switch {
	case key == "ticket.timeout" && l.timeout != nil:
		return *l.timeout
	case key == "ticket.refresh" && l.refresh != nil:
		return *l.refresh
	case key == "ticket.ignore_ip" && l.ignoreIP != nil:
		return *l.ignoreIP
	}
	return nil
}

// locRules is the rules of one section, in order.
func (im *importer) locRules(l *apacheLoc) [][]entry {
	from := fmt.Sprintf("%s (line %d)", lastSection(l.where), l.where.line)
	base := func(comment string) []entry {
		var e []entry
		if hosts := im.ruleHosts(l.vhost); len(hosts) > 0 {
			e = append(e, entry{"hosts", hosts, ""})
		}
		e = append(e, entry{"paths", []string{l.path}, ""})
		e[0].comment = comment
		return e
	}
	if l.vhost >= 0 && len(im.conf.vhosts) > 1 && len(im.ruleHosts(l.vhost)) == 0 {
		// A rule without hosts would hold for the other sites too.
		l.az.unsafe = append(l.az.unsafe, "its <VirtualHost> has no ServerName or ServerAlias a rule's hosts can hold")
	}
	if len(l.az.unsafe) > 0 {
		im.conf.note(l.where.line, true, "%s", unsafeNote(from, l.az.unsafe))
		return [][]entry{append(base(from+": cannot be reproduced, see the warning"), entry{"deny", true, ""})}
	}
	var settings []entry
	add := func(key string, v any, set bool) {
		if set {
			settings = append(settings, entry{key, v, ""})
		}
	}
	add("tokens", l.tokens, len(l.tokens) > 0)
	tokens := len(settings) // users go after them
	add("guest", true, l.guest != nil && *l.guest)
	guest := l.guest != nil && *l.guest
	add("guest_fallback", true, guest && l.fallback)
	add("guest_cookie", true, guest && l.cookie)
	if l.timeout != nil && !im.sameAsTicket("ticket.timeout", *l.timeout) {
		add("timeout", *l.timeout, true)
	}
	if l.refresh != nil && !im.sameAsTicket("ticket.refresh", *l.refresh) {
		add("refresh", *l.refresh, true)
	}
	if l.ignoreIP != nil && !im.sameAsTicket("ticket.ignore_ip", *l.ignoreIP) {
		if *l.ignoreIP {
			add("ignore_ip", true, true)
		} else {
			im.warn(l.where, "TKTAuthIgnoreIP off here but on in the ticket section: tktd binds tickets everywhere or ignores the address per rule; this rule ignores it too")
		}
	}
	add("timeout_url", l.timeoutURL, l.timeoutURL != "")
	add("post_timeout_url", l.postURL, l.postURL != "")
	add("unauth_url", l.una, l.una != "")
	add("require_tls", true, l.tls)
	// group is the rules of one set of methods (nil: every method left)
	// whose requirements are r; open says no requirement means no check.
	group := func(methods []string, r req, open bool, what string) [][]entry {
		rule := func(comment string, e ...entry) []entry {
			out := base(comment)
			if methods != nil {
				out = append(out, entry{"methods", methods, ""})
			}
			return append(out, e...)
		}
		note := func(s string) string {
			if what == "" {
				return from + ": " + s
			}
			return from + ": " + what + ", " + s
		}
		switch {
		case r.deny:
			why := "Require all denied"
			if l.az.denyAll {
				why = "Deny from all"
			}
			return [][]entry{rule(note(why), entry{"deny", true, ""})}
		case r.granted:
			return [][]entry{rule(note("Require all granted"), entry{"bypass", true, ""})}
		}
		// ticket adds the settings and users to a rule asking a ticket
		ticket := func(t []entry) []entry {
			t = append(t, settings[:tokens]...)
			if len(r.users) > 0 && !r.valid {
				t = append(t, entry{"users", r.users, ""})
			}
			return append(t, settings[tokens:]...)
		}
		var out [][]entry
		if l.az.all && len(r.network) > 0 { // without networks, all is any
			if !r.valid && len(r.users) == 0 && (r.any || !l.tkt) {
				out = append(out, rule(note("Require ip"), entry{"networks", r.network, ""}, entry{"bypass", true, ""}))
			} else {
				out = append(out, append(ticket(rule(from)), entry{"networks", r.network, ""}))
			}
			return append(out, rule(note("Satisfy All, other clients"), entry{"deny", true, ""}))
		}
		if len(r.network) > 0 {
			out = append(out, rule(note("Require ip (any of)"), entry{"networks", r.network, ""}, entry{"bypass", true, ""}))
		}
		switch {
		case r.valid || len(r.users) > 0 || !r.any && l.tkt && !open:
			comment := from
			if what != "" {
				comment += ": " + what
			}
			out = append(out, ticket(rule(comment)))
		case !r.any && open: // the methods <LimitExcept> names
			out = append(out, rule(from+": "+what, entry{"bypass", true, ""}))
		default: // only networks admit
			out = append(out, rule(note("other clients"), entry{"deny", true, ""}))
		}
		return out
	}
	a := l.az
	if len(a.limits) == 0 {
		return group(nil, a.outer, false, "")
	}
	if lim := a.limits[0]; lim.except {
		return append(group(lim.methods, a.outer, true, "<LimitExcept>"), group(nil, a.outer.or(lim.req), false, "")...)
	}
	var rules [][]entry
	for _, lim := range a.limits {
		rules = append(rules, group(lim.methods, a.outer.or(lim.req), false, "")...)
	}
	if !a.outer.any && l.tkt {
		im.conf.note(l.where.line, true, "%s: the methods outside its <Limit> are open in Apache; the import asks a ticket of them (add a bypass rule by hand if they must stay open, or use <LimitExcept>)", from)
	}
	return append(rules, group(nil, a.outer, false, "other methods than <Limit>'s")...)
}

// sameAsTicket reports whether v is the value the ticket section got for
// key (its first), or mod_auth_tkt's default when it has none.
func (im *importer) sameAsTicket(key string, v any) bool {
	if cs := im.cands[key]; len(cs) > 0 {
		return equalValues(cs[0].value, v)
	}
	def := map[string]any{"ticket.timeout": DefaultTimeout, "ticket.refresh": DefaultRefresh, "ticket.ignore_ip": false}
	return equalValues(def[key], v)
}

// ruleHosts are a virtual host's names as rule hosts (no ports).
func (im *importer) ruleHosts(vh int) []string {
	if vh < 0 {
		return nil
	}
	var out []string
	for _, name := range im.conf.vhosts[vh].names {
		if h, ok := hostEntry(name); ok && !slices.Contains(out, h) {
			if l, err := tkthttp.ParseHostList([]string{h}); err == nil && !l.HasPort() {
				out = append(out, h)
			}
		}
	}
	return out
}

// lastSection is the innermost <Location> or <Directory> label of d's
// scope.
func lastSection(d directive) string {
	for i := len(d.sections) - 1; i >= 0; i-- {
		if s := d.sections[i]; len(s) > 0 {
			switch strings.ToLower(s[0]) {
			case "location", "directory":
				return "<" + cut(strings.Join(s, " "), 80) + ">"
			}
		}
	}
	return d.scope
}

// perLocationNotes speaks of the per-location directives found outside
// every section that became a rule.
func (im *importer) perLocationNotes(scopes map[string]bool) {
	for _, d := range im.perLocation {
		if !scopes[d.scope] {
			im.info(d, "outside any <Location> or <Directory> that became a forward_auth rule; set it on the rules that need it by hand")
		}
	}
}

// inherit merges into each section what Apache and mod_auth_tkt merge into
// it from the sections of its parent paths: the TKTAuth* settings it does
// not set, and the access control when it has none of its own
// (AuthMerging Off), each of mod_authz_core's and mod_access_compat's
// apart. A parent Apache merges after it, where both set the
// same thing, makes the section one the import cannot reproduce.
func (im *importer) inherit(locs []*apacheLoc) {
	byLen := slices.Clone(locs)
	slices.SortStableFunc(byLen, func(a, b *apacheLoc) int { return cmp.Compare(len(a.path), len(b.path)) })
	for _, c := range byLen {
		var parents []*apacheLoc
		for _, p := range byLen {
			if p == c || !underPath(c.path, p.path) {
				continue
			}
			if p.vhost == c.vhost || p.vhost < 0 {
				parents = append(parents, p)
			} else if c.vhost < 0 && (c.az.set && p.az.set || len(c.tokens) > 0 && len(p.tokens) > 0) {
				// Apache merges p over c on p's site only: no rule
				// without hosts can say that.
				c.az.unsafe = append(c.az.unsafe, fmt.Sprintf("%s (line %d) is merged over it on its virtual host", lastSection(p.where), p.where.line))
			}
		}
		// the last Apache merges first
		slices.SortStableFunc(parents, func(a, b *apacheLoc) int { return cmp.Compare(b.order, a.order) })
		for _, p := range parents {
			if p.order > c.order && (c.az.set && p.az.set || len(c.tokens) > 0 && len(p.tokens) > 0) {
				c.az.unsafe = append(c.az.unsafe, fmt.Sprintf("%s (line %d) is merged over it by Apache", lastSection(p.where), p.where.line))
			}
			c.tkt = c.tkt || p.tkt
			c.tls = c.tls || p.tls
			if len(c.tokens) == 0 {
				c.tokens = p.tokens
			}
			if c.timeout == nil {
				c.timeout = p.timeout
			}
			if c.refresh == nil {
				c.refresh = p.refresh
			}
			c.az.inherit(p.az, fmt.Sprintf("%s (line %d)", lastSection(p.where), p.where.line))
		}
	}
}

// underPath says whether Apache's <Location p> (or <Directory>) covers
// path c: p itself or below it on a segment boundary.
func underPath(c, p string) bool {
	return c == p || p == "/" || strings.HasPrefix(c, strings.TrimSuffix(p, "/")+"/")
}

// accessDirective says whether name limits access in Apache.
func accessDirective(name string) bool {
	switch name {
	case "require", "allow", "deny", "satisfy", "order", "authmerging":
		return true
	}
	return false
}
