package config

import (
	"errors"
	"slices"
	"strings"
)

// CheckEnv looks at the TKT_ variables set in environ ("NAME=value", as
// os.Environ gives them) that name no setting, since Load only looks up the
// names it knows and would pass a mistyped one over without a word. A name
// within a typo of a setting's variable is an error naming that variable
// ("TKT_LISTN: not a setting (did you mean TKT_LISTEN?)") in typos, as
// an unknown YAML key is. Any other is returned in unknown, to be warned
// about: the prefix is shared with tktctl's own variables and with the
// test harnesses', which must not stop tktd.
func CheckEnv(environ []string) (unknown []string, typos error) {
	var names []string
	for _, k := range SettingKeys() {
		names = append(names, EnvName(k))
	}
	var p problems
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || slices.Contains(names, name) || otherEnv(name) {
			continue
		}
		if name == EnvPrefix+"STORES" || strings.HasPrefix(name, EnvPrefix+"STORES_") {
			p.wrap(name, errors.New("the stores have no environment variables: configure them in the file's stores list"))
			continue
		}
		// Compared without the prefix every name shares, so that the
		// prefix does not make a far-off name look close.
		if s := nearest(name[len(EnvPrefix):], trimmed(names)); s != "" {
			p.add(name, "not a setting (did you mean %s?)", EnvPrefix+s)
			continue
		}
		unknown = append(unknown, name)
	}
	slices.Sort(unknown)
	return unknown, p.err()
}

// otherEnv reports the TKT_ variables that are not tktd settings but are
// read by tkt's programs (tktd's configuration file, tktctl's secret and
// user database) or by its test harnesses.
func otherEnv(name string) bool {
	switch name {
	case "TKT_CONFIG", "TKT_SECRET", "TKT_DB_DRIVER", "TKT_DB_DSN", "TKT_SCREENSHOT_DIR":
		return true
	}
	return strings.HasPrefix(name, "TKT_TEST_")
}

func trimmed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, EnvPrefix)
	}
	return out
}
