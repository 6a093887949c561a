package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	bigquery "google.golang.org/api/bigquery/v2"
)

// downloadREST pages through jobs.getQueryResults from the first row,
// pageSize rows at a time, writing the header and NDJSON rows to w.
func downloadREST(ctx context.Context, svc *bigquery.Service, project string, job *bigquery.JobReference, w *bufio.Writer) error {
	var fields []*bigquery.TableFieldSchema
	token := ""
	var buf []byte
	for first := true; first || token != ""; first = false {
		call := svc.Jobs.GetQueryResults(project, job.JobId).Location(job.Location).MaxResults(pageSize).
			FormatOptionsUseInt64Timestamp(true).Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		r, err := call.Do()
		if err != nil {
			return fail("Failed to download BigQuery results: %v", err)
		}
		if len(r.Errors) > 0 {
			return fail("BigQuery query execution failed: %s", r.Errors[0].Message)
		}
		if r.Schema != nil {
			fields = r.Schema.Fields
		}
		if first {
			if r.Schema == nil {
				return fail("Failed to download BigQuery results: no schema in the response")
			}
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.Name
			}
			writeHeader(w, names)
		}
		for _, row := range r.Rows {
			if buf, err = appendRESTRow(buf[:0], fields, row); err != nil {
				return fail("Failed to download BigQuery results: %v", err)
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		token = r.PageToken
	}
	return nil
}

// appendRESTRow appends one REST row as a JSON array line (see ndjson.go
// for the conventions).
func appendRESTRow(buf []byte, fields []*bigquery.TableFieldSchema, r *bigquery.TableRow) ([]byte, error) {
	buf = append(buf, '[')
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		var v any
		if i < len(r.F) && r.F[i] != nil {
			v = r.F[i].V
		}
		var err error
		if v != nil && (f.Mode == "REPEATED" || isRecord(f)) {
			var nested []byte
			if nested, err = appendRESTValue(nil, f, v, false); err == nil {
				buf = appendJSONString(buf, string(nested))
			}
		} else {
			buf, err = appendRESTValue(buf, f, v, false)
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	return append(buf, ']', '\n'), nil
}

func isRecord(f *bigquery.TableFieldSchema) bool {
	return f.Type == "RECORD" || f.Type == "STRUCT"
}

// appendRESTValue appends the JSON value of one REST cell value v ("f"/"v"
// encoded): a repeated field as an array (elem marks its elements), a
// record as an object keyed by field name, a scalar by appendRESTScalar.
func appendRESTValue(buf []byte, f *bigquery.TableFieldSchema, v any, elem bool) ([]byte, error) {
	if v == nil {
		return append(buf, "null"...), nil
	}
	if f.Mode == "REPEATED" && !elem {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("repeated value is %T, not a list", v)
		}
		buf = append(buf, '[')
		for k, item := range list {
			if k > 0 {
				buf = append(buf, ',')
			}
			m, _ := item.(map[string]any)
			var err error
			if buf, err = appendRESTValue(buf, f, m["v"], true); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	if isRecord(f) {
		m, _ := v.(map[string]any)
		cells, _ := m["f"].([]any)
		buf = append(buf, '{')
		for k, sub := range f.Fields {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, sub.Name)
			buf = append(buf, ':')
			var sv any
			if k < len(cells) {
				c, _ := cells[k].(map[string]any)
				sv = c["v"]
			}
			var err error
			if buf, err = appendRESTValue(buf, sub, sv, false); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%s value is %T, not a string", f.Type, v)
	}
	return appendRESTScalar(buf, f.Type, s)
}

// appendRESTScalar appends the JSON value of a scalar REST value s of the
// BigQuery type typ.
func appendRESTScalar(buf []byte, typ, s string) ([]byte, error) {
	switch typ {
	case "INTEGER", "INT64":
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("bad INT64 %q", s)
		}
		return append(buf, s...), nil
	case "FLOAT", "FLOAT64":
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return append(buf, "null"...), nil
		}
		return appendFloat(buf, x), nil
	case "BOOLEAN", "BOOL":
		return strconv.AppendBool(buf, strings.EqualFold(s, "true")), nil
	case "TIMESTAMP":
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			x, ferr := strconv.ParseFloat(s, 64) // seconds, older format
			if ferr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("bad TIMESTAMP %q", s)
			}
			us = int64(math.Round(x * 1e6))
		}
		return appendTimestamp(buf, time.UnixMicro(us)), nil
	case "DATETIME":
		for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return appendJSONString(buf, t.Format(datetimeLayout)), nil
			}
		}
	case "TIME":
		if t, err := time.Parse("15:04:05.999999999", s); err == nil {
			return appendJSONString(buf, t.Format(timeLayout)), nil
		}
	case "NUMERIC", "BIGNUMERIC":
		return appendJSONString(buf, trimDecimal(s)), nil
	}
	return appendJSONString(buf, s), nil
}
