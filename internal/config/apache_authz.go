package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tkt-sso/tkt/ticket"
)

// How ImportApache reads Apache's access control (mod_authz_core's
// Require, mod_access_compat's Allow/Deny/Satisfy, <Limit>) of one
// section. The import never loosens: what it cannot reproduce exactly
// makes the section's rule "deny: true" with a warning (authz.unsafe).

// req is the requirements of one method group, any one of which admits
// (Apache's implicit <RequireAny>), or every one (authz.all).
type req struct {
	any            bool // some Require line is here
	valid          bool // require valid-user
	deny, granted  bool // Require all denied|granted
	users, network []string
}

// limit is one <Limit> or <LimitExcept>: its methods and its Require lines.
type limit struct {
	methods []string
	except  bool
	req
}

// authz is what a section's access-control directives say.
type authz struct {
	set       bool // some Require line is here (mod_authz_core)
	compat    bool // some Allow, Deny, Order or Satisfy (mod_access_compat)
	outer     req  // the Require lines outside any <Limit>
	limits    []*limit
	all       bool     // <RequireAll>, Satisfy All
	satisfy   string   // "all", "any" or "" (mod_access_compat: All)
	allow     []string // Allow from
	allowFrom bool     // some Allow from names networks
	denyAll   bool     // Deny from all
	skipped   bool     // a network Apache names that no rule can
	unsafe    []string // what cannot be reproduced
}

// withHEAD adds HEAD to methods holding GET: Apache's GET covers HEAD.
func withHEAD(methods []string) []string {
	if slices.Contains(methods, "GET") && !slices.Contains(methods, "HEAD") {
		return append(slices.Clip(methods), "HEAD")
	}
	return methods
}

// target is the req a Require line inside methods adds to.
func (a *authz) target(methods []string, except bool) *req {
	if methods == nil {
		return &a.outer
	}
	for _, l := range a.limits {
		if l.except == except && slices.Equal(l.methods, methods) {
			return &l.req
		}
	}
	l := &limit{methods: methods, except: except}
	a.limits = append(a.limits, l)
	return &l.req
}

// require reads one Require line; containers are the <Require*> sections
// around it, innermost last.
func (im *importer) require(l *apacheLoc, d directive, methods []string, except bool, containers []string) {
	a := &l.az
	a.set = true
	switch {
	case len(containers) == 0, len(containers) == 1 && containers[0] == "requireany":
	case len(containers) == 1 && containers[0] == "requireall":
		a.all = true
	default:
		inner := slices.Clone(containers)
		slices.Reverse(inner)
		a.unsafe = append(a.unsafe, "Require in <"+strings.Join(inner, "> in <")+"> (nested or negated Require sections)")
		return
	}
	r := a.target(methods, except)
	r.any = true
	switch kind := strings.ToLower(d.args[0]); kind {
	case "user":
		l.tkt = true
		for _, u := range d.args[1:] {
			if err := ticket.CheckUID(u); err == nil {
				r.users = append(r.users, u)
			} else {
				im.warn(d, "user %q can't be in a ticket; skipped", u)
			}
		}
	case "valid-user":
		r.valid = true
	case "ip":
		nets, skipped := im.networks(d, d.args[1:])
		r.network = append(r.network, nets...)
		a.skipped = a.skipped || skipped
	case "local":
		r.network = append(r.network, "127.0.0.0/8", "::1")
	case "all":
		switch {
		case len(d.args) == 2 && strings.EqualFold(d.args[1], "denied"):
			r.deny = true
		case len(d.args) == 2 && strings.EqualFold(d.args[1], "granted"):
			r.granted = true
		default:
			a.unsafe = append(a.unsafe, "Require "+strings.Join(d.args, " "))
		}
	default: // not, group, host, env, expr, method, ...: no rule has them
		a.unsafe = append(a.unsafe, "Require "+cut(strings.Join(d.args, " "), 60))
	}
}

// access reads mod_access_compat's Satisfy, Allow and Deny.
func (im *importer) access(l *apacheLoc, d directive, name string, methods []string) {
	a := &l.az
	a.compat = true
	if methods != nil && name != "order" {
		a.unsafe = append(a.unsafe, d.name+" inside <Limit>")
		return
	}
	switch name {
	case "satisfy":
		if len(d.args) == 1 {
			a.satisfy = strings.ToLower(d.args[0])
		}
	case "allow", "deny":
		if len(d.args) < 2 || !strings.EqualFold(d.args[0], "from") {
			a.unsafe = append(a.unsafe, d.name+" "+cut(strings.Join(d.args, " "), 60))
			return
		}
		switch {
		case name == "deny" && len(d.args) == 2 && strings.EqualFold(d.args[1], "all"):
			a.denyAll = true
		case name == "deny":
			a.unsafe = append(a.unsafe, "Deny from "+cut(strings.Join(d.args[1:], " "), 60))
		case len(d.args) == 2 && strings.EqualFold(d.args[1], "all"):
			// Allow from all: no network limit
		default:
			a.allowFrom = true
			nets, skipped := im.networks(d, d.args[1:])
			a.allow = append(a.allow, nets...)
			a.skipped = a.skipped || skipped
		}
	}
}

