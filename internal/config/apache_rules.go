package config

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
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
// into several rules where one Apache section means more than one.

// apacheLoc is one protected section: a path on one virtual host.
type apacheLoc struct {
	vhost int
	path  string
	where directive // the first directive, for comments and notes
	// tkt says a TKTAuth* directive or a "require user" is there: the
	// section is mod_auth_tkt's to protect.
	tkt                      bool
	tokens, users, networks  []string
	deny, granted, all       bool
	methods                  []string // of the <Limit> or <LimitExcept> holding the require lines
	except                   bool     // methods are a <LimitExcept>'s
	timeout                  *time.Duration
	refresh                  *float64
	ignoreIP, guest          *bool
	fallback, cookie, tls    bool
	timeoutURL, postURL, una string
}

// sectionOf reads the sections around d: the path of its innermost
// <Location> or <Directory> (directory true), its <Limit> or <LimitExcept>
// methods, and whether a <RequireAll> holds it. ok is false outside any
// such path; why says what cannot be imported ("" when nothing is wrong).
func sectionOf(d directive) (p string, directory bool, methods []string, except, all bool, why string, ok bool) {
	for _, s := range d.sections {
		switch name := strings.ToLower(s[0]); {
		case name == "location" || name == "directory":
			if len(s) != 2 || s[1] == "~" {
				return "", false, nil, false, false, fmt.Sprintf("<%s> with a regular expression", s[0]), false
			}
			p, directory, ok = s[1], name == "directory", true
		case name == "locationmatch" || name == "directorymatch" || name == "files" || name == "filesmatch":
			return "", false, nil, false, false, "<" + s[0] + ">", false
		case name == "limit" || name == "limitexcept":
			methods, except = nil, name == "limitexcept"
			for _, m := range s[1:] {
				methods = append(methods, strings.ToUpper(m))
			}
		case name == "requireall":
			all = true
		}
	}
	return p, directory, methods, except, all, "", ok
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
		p, directory, methods, except, all, why, ok := sectionOf(d)
		if !ok {
			if why != "" && strings.HasPrefix(name, "tktauth") {
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
			l = &apacheLoc{vhost: d.vhost, path: p, where: d}
			byKey[key] = l
			out = append(out, l)
		}
		im.locDirective(l, d, name, methods, except, all)
	}
	return out
}

// locDirective records what d says about l.
func (im *importer) locDirective(l *apacheLoc, d directive, name string, methods []string, except, all bool) {
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
	l.all = l.all || all
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
		if methods != nil {
			l.methods, l.except = nil, except
			for _, m := range methods {
				if m == "" || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
					im.warn(d, "method %q in its <Limit> is not one forward_auth rules take; skipped", m)
					continue
				}
				l.methods = append(l.methods, m)
			}
		}
		switch strings.ToLower(d.args[0]) {
		case "user":
			l.tkt = true
			for _, u := range d.args[1:] {
				if ticket.CheckUID(u) == nil {
					l.users = append(l.users, u)
				} else {
					im.warn(d, "user %q can't be in a ticket; skipped", u)
				}
			}
		case "ip":
			l.networks = append(l.networks, im.networks(d, d.args[1:])...)
		case "all":
			if len(d.args) == 2 && strings.EqualFold(d.args[1], "denied") {
				l.deny = true
			} else if len(d.args) == 2 && strings.EqualFold(d.args[1], "granted") {
				l.granted = true
			}
		}
	case "satisfy":
		if v, ok := arg(); ok {
			l.all = strings.EqualFold(v, "all")
		}
	case "deny", "allow": // Apache 2.2: "Deny from all", "Allow from 10.0.0.0/8"
		if len(d.args) < 2 || !strings.EqualFold(d.args[0], "from") {
			return
		}
		if name == "deny" && len(d.args) == 2 && strings.EqualFold(d.args[1], "all") {
			l.deny = true
		} else if name == "allow" {
			l.networks = append(l.networks, im.networks(d, d.args[1:])...)
		}
	}
}

// networks keeps the arguments of "Require ip" that are addresses or CIDR
// prefixes; Apache's partial addresses ("10.1") and names are warned about.
func (im *importer) networks(d directive, args []string) []string {
	var out []string
	for _, a := range args {
		if _, err := netip.ParsePrefix(a); err == nil {
			out = append(out, a)
		} else if _, err := netip.ParseAddr(a); err == nil {
			out = append(out, a)
		} else {
			im.warn(d, "%q: only full addresses and CIDR prefixes become forward_auth networks; skipped", a)
		}
	}
	return out
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
	for _, l := range im.locations() {
		if !l.tkt && !(l.deny && (l.vhost < 0 || im.tktHosts[l.vhost])) {
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
	slices.SortStableFunc(locs, func(a, b *apacheLoc) int { return cmp.Compare(len(b.path), len(a.path)) })
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
	switch {
	case l.deny:
		return [][]entry{append(base(from+": Require all denied"), entry{"deny", true, ""})}
	case l.granted && !l.tkt:
		return [][]entry{append(base(from+": Require all granted"), entry{"bypass", true, ""})}
	}
	r := base(from)
	add := func(key string, v any, set bool) {
		if set {
			r = append(r, entry{key, v, ""})
		}
	}
	add("tokens", l.tokens, len(l.tokens) > 0)
	add("users", l.users, len(l.users) > 0)
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
	rules := [][]entry{r}
	if len(l.networks) > 0 {
		if l.all { // from there and with a ticket; from elsewhere, no one
			rules[0] = append(rules[0], entry{"networks", l.networks, ""})
			rules = append(rules, append(base(from+": Satisfy All, other clients"), entry{"deny", true, ""}))
		} else { // from there, or with a ticket
			rules = slices.Insert(rules, 0, append(base(from+": Require ip (any of)"), entry{"networks", l.networks, ""}, entry{"bypass", true, ""}))
		}
	}
	if len(l.methods) > 0 {
		if l.except { // the methods listed are open, the others protected
			rules = slices.Insert(rules, 0, append(base(from+": <LimitExcept>"), entry{"methods", l.methods, ""}, entry{"bypass", true, ""}))
		} else { // only the methods listed are protected
			for i := range rules {
				rules[i] = append(rules[i], entry{"methods", l.methods, ""})
			}
			rules = append(rules, append(base(from+": other methods than <Limit>'s"), entry{"bypass", true, ""}))
		}
	}
	return rules
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
