package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/go-viper/mapstructure/v2"
)

// FieldError is one problem with one setting, named by its YAML key path
// ("ticket.digest", "stores[1].path"). Load and Validate return every
// FieldError found, joined with errors.Join; Problems splits them again.
type FieldError struct {
	Key string // empty for a problem with the file as a whole
	Err error
}

func (e *FieldError) Error() string {
	if e.Key == "" {
		return e.Err.Error()
	}
	return e.Key + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Problems lists the individual problems in an error from Load or
// Validate, in the order they were found, so a caller can print one per line.
func Problems(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	return []error{err}
}

// problems collects FieldErrors.
type problems []error

func (p *problems) add(key, format string, a ...any) {
	*p = append(*p, &FieldError{Key: key, Err: fmt.Errorf(format, a...)})
}

func (p *problems) wrap(key string, err error) {
	if err != nil {
		*p = append(*p, &FieldError{Key: key, Err: err})
	}
}

func (p problems) err() error { return errors.Join(p...) }

// addDecode turns a mapstructure error tree into one FieldError per field,
// with prefix ("stores[2]") put in front of mapstructure's field names.
func (p *problems) addDecode(prefix string, err error) {
	if err == nil {
		return
	}
	var de *mapstructure.DecodeError
	if errors.As(err, &de) && de == err {
		var inner *mapstructure.DecodeError
		if errors.As(de.Unwrap(), &inner) {
			p.addDecode(prefix, de.Unwrap())
			return
		}
		p.wrap(joinKey(prefix, de.Name()), describeDecodeErr(de.Unwrap()))
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			p.addDecode(prefix, e)
		}
		return
	}
	if u := errors.Unwrap(err); u != nil {
		p.addDecode(prefix, u)
		return
	}
	p.wrap(prefix, err)
}

func joinKey(prefix, key string) string {
	switch {
	case prefix == "":
		return key
	case key == "":
		return prefix
	}
	return prefix + "." + key
}

// describeDecodeErr says what a type mismatch wanted, in YAML terms rather
// than Go's.
func describeDecodeErr(err error) error {
	var pe *mapstructure.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("want %s, got %s", kindName(pe.Expected.Type()), showValue(pe.Value))
	}
	var ue *mapstructure.UnconvertibleTypeError
	if errors.As(err, &ue) {
		return fmt.Errorf("want %s, got %s", kindName(ue.Expected.Type()), showValue(ue.Value))
	}
	return err
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "a map of settings"
	}
	return t.String()
}

// showValue shows a bad value briefly: a list or map by its kind only, a
// scalar quoted and cut, since it might be a mistyped secret.
func showValue(v any) string {
	switch s := v.(type) {
	case nil:
		return "nothing"
	case map[string]any, map[any]any:
		return "a map"
	case []any:
		return "a list"
	case string:
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

// unknownKey explains a key no setting has, with the nearest known key
// when one is close enough to be a typo.
func unknownKey(key string, known []string) error {
	switch key {
	case "secret", "ticket.secret", "ticket.secrets", "ticket.old_secret", "ticket.old_secrets":
		return errors.New("secrets are not read from the configuration file: put the secret in a file of its own (mode 0600) and name it in ticket.secret_file")
	}
	if s := nearest(key, known); s != "" {
		return fmt.Errorf("unknown setting (did you mean %s?)", s)
	}
	return errors.New("unknown setting")
}

// nearest returns the known key closest to key by edit distance, if it is
// within a third of key's length.
func nearest(key string, known []string) string {
	if len(key) > 64 { // no typo makes a key that long; spare the CPU
		return ""
	}
	best, bestD := "", len(key)/3+1
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
