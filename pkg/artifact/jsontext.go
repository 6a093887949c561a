package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the small JSON reader and writer `recotem inspect` uses to
// print a header exactly as the reference does (Python json.loads then
// json.dumps(indent=2, ensure_ascii=True)): object keys in their original
// order (a duplicate key keeps its first position and its last value), ints
// of any size printed as written, floats in Python's repr, NaN and ±Infinity
// accepted, lone UTF-16 surrogates preserved. encoding/json cannot do that:
// it reorders nothing but rejects NaN and loses the number spelling.

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jInt   // raw decimal text in num
	jFloat // value in f
	jString
	jArray
	jObject
)

type jvalue struct {
	kind jkind
	b    bool
	num  string
	f    float64
	s    []rune   // may hold lone surrogates
	vals []jvalue // array elements, or object values
	keys [][]rune // object keys, parallel to vals
}

// maxJSONDepth bounds nesting (the reference hits Python's recursion limit
// around 1000).
const maxJSONDepth = 512

// maxJSONValues bounds the number of values in a header (GO: the reference
// has no such limit; real headers hold about 50). A value costs a few
// hundred bytes across the tree and the decoders, so a 64 KiB header of
// "[0,0,0,...]" (32768 values) took 22 MiB; with the limit, opening an
// artifact allocates at most about 1.5 MiB for its header
// (TestReaderAllocationBound).
const maxJSONValues = 2048

type jparser struct {
	b      []byte
	p      int
	depth  int
	values int
}

// parseJSON parses a complete JSON text with Python's json.loads rules.
func parseJSON(b []byte) (jvalue, error) {
	ps := &jparser{b: b}
	ps.ws()
	v, err := ps.value()
	if err != nil {
		return jvalue{}, err
	}
	ps.ws()
	if ps.p != len(ps.b) {
		return jvalue{}, ps.errf("Extra data")
	}
	return v, nil
}

func (ps *jparser) errf(format string, args ...any) error {
	return fmt.Errorf("%s: char %d", fmt.Sprintf(format, args...), ps.p)
}

func (ps *jparser) ws() {
	for ps.p < len(ps.b) {
		switch ps.b[ps.p] {
		case ' ', '\t', '\n', '\r':
			ps.p++
		default:
			return
		}
	}
}

func (ps *jparser) lit(s string) bool {
	if strings.HasPrefix(string(ps.b[ps.p:min(len(ps.b), ps.p+len(s))]), s) {
		ps.p += len(s)
		return true
	}
	return false
}

func (ps *jparser) value() (jvalue, error) {
	if ps.p >= len(ps.b) {
		return jvalue{}, ps.errf("Expecting value")
	}
	if ps.values++; ps.values > maxJSONValues {
		return jvalue{}, ps.errf("more than %d values", maxJSONValues)
	}
	switch c := ps.b[ps.p]; {
	case c == '{':
		return ps.object()
	case c == '[':
		return ps.array()
	case c == '"':
		s, err := ps.str()
		return jvalue{kind: jString, s: s}, err
	case ps.lit("null"):
		return jvalue{kind: jNull}, nil
	case ps.lit("true"):
		return jvalue{kind: jBool, b: true}, nil
	case ps.lit("false"):
		return jvalue{kind: jBool}, nil
	case ps.lit("NaN"):
		return jvalue{kind: jFloat, f: math.NaN()}, nil
	case ps.lit("Infinity"):
		return jvalue{kind: jFloat, f: math.Inf(1)}, nil
	case ps.lit("-Infinity"):
		return jvalue{kind: jFloat, f: math.Inf(-1)}, nil
	case c == '-' || '0' <= c && c <= '9':
		return ps.number()
	}
	return jvalue{}, ps.errf("Expecting value")
}

func (ps *jparser) enter() error {
	ps.depth++
	if ps.depth > maxJSONDepth {
		return ps.errf("nesting deeper than %d", maxJSONDepth)
	}
	return nil
}

