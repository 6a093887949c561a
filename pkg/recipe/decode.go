package recipe

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// decoder turns decoded YAML values into typed fields with the reference's
// lax coercion rules (recipe-and-cli.md §1.3), collecting every problem.
type decoder struct {
	issues []Issue
}

func (d *decoder) fail(loc string, n *node, msg string) {
	line := 0
	if n != nil {
		line = n.line
	}
	d.issues = append(d.issues, Issue{Loc: loc, Msg: msg, Line: line})
}

// object checks that n is a mapping with string keys among fields and
// returns its values by key. Unknown keys are reported after the caller has
// decoded the known ones, through the returned function, to keep the
// reference's error order.
func (d *decoder) object(n *node, loc string, fields ...string) (map[string]*node, func(), bool) {
	if n.kind != kMap {
		d.fail(loc, n, "Input should be a valid dictionary")
		return nil, func() {}, false
	}
	vals := make(map[string]*node, len(n.entries))
	var extras []entry
	for _, e := range n.entries {
		if e.keyStr && contains(fields, e.key) {
			vals[e.key] = e.val
		} else {
			extras = append(extras, e)
		}
	}
	return vals, func() {
		for _, e := range extras {
			d.fail(joinLoc(loc, e.key), e.val, "Extra inputs are not permitted")
		}
	}, true
}

func (d *decoder) required(vals map[string]*node, key, loc string) (*node, bool) {
	n, ok := vals[key]
	if !ok {
		d.fail(joinLoc(loc, key), nil, "Field required")
		return nil, false
	}
	return n, true
}

func (d *decoder) str(n *node, loc string) (string, bool) {
	if n.kind != kString {
		d.fail(loc, n, "Input should be a valid string")
		return "", false
	}
	return n.s, true
}

func (d *decoder) optStr(n *node, loc string) (*string, bool) {
	if n.kind == kNull {
		return nil, true
	}
	s, ok := d.str(n, loc)
	if !ok {
		return nil, false
	}
	return &s, true
}

var intStringRE = regexp.MustCompile(`^[+-]?[0-9]+(?:\.0*)?$`)

func (d *decoder) integer(n *node, loc string) (int, bool) {
	switch n.kind {
	case kInt:
		if n.bigInt {
			d.fail(loc, n, "Input should be a valid integer, the number is too large")
			return 0, false
		}
		return int(n.i), true
	case kBool:
		if n.b {
			return 1, true
		}
		return 0, true
	case kFloat:
		if math.IsNaN(n.f) || math.IsInf(n.f, 0) {
			d.fail(loc, n, "Input should be a finite number")
			return 0, false
		}
		if n.f != math.Trunc(n.f) {
			d.fail(loc, n, "Input should be a valid integer, got a number with a fractional part")
			return 0, false
		}
		if math.Abs(n.f) >= 1<<63 {
			d.fail(loc, n, "Input should be a valid integer, the number is too large")
			return 0, false
		}
		return int(n.f), true
	case kString:
		s := strings.TrimFunc(n.s, unicode.IsSpace)
		if !intStringRE.MatchString(s) {
			d.fail(loc, n, "Input should be a valid integer, unable to parse string as an integer")
			return 0, false
		}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			s = s[:i]
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			d.fail(loc, n, "Input should be a valid integer, the number is too large")
			return 0, false
		}
		return int(v), true
	}
	d.fail(loc, n, "Input should be a valid integer")
	return 0, false
}

func (d *decoder) optInt(n *node, loc string) (*int, bool) {
	if n.kind == kNull {
		return nil, true
	}
	v, ok := d.integer(n, loc)
	if !ok {
		return nil, false
	}
	return &v, true
}

var floatStringRE = regexp.MustCompile(`^[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9]+)?|[0-9]+\.|inf|infinity|nan)$`)

func (d *decoder) float(n *node, loc string) (float64, bool) {
	switch n.kind {
	case kFloat:
		return n.f, true
	case kInt:
		if n.bigInt {
			f, _ := strconv.ParseFloat(n.s, 64)
			return f, true
		}
		return float64(n.i), true
	case kBool:
		if n.b {
			return 1, true
		}
		return 0, true
	case kString:
		s := strings.ToLower(strings.TrimFunc(n.s, unicode.IsSpace))
		if floatStringRE.MatchString(s) {
			f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
			if err == nil || strings.Contains(err.Error(), "range") {
				return f, true
			}
		}
		d.fail(loc, n, "Input should be a valid number, unable to parse string as a number")
		return 0, false
	}
	d.fail(loc, n, "Input should be a valid number")
	return 0, false
}

func (d *decoder) boolean(n *node, loc string) (bool, bool) {
	switch n.kind {
	case kBool:
		return n.b, true
	case kInt:
		if !n.bigInt && (n.i == 0 || n.i == 1) {
			return n.i == 1, true
		}
	case kFloat:
		if n.f == 0 || n.f == 1 {
			return n.f == 1, true
		}
	case kString:
		switch strings.ToLower(n.s) {
		case "true", "yes", "on", "t", "y", "1":
			return true, true
		case "false", "no", "off", "f", "n", "0":
			return false, true
		}
		d.fail(loc, n, "Input should be a valid boolean, unable to interpret input")
		return false, false
	}
	d.fail(loc, n, "Input should be a valid boolean")
	return false, false
}

