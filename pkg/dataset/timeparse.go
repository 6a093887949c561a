package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the date/time spellings ParseTime accepts, tried in
// order. Fractional seconds after the seconds field are accepted by every
// layout that has seconds.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"20060102",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseTime parses a date/time string as pandas' generic datetime parser
// does for the common spellings: ISO 8601 / RFC 3339 with a 'T' or a space,
// optional fractional seconds and zone offset, dates alone, slashed dates
// and RFC 1123. Values without a zone are UTC; others are converted to UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a recognised date/time", s)
}

// parseInt parses a base-10 integer.
func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// parseFloat parses a decimal float literal as pandas would infer one
// (Go's hexadecimal and underscore forms are rejected).
func parseFloat(s string) (float64, bool) {
	if strings.ContainsAny(s, "xX_pP") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