func (ps *jparser) object() (jvalue, error) {
	if err := ps.enter(); err != nil {
		return jvalue{}, err
	}
	defer func() { ps.depth-- }()
	ps.p++ // {
	v := jvalue{kind: jObject}
	ps.ws()
	if ps.p < len(ps.b) && ps.b[ps.p] == '}' {
		ps.p++
		return v, nil
	}
	index := map[string]int{}
	for {
		ps.ws()
		if ps.p >= len(ps.b) || ps.b[ps.p] != '"' {
			return v, ps.errf("Expecting property name enclosed in double quotes")
		}
		k, err := ps.str()
		if err != nil {
			return v, err
		}
		ps.ws()
		if ps.p >= len(ps.b) || ps.b[ps.p] != ':' {
			return v, ps.errf("Expecting ':' delimiter")
		}
		ps.p++
		ps.ws()
		val, err := ps.value()
		if err != nil {
			return v, err
		}
		if i, dup := index[string(k)]; dup {
			v.vals[i] = val
		} else {
			index[string(k)] = len(v.keys)
			v.keys = grow(v.keys)
			v.vals = append(grow(v.vals), val)
			v.keys = append(v.keys, k)
		}
		if done, err := ps.delimiter('}'); done || err != nil {
			return v, err
		}
	}
}

func (ps *jparser) array() (jvalue, error) {
	if err := ps.enter(); err != nil {
		return jvalue{}, err
	}
	defer func() { ps.depth-- }()
	ps.p++ // [
	v := jvalue{kind: jArray}
	ps.ws()
	if ps.p < len(ps.b) && ps.b[ps.p] == ']' {
		ps.p++
		return v, nil
	}
	for {
		ps.ws()
		e, err := ps.value()
		if err != nil {
			return v, err
		}
		v.vals = append(grow(v.vals), e)
		if done, err := ps.delimiter(']'); done || err != nil {
			return v, err
		}
	}
}

// grow returns s with room for one more element, doubling its capacity
// when full: append's gentler growth of large slices would allocate about
// five times the final size of a long array in all.
func grow[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	return slices.Grow(s, max(len(s), 1))
}

// delimiter consumes the ',' between members or elements, or the closing
// byte, which ends the object or array (done).
func (ps *jparser) delimiter(closing byte) (done bool, err error) {
	ps.ws()
	if ps.p < len(ps.b) {
		switch ps.b[ps.p] {
		case ',':
			ps.p++
			return false, nil
		case closing:
			ps.p++
			return true, nil
		}
	}
	return false, ps.errf("Expecting ',' delimiter")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (ps *jparser) number() (jvalue, error) {
	start := ps.p
	if ps.b[ps.p] == '-' {
		ps.p++
	}
	switch {
	case ps.p < len(ps.b) && ps.b[ps.p] == '0':
		ps.p++
	case ps.p < len(ps.b) && isDigit(ps.b[ps.p]):
		for ps.p < len(ps.b) && isDigit(ps.b[ps.p]) {
			ps.p++
		}
	default:
		ps.p = start
		return jvalue{}, ps.errf("Expecting value")
	}
	isFloat := false
	if ps.p+1 < len(ps.b) && ps.b[ps.p] == '.' && isDigit(ps.b[ps.p+1]) {
		isFloat = true
		ps.p++
		for ps.p < len(ps.b) && isDigit(ps.b[ps.p]) {
			ps.p++
		}
	}
	if ps.p < len(ps.b) && (ps.b[ps.p] == 'e' || ps.b[ps.p] == 'E') {
		q := ps.p + 1
		if q < len(ps.b) && (ps.b[q] == '+' || ps.b[q] == '-') {
			q++
		}
		if q < len(ps.b) && isDigit(ps.b[q]) {
			isFloat = true
			for q < len(ps.b) && isDigit(ps.b[q]) {
				q++
			}
			ps.p = q
		}
	}
	text := string(ps.b[start:ps.p])
	if !isFloat {
		if strings.Trim(text, "-0") == "" {
			text = "0" // Python: int("-0") == 0
		}
		return jvalue{kind: jInt, num: text}, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return jvalue{}, ps.errf("bad number %q", text)
	}
	return jvalue{kind: jFloat, f: f}, nil // overflow → ±Inf, as Python's float()
}

func (ps *jparser) str() ([]rune, error) {
	ps.p++ // opening quote
	// One allocation: the string has at most as many runes as bytes up to
	// the next quote (an escaped quote only ends the estimate early, and
	// append grows the rest).
	n := bytes.IndexByte(ps.b[ps.p:], '"')
	if n < 0 {
		n = len(ps.b) - ps.p
	}
	out := make([]rune, 0, n)
	for {
		if ps.p >= len(ps.b) {
			return nil, ps.errf("Unterminated string")
		}
		c := ps.b[ps.p]
		switch {
		case c == '"':
			ps.p++
			return out, nil
		case c == '\\':
			if ps.p+1 >= len(ps.b) {
				return nil, ps.errf("Unterminated string")
			}
			e := ps.b[ps.p+1]
			ps.p += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, rune(e))
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := ps.hex4()
				if !ok {
					return nil, ps.errf("Invalid \\uXXXX escape")
				}
				if 0xD800 <= r && r < 0xDC00 && ps.p+1 < len(ps.b) && ps.b[ps.p] == '\\' && ps.b[ps.p+1] == 'u' {
					save := ps.p
					ps.p += 2
					if r2, ok := ps.hex4(); ok && 0xDC00 <= r2 && r2 < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					} else {
						ps.p = save
					}
				}
				out = append(out, r)
			default:
				return nil, ps.errf("Invalid \\escape")
			}
		case c < 0x20:
			return nil, ps.errf("Invalid control character")
		default:
			r, n := utf8.DecodeRune(ps.b[ps.p:])
			out = append(out, r)
			ps.p += n
		}
	}
}

