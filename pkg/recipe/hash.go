package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Hash returns the recipe hash: the hex SHA-256 of CanonicalJSON.
func (r *Recipe) Hash() string {
	sum := sha256.Sum256(r.CanonicalJSON())
	return hex.EncodeToString(sum[:])
}

// CanonicalJSON renders the validated recipe the way the reference hashes
// it (recipe-and-cli.md §1.15): every field including defaults and nulls,
// the schema section keyed "schema_", the source as its typed
// configuration, keys sorted at every level, "," and ":" separators,
// non-ASCII escaped as \uXXXX, floats in Python repr (1.0, 1e-05), dates as
// "YYYY-MM-DD". training.params is left out when empty, so recipes without
// it hash as the reference does.
func (r *Recipe) CanonicalJSON() []byte {
	var b strings.Builder
	writeCanonical(&b, reflect.ValueOf(r).Elem())
	return []byte(b.String())
}

var (
	sourceType = reflect.TypeOf(Source{})
	timeType   = reflect.TypeOf(time.Time{})
)

func writeCanonical(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		writeCanonical(b, v.Elem())
		return
	}
	switch {
	case v.Type() == sourceType:
		s := v.Interface().(Source)
		switch {
		case s.CSV != nil:
			writeCanonical(b, reflect.ValueOf(s.CSV))
		case s.Parquet != nil:
			writeCanonical(b, reflect.ValueOf(s.Parquet))
		case s.SQL != nil:
			writeCanonical(b, reflect.ValueOf(s.SQL))
		case s.BigQuery != nil:
			writeCanonical(b, reflect.ValueOf(s.BigQuery))
		case s.Plugin != nil:
			writeCanonical(b, reflect.ValueOf(s.Plugin))
		default:
			b.WriteString("null")
		}
		return
	case v.Type() == timeType:
		writeString(b, pyISOFormat(v.Interface().(time.Time)))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		type field struct {
			name string
			v    reflect.Value
		}
		var fields []field
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, opt, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if opt == "omitempty" && (fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice) && fv.Len() == 0 {
				continue
			}
			fields = append(fields, field{name, fv})
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].name < fields[j].name })
		b.WriteByte('{')
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, f.name)
			b.WriteByte(':')
			writeCanonical(b, f.v)
		}
		b.WriteByte('}')
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			writeCanonical(b, v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())))
		}
		b.WriteByte('}')
	case reflect.Slice:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, v.Index(i))
		}
		b.WriteByte(']')
	case reflect.String:
		writeString(b, v.String())
	case reflect.Bool:
		if v.Bool() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Float64, reflect.Float32:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			b.WriteString("NaN")
		case math.IsInf(f, 1):
			b.WriteString("Infinity")
		case math.IsInf(f, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(f))
		}
	default:
		writeString(b, fmt.Sprint(v.Interface()))
	}
}

// writeString writes s as Python's json.dumps(ensure_ascii=True) does.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r > 0x7e && r <= 0xffff):
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloat formats a finite float as Python's repr: the shortest digits
// that round-trip, fixed notation for decimal exponents from -4 to 15
// (always with a fractional part), scientific otherwise (1e-05, 1e+16).
func pyFloat(f float64) string {
	if math.IsNaN(f) {
		return "nan"
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return "inf"
		}
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1
	var out string
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			out = "0." + strings.Repeat("0", -decpt) + digits
		case decpt >= len(digits):
			out = digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		default:
			out = digits[:decpt] + "." + digits[decpt:]
		}
	} else {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out += fmt.Sprintf("e%s%02d", sign, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// pyISOFormat renders a time as Python's datetime.isoformat for a UTC
// datetime decoded by PyYAML.
func pyISOFormat(t time.Time) string {
	s := t.UTC().Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}