// literal checks that n is one of the allowed strings.
func (d *decoder) literal(n *node, loc string, allowed ...string) (string, bool) {
	if n.kind == kString && contains(allowed, n.s) {
		return n.s, true
	}
	d.fail(loc, n, "Input should be "+orList(allowed))
	return "", false
}

func (d *decoder) optLiteral(n *node, loc string, allowed ...string) (*string, bool) {
	if n.kind == kNull {
		return nil, true
	}
	s, ok := d.literal(n, loc, allowed...)
	if !ok {
		return nil, false
	}
	return &s, true
}

// orList renders 'a', 'b' or 'c'.
func orList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + v + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func (d *decoder) pattern(s string, n *node, loc string, re *regexp.Regexp) bool {
	if !re.MatchString(s) {
		d.fail(loc, n, fmt.Sprintf("String should match pattern '%s'", re.String()))
		return false
	}
	return true
}

func (d *decoder) minInt(v int, n *node, loc string, min int) bool {
	if v < min {
		d.fail(loc, n, fmt.Sprintf("Input should be greater than or equal to %d", min))
		return false
	}
	return true
}

func (d *decoder) rangeInt(v int, n *node, loc string, min, max int) bool {
	if !d.minInt(v, n, loc, min) {
		return false
	}
	if v > max {
		d.fail(loc, n, fmt.Sprintf("Input should be less than or equal to %d", max))
		return false
	}
	return true
}

// strMap decodes a mapping of strings to strings.
func (d *decoder) strMap(n *node, loc string) (map[string]string, bool) {
	return decodeMap(d, n, loc, d.str)
}

// intMap decodes a mapping of strings to integers.
func (d *decoder) intMap(n *node, loc string) (map[string]int, bool) {
	return decodeMap(d, n, loc, d.integer)
}

// anyMap decodes a mapping of strings to arbitrary values.
func (d *decoder) anyMap(n *node, loc string) (map[string]any, bool) {
	return decodeMap(d, n, loc, d.anyValue)
}

// decodeMap decodes a mapping with string keys, each value with value;
// every bad key or value is reported, and only good entries are kept.
func decodeMap[V any](d *decoder, n *node, loc string, value func(*node, string) (V, bool)) (map[string]V, bool) {
	if n.kind != kMap {
		d.fail(loc, n, "Input should be a valid dictionary")
		return nil, false
	}
	out := make(map[string]V, len(n.entries))
	ok := true
	for _, e := range n.entries {
		if !e.keyStr {
			d.fail(joinLoc(loc, e.key)+".[key]", e.val, "Input should be a valid string")
			ok = false
			continue
		}
		v, good := value(e.val, joinLoc(loc, e.key))
		if !good {
			ok = false
			continue
		}
		out[e.key] = v
	}
	return out, ok
}

// anyValue converts a value to plain Go data: nil, bool, int, float64,
// string, Date, time.Time, []any, map[string]any.
func (d *decoder) anyValue(n *node, loc string) (any, bool) {
	switch n.kind {
	case kNull:
		return nil, true
	case kBool:
		return n.b, true
	case kInt:
		if n.bigInt {
			d.fail(loc, n, "Input should be a valid integer, the number is too large")
			return nil, false
		}
		return int(n.i), true
	case kFloat:
		return n.f, true
	case kString:
		return n.s, true
	case kDate:
		return Date(n.s), true
	case kTime:
		return n.t, true
	case kSeq:
		out := make([]any, 0, len(n.items))
		ok := true
		for i, it := range n.items {
			v, good := d.anyValue(it, joinLoc(loc, strconv.Itoa(i)))
			ok = ok && good
			out = append(out, v)
		}
		return out, ok
	case kMap:
		return d.anyMap(n, loc)
	}
	return nil, false
}

// scalarParam decodes str | int | float | bool (SQL query parameters).
func (d *decoder) scalarParam(n *node, loc string) (any, bool) {
	switch n.kind {
	case kString:
		return n.s, true
	case kBool:
		return n.b, true
	case kInt:
		if !n.bigInt {
			return int(n.i), true
		}
	case kFloat:
		return n.f, true
	}
	d.fail(loc, n, "Input should be a valid string, integer, number or boolean")
	return nil, false
}

func (d *decoder) strList(n *node, loc string) ([]string, bool) {
	if n.kind != kSeq {
		d.fail(loc, n, "Input should be a valid list")
		return nil, false
	}
	out := make([]string, 0, len(n.items))
	ok := true
	for i, it := range n.items {
		s, good := d.str(it, joinLoc(loc, strconv.Itoa(i)))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

func (d *decoder) minItems(l []string, n *node, loc string) bool {
	if len(l) < 1 {
		d.fail(loc, n, fmt.Sprintf("List should have at least 1 item after validation, not %d", len(l)))
		return false
	}
	return true
}