func (ps *jparser) hex4() (rune, bool) {
	if ps.p+4 > len(ps.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(ps.b[ps.p:ps.p+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	ps.p += 4
	return rune(v), true
}

// writePython appends v as Python's json.dumps(v, indent=2,
// ensure_ascii=True) would print it.
func writePython(sb *strings.Builder, v jvalue, indent int) {
	switch v.kind {
	case jNull:
		sb.WriteString("null")
	case jBool:
		sb.WriteString(strconv.FormatBool(v.b))
	case jInt:
		sb.WriteString(v.num)
	case jFloat:
		sb.WriteString(pythonFloat(v.f))
	case jString:
		writeASCIIString(sb, v.s)
	case jArray:
		if len(v.vals) == 0 {
			sb.WriteString("[]")
			return
		}
		sb.WriteString("[")
		for i, e := range v.vals {
			if i > 0 {
				sb.WriteString(",")
			}
			newline(sb, indent+1)
			writePython(sb, e, indent+1)
		}
		newline(sb, indent)
		sb.WriteString("]")
	case jObject:
		if len(v.keys) == 0 {
			sb.WriteString("{}")
			return
		}
		sb.WriteString("{")
		for i, k := range v.keys {
			if i > 0 {
				sb.WriteString(",")
			}
			newline(sb, indent+1)
			writeASCIIString(sb, k)
			sb.WriteString(": ")
			writePython(sb, v.vals[i], indent+1)
		}
		newline(sb, indent)
		sb.WriteString("}")
	}
}

// writeJSON appends v as compact standard JSON (for --json): key order
// kept, non-finite floats as null.
func writeJSON(sb *strings.Builder, v jvalue) {
	switch v.kind {
	case jFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			sb.WriteString("null")
			return
		}
		sb.WriteString(pythonFloat(v.f))
	case jArray:
		sb.WriteString("[")
		for i, e := range v.vals {
			if i > 0 {
				sb.WriteString(",")
			}
			writeJSON(sb, e)
		}
		sb.WriteString("]")
	case jObject:
		sb.WriteString("{")
		for i, k := range v.keys {
			if i > 0 {
				sb.WriteString(",")
			}
			writeASCIIString(sb, k)
			sb.WriteString(":")
			writeJSON(sb, v.vals[i])
		}
		sb.WriteString("}")
	default:
		writePython(sb, v, 0)
	}
}

func newline(sb *strings.Builder, indent int) {
	sb.WriteByte('\n')
	for range indent {
		sb.WriteString("  ")
	}
}

func writeASCIIString(sb *strings.Builder, s []rune) {
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			sb.WriteString(`\"`)
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\b':
			sb.WriteString(`\b`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r >= 0x20 && r <= 0x7e:
			sb.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(sb, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(sb, `\u%04x`, r)
		}
	}
	sb.WriteByte('"')
}

// pythonFloat formats f as Python's repr(float).
func pythonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1
	if decpt <= -4 || decpt > 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	switch {
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt < len(digits):
		return sign + digits[:decpt] + "." + digits[decpt:]
	default:
		return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	}
}

// jstring returns the Go string of a JSON string value (lone surrogates
// become U+FFFD).
func (v jvalue) jstring() string { return string(v.s) }

// member returns the value of key k of an object.
func (v jvalue) member(k string) (jvalue, bool) {
	for i, key := range v.keys {
		if string(key) == k {
			return v.vals[i], true
		}
	}
	return jvalue{}, false
}
