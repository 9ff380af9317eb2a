package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// EnvPrefix starts every environment variable Load reads: the key path in
// upper case with dots as underscores, TKT_LISTEN for listen and
// TKT_TICKET_SECRET_FILE for ticket.secret_file. Lists are comma-separated.
// The stores list has no variables: it is configured in the file.
const EnvPrefix = "TKT_"

// FlagKey is the pflag annotation that ties a flag to the setting it
// overrides, for flags not named after their key path.
const FlagKey = "tkt-config-key"

// maxFileSize bounds a configuration file: a real one is a few KiB, and
// reading /dev/zero by mistake should fail rather than fill memory.
const maxFileSize = 1 << 20

// Load reads the YAML file at path (none if path is empty) over Defaults,
// applies TKT_... variables looked up with env (nil for none), checks the
// result with Validate and returns it. The error lists every problem found.
func Load(path string, env func(string) string) (Config, error) {
	return LoadWithFlags(path, env, nil)
}

// LoadWithFlags is Load with command-line flags applied last: every flag of
// fs that was set on the command line and is named like a setting, with
// dashes for underscores (--listen, --data-dir), or that names its setting
// in its FlagKey annotation (--upstream for gate.upstream), overrides it.
func LoadWithFlags(path string, env func(string) string, fs *pflag.FlagSet) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = readLimited(path, maxFileSize); err != nil {
			return Config{}, err
		}
	}
	return load(data, env, fs)
}

// Parse is Load for YAML held in memory.
func Parse(data []byte, env func(string) string) (Config, error) {
	return load(data, env, nil)
}

func load(data []byte, env func(string) string, fs *pflag.FlagSet) (Config, error) {
	c, probs, err := decode(data, env, fs)
	if err != nil {
		return Config{}, err
	}
	probs = append(probs, Problems(c.Validate())...)
	if err := probs.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decode merges the layers and decodes them into a Config. A YAML syntax
// error is returned as err, since nothing else can be said about the file;
// every other problem is collected in probs so that Validate's come too.
func decode(data []byte, env func(string) string, fs *pflag.FlagSet) (Config, problems, error) {
	k := koanf.New(".")
	if len(bytes.TrimSpace(data)) > 0 {
		if err := k.Load(rawbytes.Provider(data), yaml.Parser()); err != nil {
			return Config{}, nil, &FieldError{Err: yamlSyntaxError(data, err)}
		}
	}
	keys := SettingKeys()
	var probs problems
	if env != nil {
		for _, key := range keys {
			if v := env(EnvName(key)); v != "" {
				probs.wrap(EnvName(key), k.Set(key, v))
			}
		}
	}
	if fs != nil {
		fs.Visit(func(f *pflag.Flag) {
			key := strings.ReplaceAll(f.Name, "-", "_")
			if k := f.Annotations[FlagKey]; len(k) == 1 {
				key = k[0]
			}
			if !slices.Contains(keys, key) {
				return
			}
			var v any = f.Value.String()
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				v = sv.GetSlice()
			}
			probs.wrap("--"+f.Name, k.Set(key, v))
		})
	}

	raw := k.Raw()
	stores := raw["stores"]
	delete(raw, "stores")
	var rules any
	if fa, ok := raw["forward_auth"].(map[string]any); ok {
		rules = fa["rules"]
		delete(fa, "rules")
	}
	c := Defaults()
	probs.addDecode("", decodeInto(raw, &c))
	for _, u := range unknownKeys(raw, reflect.TypeFor[Config](), "") {
		probs.wrap(u, unknownKey(u, append(keys, "stores")))
	}
	c.Stores = decodeStores(stores, &probs)
	c.ForwardAuth.Rules = decodeRules(rules, &probs)
	return c, probs, nil
}

// decodeInto decodes a map of settings into out, which holds the values
// to keep for keys the map lacks. Strings are accepted for numbers, booleans
// and comma-separated lists, since environment variables are strings.
func decodeInto(in any, out any) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName:          "koanf",
		WeaklyTypedInput: true,
		Result:           out,
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook, listHook),
	})
	if err != nil {
		return err // only for a bad Result, a bug
	}
	return d.Decode(in)
}

