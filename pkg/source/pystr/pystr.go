// Package pystr renders values as Python's str() does, so that ids read
// from typed columns (Parquet, SQL, plugin NDJSON) have the same text as in
// the reference implementation: 1 → "1", 1.0 → "1.0", True → "True".
package pystr

import (
	"math"
	"strconv"
)

// AppendFloat appends Python's repr of a float: the shortest round-trip
// digits, ".0" for integral values, scientific notation below 1e-4 and from
// 1e16 on ("1e+16", "1e-05"), "nan", "inf", "-inf".
func AppendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "nan"...)
	case math.IsInf(f, 1):
		return append(buf, "inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-inf"...)
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.AppendFloat(buf, f, 'e', -1, 64)
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'f', -1, 64)
	for _, c := range buf[start:] {
		if c == '.' {
			return buf
		}
	}
	return append(buf, ".0"...)
}

// AppendBool appends "True" or "False".
func AppendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, "True"...)
	}
	return append(buf, "False"...)
}
