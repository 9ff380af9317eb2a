package config

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"go.yaml.in/yaml/v3"
)

// entry is one setting of the imported YAML.
type entry struct {
	key     string // dotted path
	value   any    // string, bool, float64, time.Duration or []string
	comment string // where it came from
}

// importOrder is the order settings appear in the imported YAML, the order
// of Config's fields.
func importOrder() []string {
	return []string{
		"ticket.digest", "ticket.timeout", "ticket.refresh", "ticket.ignore_ip",
		"cookie.name", "cookie.domain", "cookie.secure", "cookie.expires",
		"back_arg", "guest.enabled", "guest.user", "forward_auth.login_url",
	}
}

// resolve picks one value per setting and lays out the YAML entries.
func (im *importer) resolve(secretDir string) ([]entry, []ImportedSecret) {
	var out []entry
	rules, scopes := im.forwardRules()
	im.ruleScopes = scopes
	im.perLocationNotes(scopes)
	var secrets []ImportedSecret
	for _, key := range importOrder() {
		c, ok := im.pick(key, false)
		switch {
		case ok:
			out = append(out, entry{key, c.value, fmt.Sprintf("%s (%s)", c.d.name, c.d.where())})
		case key == "ticket.digest":
			out = append(out, entry{key, "md5", "mod_auth_tkt's default (no TKTAuthDigestType)"})
		}
		if key == "ticket.digest" {
			out, secrets = im.secretEntries(secretDir, out)
		}
	}
	if toks, c, ok := im.requiredTokens(); ok {
		out = append(out, entry{"ticket.tokens", toks, fmt.Sprintf("TKTAuthToken (%s), the same everywhere", c.d.where())})
	}
	if len(rules) > 0 {
		out = append(out, entry{"forward_auth.rules", rules, "first match wins: the most specific path first"})
	}
	if hosts := im.redirectHosts(); len(hosts) > 0 {
		out = append(out, entry{"allowed_redirects", hosts, "ServerName, ServerAlias and TKTAuthDomain of the sites using mod_auth_tkt"})
	} else {
		im.conf.note(0, true, "no host names found for allowed_redirects: list your sites' hosts there, or logins only return to tktd's own pages")
	}
	slices.SortStableFunc(out, func(a, b entry) int { return strings.Compare(section(a.key), section(b.key)) })
	return out, secrets
}

// secretEntries adds the secret files to out.
func (im *importer) secretEntries(secretDir string, out []entry) ([]entry, []ImportedSecret) {
	var secrets []ImportedSecret
	weak := false
	cur, old := secretPaths(secretDir)
	for _, s := range []struct{ key, yamlKey, path string }{{"secret", "ticket.secret_file", cur}, {"old_secret", "ticket.old_secret_files", old}} {
		c, ok := im.pick(s.key, true)
		if !ok {
			continue
		}
		var v any = s.path
		if s.key == "old_secret" {
			v = []string{s.path}
		}
		out = append(out, entry{s.yamlKey, v, fmt.Sprintf("%s (%s): write it to this file, mode 0600", c.d.name, c.d.where())})
		secrets = append(secrets, ImportedSecret{Path: s.path, Value: c.value.(string), Directive: c.d.name, Line: c.d.line})
		if n := len(c.value.(string)); n < ticket.MinSecretLen && !weak {
			// tktd refuses it otherwise; the site cannot change the secret
			// of every Apache at once, so keep it, and say so loudly.
			weak = true
			out = append(out, entry{"ticket.allow_weak_secret", true,
				fmt.Sprintf("WEAK: %s (%s) is %d bytes; rotate it soon (tktctl secret new)", c.d.name, c.d.where(), n)})
			im.conf.note(c.d.line, true, "%s is only %d bytes long: anyone holding one ticket can guess it and forge tickets for any user; "+
				"the YAML keeps it with ticket.allow_weak_secret: true until you rotate it to one of %d bytes or more (tktctl secret new)", c.d.name, n, ticket.RecommendedSecretLen)
		}
	}
	if len(im.cands["secret"]) == 0 {
		im.conf.note(0, true, "no TKTAuthSecret found: set ticket.secret_file to a file holding the secret your validators share, or tktd generates one they don't know")
	}
	return out, secrets
}

// section orders the entries by top-level key, in Config's order.
func section(key string) string {
	top, _, _ := strings.Cut(key, ".")
	order := []string{"ticket", "cookie", "back_arg", "allowed_redirects", "guest", "forward_auth"}
	return fmt.Sprintf("%02d", slices.Index(order, top))
}

// pick returns the first value given for key and warns about every later,
// different one. Secret values are never shown.
func (im *importer) pick(key string, secret bool) (candidate, bool) {
	cs := im.cands[key]
	if len(cs) == 0 {
		return candidate{}, false
	}
	first := cs[0]
	for _, c := range cs[1:] {
		if equalValues(c.value, first.value) || im.ruleScopes[c.d.scope] && perRuleKey(key) {
			continue // the same, or carried by the rule of c's <Location>
		}
		if secret {
			im.conf.note(c.d.line, true, "%s differs from the one at line %d: tkt signs with one secret everywhere; kept line %d's", c.d.name, first.d.line, first.d.line)
			continue
		}
		im.conf.note(c.d.line, true, "%s %s differs from %s (%s): tktd has one value for every location; kept the first",
			c.d.name, show(c.value), show(first.value), first.d.where())
	}
	return first, true
}

