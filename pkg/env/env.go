// Package env parses recotem's environment variables with the reference's
// rules (recipe-and-cli.md §3): clamped integers and floats, truthy flags
// and comma-separated lists.
package env

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
)

// Getenv looks up a variable; os.Getenv in production.
type Getenv func(string) string

// Int parses a clamped integer variable: unset or empty → def; unparsable
// → def with a WARN env_var_unparseable{name, raw, fallback}; outside
// [lo, hi] → clamped with a WARN env_var_clamped{name, raw, value}. Digits
// may be separated by single underscores, as Python's int() accepts. log
// may be nil.
func Int(getenv Getenv, log *slog.Logger, name string, def, lo, hi int64) int64 {
	raw := getenv(name)
	s := strings.TrimSpace(raw)
	if s == "" {
		return def
	}
	v, err := parseInt(s)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		if log != nil {
			log.Warn("env_var_unparseable", "name", name, "raw", raw, "fallback", def)
		}
		return def
	}
	return clamp(log, name, raw, v, lo, hi)
}

func parseInt(s string) (int64, error) {
	if strings.Contains(s, "__") || strings.HasPrefix(strings.TrimLeft(s, "+-"), "_") || strings.HasSuffix(s, "_") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
}

func clamp(log *slog.Logger, name, raw string, v, lo, hi int64) int64 {
	c := min(max(v, lo), hi)
	if c != v && log != nil {
		log.Warn("env_var_clamped", "name", name, "raw", raw, "value", c)
	}
	return c
}

// Float parses a float variable clamped to [lo, hi] without a warning;
// unset or empty → def. An unparsable value is an error.
func Float(getenv Getenv, name string, def, lo, hi float64) (float64, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != v {
		return 0, errors.New(name + " must be a number, got '" + s + "'")
	}
	return min(max(v, lo), hi), nil
}

// Truthy reports whether a variable is 1, true, yes or on (trimmed, any case).
func Truthy(getenv Getenv, name string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(name))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// List splits a comma-separated variable, trimming entries and dropping
// empty ones; an all-empty value yields def.
func List(getenv Getenv, name string, def []string) []string {
	var out []string
	for _, e := range strings.Split(getenv(name), ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}
