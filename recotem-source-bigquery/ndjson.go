package main

// NDJSON output conventions, shared by the REST and the Storage Read API
// paths so that both write identical lines for the same data: the first
// line is the JSON array of column names, then one JSON array per row with
//
//   - INT64 as a number;
//   - FLOAT64 as a number (shortest representation), NaN and ±Inf as null;
//   - BOOL as a boolean;
//   - TIMESTAMP as RFC 3339 UTC text with up to 6 fractional digits;
//   - DATETIME as 2006-01-02T15:04:05[.ffffff], TIME as 15:04:05[.ffffff],
//     DATE as 2006-01-02, NUMERIC/BIGNUMERIC as decimal text without
//     trailing zeros, BYTES as base64 text, everything else as text;
//   - REPEATED and RECORD columns as JSON text (an array of element values,
//     an object keyed by field name, values typed as above);
//   - NULL as null.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

const (
	timestampLayout = "2006-01-02T15:04:05.999999Z07:00"
	datetimeLayout  = "2006-01-02T15:04:05.999999"
	timeLayout      = "15:04:05.999999"
)

func writeHeader(w *bufio.Writer, names []string) {
	b, _ := json.Marshal(names)
	w.Write(b)
	w.WriteByte('\n')
}

// appendJSONString appends s as a JSON string, escaped exactly as
// encoding/json does.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// appendFloat appends x as a JSON number, or null if it is not finite.
func appendFloat(buf []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(buf, "null"...)
	}
	return strconv.AppendFloat(buf, x, 'g', -1, 64)
}

func appendTimestamp(buf []byte, t time.Time) []byte {
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, timestampLayout)
	return append(buf, '"')
}

// trimDecimal drops trailing fractional zeros (and a bare point) from a
// decimal text: "1.500000000" → "1.5", "2.000" → "2".
func trimDecimal(s string) string {
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "eE") {
		return s
	}
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "" || s == "-" {
		return "0"
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// appendArrowRow appends row i of rec as a JSON array line.
func appendArrowRow(buf []byte, cols []arrow.Array, i int) ([]byte, error) {
	buf = append(buf, '[')
	for j, c := range cols {
		if j > 0 {
			buf = append(buf, ',')
		}
		var err error
		switch c.(type) {
		case *array.List, *array.LargeList, *array.Struct:
			if c.IsNull(i) {
				buf = append(buf, "null"...)
				break
			}
			var nested []byte
			if nested, err = appendArrowValue(nil, c, i); err == nil {
				buf = appendJSONString(buf, string(nested))
			}
		default:
			buf, err = appendArrowValue(buf, c, i)
		}
		if err != nil {
			return nil, err
		}
	}
	return append(buf, ']', '\n'), nil
}

// appendArrowValue appends the JSON value of element i of a, for the Arrow
// types the Storage Read API uses for BigQuery columns.
func appendArrowValue(buf []byte, a arrow.Array, i int) ([]byte, error) {
	if a.IsNull(i) {
		return append(buf, "null"...), nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.AppendInt(buf, a.Value(i), 10), nil
	case *array.Int32:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int16:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int8:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Float64:
		return appendFloat(buf, a.Value(i)), nil
	case *array.Float32:
		return appendFloat(buf, float64(a.Value(i))), nil
	case *array.Boolean:
		return strconv.AppendBool(buf, a.Value(i)), nil
	case *array.String:
		return appendJSONString(buf, a.Value(i)), nil
	case *array.LargeString:
		return appendJSONString(buf, a.Value(i)), nil
	case *array.Binary:
		return appendJSONString(buf, base64.StdEncoding.EncodeToString(a.Value(i))), nil
	case *array.Date32:
		return appendJSONString(buf, a.Value(i).FormattedString()), nil
	case *array.Timestamp:
		typ := a.DataType().(*arrow.TimestampType)
		t := a.Value(i).ToTime(typ.Unit)
		if typ.TimeZone == "" { // DATETIME
			return appendJSONString(buf, t.Format(datetimeLayout)), nil
		}
		return appendTimestamp(buf, t), nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return appendJSONString(buf, a.Value(i).ToTime(unit).Format(timeLayout)), nil
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		return appendJSONString(buf, a.Value(i).ToTime(unit).Format(timeLayout)), nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return appendJSONString(buf, trimDecimal(a.Value(i).ToString(scale))), nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return appendJSONString(buf, trimDecimal(a.Value(i).ToString(scale))), nil
	case *array.List:
		start, end := a.ValueOffsets(i)
		return appendArrowList(buf, a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return appendArrowList(buf, a.ListValues(), int(start), int(end))
	case *array.Struct:
		typ := a.DataType().(*arrow.StructType)
		buf = append(buf, '{')
		for k, f := range typ.Fields() {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, f.Name)
			buf = append(buf, ':')
			var err error
			if buf, err = appendArrowValue(buf, a.Field(k), i); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case *array.Null:
		return append(buf, "null"...), nil
	}
	return appendJSONString(buf, a.ValueStr(i)), nil
}

func appendArrowList(buf []byte, values arrow.Array, start, end int) ([]byte, error) {
	if start < 0 || end > values.Len() || start > end {
		return nil, fmt.Errorf("list offsets [%d, %d) out of range", start, end)
	}
	buf = append(buf, '[')
	for k := start; k < end; k++ {
		if k > start {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendArrowValue(buf, values, k); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}
