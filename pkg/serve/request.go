package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Request limits (artifact-and-serving.md §2.6, §2.9).
const (
	maxIDLen         = 256
	maxLimit         = 1000
	defaultLimit     = 10
	maxExclude       = 1000
	maxSeeds         = 100
	maxBatch         = 256
	maxBatchLimitSum = 5000
)

// recommendRequest is the body of :recommend (and a batch element).
type recommendRequest struct {
	UserID  string
	Limit   int
	Exclude []string
}

// relatedRequest is the body of :recommend-related (and a batch element).
type relatedRequest struct {
	Seeds   []string
	Limit   int
	Exclude []string
}

// batchRequest is the envelope of the batch verbs.
type batchRequest struct {
	Requests        []json.RawMessage
	IncludeMetadata bool
}

// parseJSON decodes a request body into a raw object, reporting a syntax
// error as pydantic does (loc ["body", offset]).
func parseJSON(body []byte) (json.RawMessage, []fieldError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, []fieldError{{"missing", []any{"body"}, "Field required"}}
	}
	var v json.RawMessage
	if err := json.Unmarshal(body, &v); err != nil {
		var se *json.SyntaxError
		pos := int64(0)
		if errors.As(err, &se) {
			pos = se.Offset
		}
		return nil, []fieldError{{"json_invalid", []any{"body", pos}, "JSON decode error"}}
	}
	return v, nil
}

// object decodes raw as a JSON object.
func object(raw json.RawMessage, loc []any) (map[string]json.RawMessage, []fieldError) {
	var m map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, []fieldError{{"model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from"}}
	}
	return m, nil
}

// fields validates the keys of an object against the allowed ones.
type fields struct {
	m    map[string]json.RawMessage
	loc  []any
	errs []fieldError
}

func at(loc []any, k any) []any { return append(append([]any(nil), loc...), k) }

func (f *fields) fail(typ string, loc []any, msg string) {
	f.errs = append(f.errs, fieldError{typ, loc, msg})
}

// extra reports keys outside allowed.
func (f *fields) extra(allowed ...string) {
	for k := range f.m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			f.fail("extra_forbidden", at(f.loc, k), "Extra inputs are not permitted")
		}
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// id validates a string of 1..256 characters.
func (f *fields) id(raw json.RawMessage, loc []any) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		f.fail("string_type", loc, "Input should be a valid string")
		return "", false
	}
	switch n := utf8.RuneCountInString(s); {
	case n < 1:
		f.fail("string_too_short", loc, "String should have at least 1 character")
		return "", false
	case n > maxIDLen:
		f.fail("string_too_long", loc, fmt.Sprintf("String should have at most %d characters", maxIDLen))
		return "", false
	}
	return s, true
}

// requiredID validates a required id field.
func (f *fields) requiredID(name string) string {
	raw, ok := f.m[name]
	if !ok {
		f.fail("missing", at(f.loc, name), "Field required")
		return ""
	}
	s, _ := f.id(raw, at(f.loc, name))
	return s
}

// limit validates "limit" (1..1000, default 10) with pydantic's lax integer
// coercion: integral floats and numeric strings are accepted.
func (f *fields) limit() int {
	raw, ok := f.m["limit"]
	if !ok {
		return defaultLimit
	}
	loc := at(f.loc, "limit")
	var v any
	if json.Unmarshal(raw, &v) != nil {
		f.fail("int_type", loc, "Input should be a valid integer")
		return 0
	}
	var n float64
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) {
			f.fail("int_from_float", loc, "Input should be a valid integer, got a number with a fractional part")
			return 0
		}
		n = x
	case bool:
		if x {
			n = 1
		}
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			f.fail("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer")
			return 0
		}
		n = float64(i)
	default:
		f.fail("int_type", loc, "Input should be a valid integer")
		return 0
	}
	switch {
	case n < 1:
		f.fail("greater_than_equal", loc, "Input should be greater than or equal to 1")
		return 0
	case n > maxLimit:
		f.fail("less_than_equal", loc, fmt.Sprintf("Input should be less than or equal to %d", maxLimit))
		return 0
	}
	return int(n)
}

