package algo

import (
	"fmt"
	"math"
	"sort"
)

// Params maps hyperparameter names to values. Values are float64, int,
// string or bool.
type Params map[string]any

// Clone returns a shallow copy of p.
func (p Params) Clone() Params {
	q := make(Params, len(p))
	for k, v := range p {
		q[k] = v
	}
	return q
}

// Merge returns a copy of p overlaid with q.
func (p Params) Merge(q Params) Params {
	r := p.Clone()
	for k, v := range q {
		r[k] = v
	}
	return r
}

// Names returns the parameter names, sorted.
func (p Params) Names() []string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Float returns p[name] as a float64 (ints are converted).
func (p Params) Float(name string) (float64, error) {
	switch v := p[name].(type) {
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	}
	return 0, fmt.Errorf("parameter %q: want a number, got %T", name, p[name])
}

// Int returns p[name] as an int; a float must be integral.
func (p Params) Int(name string) (int, error) {
	switch v := p[name].(type) {
	case int:
		return v, nil
	case int64:
		return int(v), nil
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) {
			return int(v), nil
		}
	}
	return 0, fmt.Errorf("parameter %q: want an integer, got %v", name, p[name])
}

// String returns p[name] as a string.
func (p Params) String(name string) (string, error) {
	if v, ok := p[name].(string); ok {
		return v, nil
	}
	return "", fmt.Errorf("parameter %q: want a string, got %T", name, p[name])
}

// Bool returns p[name] as a bool.
func (p Params) Bool(name string) (bool, error) {
	if v, ok := p[name].(bool); ok {
		return v, nil
	}
	return false, fmt.Errorf("parameter %q: want a bool, got %T", name, p[name])
}

// Kind is the type of a searchable hyperparameter.
type Kind int

// The kinds of hyperparameters.
const (
	Float Kind = iota
	Int
	Categorical
)

// Param is one dimension of a search space.
type Param struct {
	Name string
	Kind Kind
	// Low and High bound Float and Int parameters (inclusive).
	Low, High float64
	// Log samples Float and Int parameters on a log scale.
	Log bool
	// Choices lists the values of a Categorical parameter.
	Choices []any
}

// Contains reports whether v is a legal value of the parameter.
func (p Param) Contains(v any) bool {
	switch p.Kind {
	case Float:
		f, err := Params{p.Name: v}.Float(p.Name)
		return err == nil && f >= p.Low && f <= p.High
	case Int:
		i, err := Params{p.Name: v}.Int(p.Name)
		return err == nil && float64(i) >= p.Low && float64(i) <= p.High
	case Categorical:
		for _, c := range p.Choices {
			if c == v {
				return true
			}
		}
	}
	return false
}
