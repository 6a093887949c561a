package algo

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ParamReader reads an algorithm's hyperparameters over its defaults and
// collects every problem, so a constructor reports all of them at once.
type ParamReader struct {
	class string
	p     Params
	errs  []error
}

// NewParamReader reads p over defaults for class; a name of p that is not
// a key of defaults is an error.
func NewParamReader(class string, defaults, p Params) *ParamReader {
	r := &ParamReader{class: class, p: defaults.Merge(p)}
	for _, name := range p.Names() {
		if _, ok := defaults[name]; !ok {
			r.errs = append(r.errs, fmt.Errorf("unknown parameter %q", name))
		}
	}
	return r
}

// Int returns an integer parameter of at least min.
func (r *ParamReader) Int(name string, min int) int {
	v, err := r.p.Int(name)
	if err == nil && v < min {
		err = fmt.Errorf("parameter %q: must be at least %d, got %d", name, min, v)
	}
	r.errs = append(r.errs, err)
	return v
}

// Float returns a finite, non-negative float parameter, strictly positive
// when positive is set.
func (r *ParamReader) Float(name string, positive bool) float64 {
	v, err := r.p.Float(name)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || positive && v == 0) {
		want := ">= 0"
		if positive {
			want = "> 0"
		}
		err = fmt.Errorf("parameter %q: must be a finite number %s, got %v", name, want, v)
	}
	r.errs = append(r.errs, err)
	return v
}

// Choice returns a string parameter that equals one of choices ignoring
// case, spelled as in choices.
func (r *ParamReader) Choice(name string, choices ...string) string {
	v, err := r.p.String(name)
	if err == nil {
		for _, c := range choices {
			if strings.EqualFold(v, c) {
				return c
			}
		}
		err = fmt.Errorf("parameter %q: must be one of %s, got %q", name, strings.Join(choices, ", "), v)
	}
	r.errs = append(r.errs, err)
	return v
}

// Err returns every problem found, prefixed with the class name, or nil.
func (r *ParamReader) Err() error {
	if err := errors.Join(r.errs...); err != nil {
		return fmt.Errorf("%s: %w", r.class, err)
	}
	return nil
}