// inherit takes p's Require lines if a has none, and p's Allow, Deny and
// Satisfy if a has none (before settle). where names p's section.
func (a *authz) inherit(p authz, where string) {
	if !a.set && p.set {
		a.set, a.outer, a.limits = true, p.outer, p.limits
		a.all = a.all || p.all // <RequireAll>
		a.skipped = a.skipped || p.skipped
		a.unsafe = append(slices.Clip(p.unsafe), a.unsafe...)
	}
	if a.compat && p.compat { // merged directive by directive, and by Order
		a.unsafe = append(a.unsafe, "Allow, Deny or Satisfy both here and in "+where)
	}
	if !a.compat && p.compat {
		a.compat, a.satisfy, a.allow, a.allowFrom, a.denyAll = true, p.satisfy, p.allow, p.allowFrom, p.denyAll
		a.skipped = a.skipped || p.skipped
		a.unsafe = append(slices.Clip(p.unsafe), a.unsafe...)
	}
}

// settle folds Satisfy and Allow from into the requirements: Allow from
// without "Satisfy Any" is a limit on top of the Require lines (Apache
// 2.2's and mod_access_compat's default, Satisfy All).
func (a *authz) settle() {
	if a.satisfy == "all" {
		a.all = true
	}
	a.outer.deny = a.outer.deny || a.denyAll
	if a.denyAll && a.allowFrom {
		a.unsafe = append(a.unsafe, "Deny from all beside Allow from (their Order decides)")
	}
	if a.allowFrom {
		if len(a.outer.network) > 0 {
			a.unsafe = append(a.unsafe, "Require ip beside Allow from")
		}
		if a.satisfy != "any" {
			a.all = true
		}
		a.outer.network = append(a.outer.network, a.allow...)
		a.allow = nil
	}
	if o := &a.outer; a.all && o.granted && (o.valid || len(o.users) > 0 || len(o.network) > 0 || o.deny) {
		o.granted = false // granted and something else: the something else
	}
	if a.all && a.skipped {
		a.unsafe = append(a.unsafe, "a network no rule can name (a partial address or a host name) in a Satisfy All or <RequireAll>")
	}
	if a.all && len(a.limits) > 0 {
		a.unsafe = append(a.unsafe, "<Limit> with Satisfy All or <RequireAll>")
	}
	except := 0
	for _, l := range a.limits {
		if l.except {
			except++
		}
	}
	if except > 0 && len(a.limits) > 1 {
		a.unsafe = append(a.unsafe, "<LimitExcept> beside another <Limit> or <LimitExcept>")
	}
}

// or is the requirements of r and s together, any one admitting.
func (r req) or(s req) req {
	// A denial wins, stricter than Apache, where another line may admit.
	return req{any: r.any || s.any, valid: r.valid || s.valid, deny: r.deny || s.deny,
		granted: r.granted || s.granted, users: append(slices.Clip(r.users), s.users...), network: append(slices.Clip(r.network), s.network...)}
}

// networks keeps the arguments of "Require ip" or "Allow from" that are
// addresses or CIDR prefixes; skipped says some were not (Apache's
// partial addresses "10.1", host names), each warned about.
func (im *importer) networks(d directive, args []string) (out []string, skipped bool) {
	for _, a := range args {
		if _, err := netip.ParsePrefix(a); err == nil {
			out = append(out, a)
		} else if _, err := netip.ParseAddr(a); err == nil {
			out = append(out, a)
		} else {
			im.warn(d, "%q: only full addresses and CIDR prefixes become forward_auth networks; skipped", a)
			skipped = true
		}
	}
	return out, skipped
}

// unsafeNote is the warning for a section imported as a deny.
func unsafeNote(from string, why []string) string {
	return fmt.Sprintf("%s: cannot be reproduced exactly (%s): imported as deny: true, stricter than Apache; review and replace this deny by hand", from, strings.Join(slices.Compact(why), "; "))
}
