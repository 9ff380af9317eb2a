package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// ParseDuration reads a duration as Go writes it ("90s", "2h30m") with two
// more units, d (24h) and w (7d), since ticket lifetimes are often days.
// A bare number is refused: is "7200" seconds (Apache) or nanoseconds (Go)?
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q has no unit: write e.g. %ss, 2h or 1d", s, s)
	}
	// Rewrite each <number>d or <number>w as hours for time.ParseDuration.
	var b strings.Builder
	num := 0 // start of the number being read
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
			continue
		case c == 'd' || c == 'w':
			n, err := strconv.ParseFloat(s[num:i], 64)
			if err != nil || num == i {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			mult := 24.0
			if c == 'w' {
				mult = 7 * 24
			}
			b.WriteString(strconv.FormatFloat(n*mult, 'f', -1, 64))
			b.WriteByte('h')
		default:
			b.WriteString(s[num : i+1])
		}
		num = i + 1
	}
	b.WriteString(s[num:])
	d, err := time.ParseDuration(b.String())
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want e.g. 30s, 15m, 2h, 1d", s)
	}
	return d, nil
}

// FormatDuration writes d in the largest unit that divides it ("2h",
// "90m", "1w"), which ParseDuration reads back.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{week, "w"}, {day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return d.String()
}

var errNoUnit = errors.New("a duration needs a unit: write e.g. 30s, 15m, 2h or 1d")

// durationHook decodes time.Duration settings with ParseDuration. YAML
// numbers are refused (0 aside) for the same reason bare strings are.
func durationHook(from reflect.Type, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[time.Duration]() {
		return data, nil
	}
	if v, ok := data.(string); ok {
		return ParseDuration(v)
	}
	switch from.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if from == reflect.TypeFor[time.Duration]() || reflect.ValueOf(data).IsZero() {
			return data, nil
		}
		return nil, fmt.Errorf("%w (got the number %v)", errNoUnit, data)
	}
	return data, nil
}

// listHook splits a string into a list at commas, trimming blanks: the
// form lists take in environment variables and flags.
func listHook(from reflect.Type, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice || to.Elem().Kind() != reflect.String {
		return data, nil
	}
	var out []string
	for p := range strings.SplitSeq(data.(string), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}