// requiredTokens returns the token list if every place with TKTAuth
// settings requires the same tokens; otherwise it explains why none are
// required at the portal.
func (im *importer) requiredTokens() ([]string, candidate, bool) {
	if len(im.tokenScopes) == 0 {
		return nil, candidate{}, false
	}
	var first *candidate
	same := true
	for _, s := range im.scopes {
		c := im.tokenScopes[s]
		if c == nil || first != nil && !equalValues(c.value, first.value) {
			same = false
			break
		}
		if first == nil {
			first = c
		}
	}
	if same && first != nil && len(first.value.([]string)) > 0 {
		return first.value.([]string), *first, true
	}
	for _, s := range im.scopes {
		if c := im.tokenScopes[s]; c != nil && im.ruleScopes[s] {
			im.conf.note(c.d.line, false, "TKTAuthToken %s: required in this place only: its forward_auth rule requires it, ticket.tokens stays unset",
				strings.Join(c.value.([]string), " "))
		} else if c != nil {
			im.conf.note(c.d.line, true, "TKTAuthToken %s: Apache requires it in this place only, and tktd can only require tokens for every login, so ticket.tokens is left unset; Apache keeps checking them: give the users who need them these groups in the user store (groups become ticket tokens)",
				strings.Join(c.value.([]string), " "))
		}
	}
	return nil, candidate{}, false
}

// redirectHosts lists the host names of the virtual hosts using
// mod_auth_tkt, and the cookie domain as a suffix.
func (im *importer) redirectHosts() []string {
	var out []string
	for i, vh := range im.conf.vhosts {
		if !im.tktHosts[i] {
			continue
		}
		for _, name := range vh.names {
			h, ok := hostEntry(name)
			if !ok {
				im.conf.note(vh.line, true, "host name %q can't be an allowed_redirects entry; skipped", cut(name, 80))
				continue
			}
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	if cs := im.cands["cookie.domain"]; len(cs) > 0 {
		d := "." + strings.TrimPrefix(strings.ToLower(cs[0].value.(string)), ".")
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// hostEntry turns a ServerName or ServerAlias into an allow-list entry:
// scheme and port dropped, "*.example.com" as the suffix ".example.com".
func hostEntry(name string) (string, bool) {
	h := strings.ToLower(name)
	if _, rest, ok := strings.Cut(h, "://"); ok {
		h = rest
	}
	if strings.HasPrefix(h, "[") {
		if end := strings.IndexByte(h, ']'); end > 0 {
			h = h[:end+1]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		h = "." + rest
	}
	return h, checkHost(h) == nil
}

func equalValues(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok || bok {
		return aok && bok && slices.Equal(as, bs)
	}
	return a == b
}

func show(v any) string {
	switch v := v.(type) {
	case time.Duration:
		return FormatDuration(v)
	case bool:
		if v {
			return "On"
		}
		return "Off"
	case []string:
		return strings.Join(v, " ")
	}
	return fmt.Sprint(v)
}

const importHeader = `tktd configuration imported from mod_auth_tkt's TKTAuth* directives by
tktctl config import-apache. Review it against the notes it printed.
Users: add a "stores:" list (htpasswd, sql, ldap); without one tktd uses
its SQLite store in data_dir (add users with tktctl user add).`

// renderYAML writes the entries as a YAML document, each with its origin
// as a line comment.
func renderYAML(entries []entry) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range entries {
		put(root, strings.Split(e.key, "."), valueNode(e.value), e.comment)
	}
	if len(root.Content) > 0 {
		root.Content[0].HeadComment = importHeader
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// put sets path in the mapping m, creating the mappings on the way.
func put(m *yaml.Node, path []string, v *yaml.Node, comment string) {
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == path[0] && len(path) > 1 {
			put(m.Content[i+1], path[1:], v, comment)
			return
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: path[0]}
	if len(path) > 1 {
		sub := &yaml.Node{Kind: yaml.MappingNode}
		m.Content = append(m.Content, k, sub)
		put(sub, path[1:], v, comment)
		return
	}
	v.LineComment = oneLine(comment)
	m.Content = append(m.Content, k, v)
}

func valueNode(v any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode}
	switch v := v.(type) {
	case string:
		n.Tag, n.Value = "!!str", v
	case bool:
		n.Tag, n.Value = "!!bool", strconv.FormatBool(v)
	case float64:
		n.Tag, n.Value = "!!float", strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.ContainsAny(n.Value, ".eE") {
			n.Value += ".0"
		}
	case time.Duration:
		n.Tag, n.Value = "!!str", FormatDuration(v)
	case []string:
		n.Kind, n.Style = yaml.SequenceNode, yaml.FlowStyle
		for _, s := range v {
			n.Content = append(n.Content, valueNode(s))
		}
	case [][]entry: // a list of maps: forward_auth.rules
		n.Kind = yaml.SequenceNode
		for _, m := range v {
			mn := &yaml.Node{Kind: yaml.MappingNode}
			for _, e := range m {
				put(mn, []string{e.key}, valueNode(e.value), e.comment)
			}
			n.Content = append(n.Content, mn)
		}
	}
	return n
}

// perRuleKey reports whether a forward_auth rule can carry a location's
// own value of key.
func perRuleKey(key string) bool {
	return key == "ticket.timeout" || key == "ticket.refresh" || key == "ticket.ignore_ip"
}

// oneLine keeps a comment on one line: values from the input may hold
// anything.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
}