// decodeStores decodes the stores list: each entry's common keys into
// Store, the rest into the settings of its type.
func decodeStores(raw any, probs *problems) []Store {
	if raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		probs.add("stores", "want a list of stores, got %s", showValue(raw))
		return nil
	}
	var out []Store
	for i, item := range list {
		key := fmt.Sprintf("stores[%d]", i)
		m, ok := item.(map[string]any)
		if !ok {
			probs.add(key, "want a map with a type (htpasswd, sql or ldap), got %s", showValue(item))
			out = append(out, Store{}) // keeps the indexes of later problems right
			continue
		}
		common, rest := map[string]any{}, map[string]any{}
		for k, v := range m {
			if commonStoreKey(k) {
				common[k] = v
			} else {
				rest[k] = v
			}
		}
		var st Store
		probs.addDecode(key, decodeInto(common, &st))
		for _, u := range unknownKeys(common, reflect.TypeFor[Store](), "") {
			probs.wrap(key+"."+u, unknownKey(u, keysOf(reflect.TypeFor[Cache](), "cache")))
		}
		var target any
		switch st.Type {
		case StoreHtpasswd:
			st.Htpasswd = &HtpasswdStore{}
			target = st.Htpasswd
		case StoreSQL:
			st.SQL = &SQLStore{}
			target = st.SQL
		case StoreLDAP:
			st.LDAP = &LDAPStore{}
			target = st.LDAP
		case "":
			probs.add(key+".type", "missing: htpasswd, sql or ldap")
		default:
			probs.add(key+".type", "unknown store type %q: want htpasswd, sql or ldap", st.Type)
		}
		if target != nil {
			probs.addDecode(key, decodeInto(rest, target))
			t := reflect.TypeOf(target).Elem()
			known := keysOf(t, "")
			for _, u := range unknownKeys(rest, t, "") {
				err := unknownKey(u, known)
				probs.wrap(key+"."+u, fmt.Errorf("%w for a %s store", err, st.Type))
			}
		}
		out = append(out, st)
	}
	return out
}

// unknownKeys lists the key paths in m that name no setting of struct
// type t. mapstructure's own list of unused keys is lost for a struct in
// which any value failed to decode, and every problem must be reported.
func unknownKeys(m map[string]any, t reflect.Type, prefix string) []string {
	fields := map[string]reflect.Type{}
	for _, f := range fieldsOf(t) {
		fields[f.name] = f.typ
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ft, ok := fields[k]
		switch {
		case !ok:
			out = append(out, joinKey(prefix, k))
		case ft.Kind() == reflect.Struct:
			if sub, ok := m[k].(map[string]any); ok {
				out = append(out, unknownKeys(sub, ft, joinKey(prefix, k))...)
			}
		}
	}
	return out
}

// EnvName is the environment variable for a setting's key path.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// SettingKeys lists the key paths of every setting but the stores: the
// keys environment variables (EnvName) and flags can set.
func SettingKeys() []string { return keysOf(reflect.TypeFor[Config](), "") }

// keysOf lists the key paths of struct type t's leaves: nested structs
// (and pointers to them) are walked, time.Duration and lists are leaves.
func keysOf(t reflect.Type, prefix string) []string {
	var out []string
	for _, f := range fieldsOf(t) {
		if f.typ.Kind() == reflect.Struct {
			out = append(out, keysOf(f.typ, joinKey(prefix, f.name))...)
		} else {
			out = append(out, joinKey(prefix, f.name))
		}
	}
	return out
}

type field struct {
	name string       // koanf key
	typ  reflect.Type // pointers resolved to what they point to
}

// fieldsOf lists the settings of struct type t by their koanf tags, with
// the fields of squashed structs at t's own level.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if strings.Contains(opts, "squash") {
			out = append(out, fieldsOf(ft)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name, ft})
	}
	return out
}

// readLimited reads a whole file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w (more than %d bytes)", path, errTooLarge, limit)
	}
	return b, nil
}

var errTooLarge = errors.New("file too large")