// ids validates a list of ids of min..max entries; absent or null is nil
// unless required.
func (f *fields) ids(name string, required bool, minLen, maxLen int) []string {
	raw, ok := f.m[name]
	loc := at(f.loc, name)
	if !ok || (!required && isNull(raw)) {
		if required {
			f.fail("missing", loc, "Field required")
		}
		return nil
	}
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		f.fail("list_type", loc, "Input should be a valid list")
		return nil
	}
	if len(list) < minLen {
		f.fail("too_short", loc, fmt.Sprintf("List should have at least %d item after validation, not %d", minLen, len(list)))
		return nil
	}
	if len(list) > maxLen {
		f.fail("too_long", loc, fmt.Sprintf("List should have at most %d items after validation, not %d", maxLen, len(list)))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		if s, ok := f.id(e, at(loc, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// decodeRecommend validates a :recommend body (loc prefix "body", or none
// for batch elements).
func decodeRecommend(raw json.RawMessage, loc []any) (recommendRequest, []fieldError) {
	m, errs := object(raw, loc)
	if errs != nil {
		return recommendRequest{}, errs
	}
	f := &fields{m: m, loc: loc}
	f.extra("user_id", "limit", "exclude_items")
	req := recommendRequest{UserID: f.requiredID("user_id"), Limit: f.limit(), Exclude: f.ids("exclude_items", false, 0, maxExclude)}
	return req, f.errs
}

// decodeRelated validates a :recommend-related body.
func decodeRelated(raw json.RawMessage, loc []any) (relatedRequest, []fieldError) {
	m, errs := object(raw, loc)
	if errs != nil {
		return relatedRequest{}, errs
	}
	f := &fields{m: m, loc: loc}
	f.extra("seed_items", "limit", "exclude_items")
	req := relatedRequest{Seeds: f.ids("seed_items", true, 1, maxSeeds), Limit: f.limit(), Exclude: f.ids("exclude_items", false, 0, maxExclude)}
	return req, f.errs
}

// decodeBatch validates a batch envelope.
func decodeBatch(raw json.RawMessage) (batchRequest, []fieldError) {
	loc := []any{"body"}
	m, errs := object(raw, loc)
	if errs != nil {
		return batchRequest{}, errs
	}
	f := &fields{m: m, loc: loc}
	f.extra("requests", "include_metadata")
	var req batchRequest
	rawReqs, ok := m["requests"]
	switch {
	case !ok:
		f.fail("missing", at(loc, "requests"), "Field required")
	case len(rawReqs) == 0 || rawReqs[0] != '[' || json.Unmarshal(rawReqs, &req.Requests) != nil:
		f.fail("list_type", at(loc, "requests"), "Input should be a valid list")
	case len(req.Requests) < 1:
		f.fail("too_short", at(loc, "requests"), fmt.Sprintf("List should have at least 1 item after validation, not %d", len(req.Requests)))
	case len(req.Requests) > maxBatch:
		f.fail("too_long", at(loc, "requests"), fmt.Sprintf("List should have at most %d items after validation, not %d", maxBatch, len(req.Requests)))
	}
	if raw, ok := m["include_metadata"]; ok {
		if json.Unmarshal(raw, &req.IncludeMetadata) != nil {
			f.fail("bool_type", at(loc, "include_metadata"), "Input should be a valid boolean")
		}
	}
	return req, f.errs
}

// elementMessage renders the first problem of a batch element as
// "<dotted loc>: <msg>".
func elementMessage(errs []fieldError) string {
	e := errs[0]
	parts := make([]string, 0, len(e.Loc))
	for _, l := range e.Loc {
		parts = append(parts, fmt.Sprint(l))
	}
	if len(parts) == 0 {
		return e.Msg
	}
	return strings.Join(parts, ".") + ": " + e.Msg
}
