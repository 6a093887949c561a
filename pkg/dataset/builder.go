// Package dataset turns streamed interaction rows into the training data:
// cleansing (null ids, dedup, minimums), time parsing, string id maps sorted
// in string order, the users × items CSR matrix of interaction counts, and
// the validation split schemes random, time_user and time_global
// (training.md §1.3-§1.5).
//
// Rows are interned as they arrive: each distinct id string is stored once,
// and a row costs 8 bytes (two int32 indices) plus 9 bytes when a time
// column is present, so the raw input is never held twice.
package dataset

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// The dedup policies of the recipe's cleansing.dedup.
const (
	KeepFirst = "keep_first"
	KeepLast  = "keep_last"
	KeepAll   = "none"
)

// Options configures cleansing.
type Options struct {
	// DropNullIDs drops rows whose user or item id is null. When false, a
	// null id becomes the string given in the row (or "None" when empty).
	DropNullIDs bool
	// Dedup is keep_first, keep_last or none ("" means keep_last, the
	// reference default).
	Dedup string
	// MinRows, MinUsers and MinItems are the cleansing minimums; 0 means
	// none.
	MinRows, MinUsers, MinItems int
	// TimeUnit is the unit of a numeric time column: s, ms, us, ns or "".
	TimeUnit string
	// InferNumericText makes text time values that parse as numbers count
	// as numbers, as pandas' type inference does for untyped (CSV) columns.
	InferNumericText bool
}

// TimeKind is the kind of a time value. The values match source.Kind.
type TimeKind uint8

// The kinds of a time value.
const (
	TimeNone    TimeKind = iota // no time column
	TimeNull                    // null value
	TimeText                    // text to parse (Time.Text)
	TimeInt                     // integer in Options.TimeUnit (Time.Int)
	TimeFloat                   // float in Options.TimeUnit (Time.Float)
	TimeBool                    // boolean 0/1 (Time.Int); numeric
	TimeInstant                 // timestamp (Time.Instant)
)

// Time is a raw time-column value.
type Time struct {
	Kind    TimeKind
	Text    []byte
	Int     int64
	Float   float64
	Instant time.Time
}

// Row is one source row. The byte slices are only read during Add.
type Row struct {
	User, Item         []byte
	UserNull, ItemNull bool
	Time               Time
}

// Per-row time storage kinds.
const (
	tNull uint8 = iota
	tInt
	tFloat
	tDate // unix nanoseconds
)

// Builder accumulates rows. It is not safe for concurrent use.
type Builder struct {
	opt          Options
	users, items interner
	u, i         []int32
	tk           []uint8 // nil until the first row with a time value
	tv           []int64
	nulls        int
	nDate, nNum  int
	timeErr      error
}

// interner maps id strings to dense first-appearance indices. It remembers
// the last id seen: sources sorted or grouped by user hit it without a map
// lookup.
type interner struct {
	idx  map[string]int32
	ids  []string
	last int32 // index of the last id seen (valid once ids is non-empty)
}

func (t *interner) intern(b []byte) (int32, error) {
	if len(t.ids) > 0 && t.ids[t.last] == string(b) {
		return t.last, nil
	}
	if v, ok := t.idx[string(b)]; ok {
		t.last = v
		return v, nil
	}
	if len(t.ids) == math.MaxInt32 {
		return 0, errors.New("more than 2^31-1 distinct ids")
	}
	if t.idx == nil {
		t.idx = make(map[string]int32)
	}
	s := string(b)
	v := int32(len(t.ids))
	t.idx[s] = v
	t.ids = append(t.ids, s)
	t.last = v
	return v, nil
}

// unitNanos maps a time unit to nanoseconds.
var unitNanos = map[string]int64{"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1}

// NewBuilder returns a builder for the given options.
func NewBuilder(o Options) (*Builder, error) {
	switch o.Dedup {
	case "":
		o.Dedup = KeepLast
	case KeepFirst, KeepLast, KeepAll:
	default:
		return nil, exitcode.New(exitcode.Recipe, "cleansing.dedup: %q is not one of keep_first, keep_last, none", o.Dedup)
	}
	if _, ok := unitNanos[o.TimeUnit]; !ok && o.TimeUnit != "" {
		return nil, exitcode.New(exitcode.Recipe, "schema.time_unit: %q is not one of s, ms, us, ns", o.TimeUnit)
	}
	if o.MinRows < 0 || o.MinUsers < 0 || o.MinItems < 0 {
		return nil, exitcode.New(exitcode.Recipe, "cleansing: min_rows, min_users and min_items must not be negative")
	}
	return &Builder{opt: o}, nil
}

// SetInferNumericText sets Options.InferNumericText once the source has
// said whether its time values are untyped text (source.Header's
// TimeNeedsInference). Call it before the first Add.
func (b *Builder) SetInferNumericText(on bool) { b.opt.InferNumericText = on }

// Add appends one row, dropping it when an id is null and DropNullIDs is
// set.
func (b *Builder) Add(r *Row) error {
	if r.UserNull || r.ItemNull {
		if b.opt.DropNullIDs {
			b.nulls++
			return nil
		}
	}
	user, item := r.User, r.Item
	if r.UserNull && len(user) == 0 {
		user = none
	}
	if r.ItemNull && len(item) == 0 {
		item = none
	}
	u, err := b.users.intern(user)
	if err != nil {
		return exitcode.New(exitcode.Training, "user ids: %w", err)
	}
	i, err := b.items.intern(item)
	if err != nil {
		return exitcode.New(exitcode.Training, "item ids: %w", err)
	}
	b.u = append(b.u, u)
	b.i = append(b.i, i)
	if r.Time.Kind != TimeNone {
		if b.tk == nil {
			b.tk = make([]uint8, len(b.u)-1, cap(b.u))
			b.tv = make([]int64, len(b.u)-1, cap(b.u))
		}
		k, v := b.timeValue(&r.Time, len(b.u)-1)
		b.tk = append(b.tk, k)
		b.tv = append(b.tv, v)
	} else if b.tk != nil {
		b.tk = append(b.tk, tNull)
		b.tv = append(b.tv, 0)
	}
	return nil
}

var none = []byte("None")

// timeValue converts a raw time value to its stored kind and payload.
func (b *Builder) timeValue(t *Time, row int) (uint8, int64) {
	switch t.Kind {
	case TimeInt, TimeBool:
		b.nNum++
		return tInt, t.Int
	case TimeFloat:
		if math.IsNaN(t.Float) {
			return tNull, 0
		}
		b.nNum++
		return tFloat, int64(math.Float64bits(t.Float))
	case TimeInstant:
		b.nDate++
		return tDate, t.Instant.UnixNano()
	case TimeText:
		s := strings.TrimSpace(string(t.Text))
		if b.opt.InferNumericText {
			if n, err := parseInt(s); err == nil {
				b.nNum++
				return tInt, n
			}
			if f, ok := parseFloat(s); ok {
				if math.IsNaN(f) {
					return tNull, 0
				}
				b.nNum++
				return tFloat, int64(math.Float64bits(f))
			}
		}
		if s == "" || isNullText(s) {
			return tNull, 0
		}
		b.nDate++
		ts, err := ParseTime(s)
		if err != nil && b.timeErr == nil {
			b.timeErr = exitcode.Reasoned(exitcode.Training, "time_column_parse_error", "time column: row %d: %w", row+1, err)
		}
		return tDate, ts.UnixNano()
	}
	return tNull, 0
}

// isNullText reports the spellings pandas reads as a missing value.
func isNullText(s string) bool {
	switch s {
	case "NaT", "nat", "NaN", "nan", "NULL", "null", "None", "<NA>", "N/A", "NA", "n/a":
		return true
	}
	return false
}

// Len returns the number of rows kept so far (after null drops).
func (b *Builder) Len() int { return len(b.u) }

// Stats describes the cleansed data (the artifact's data_stats).
type Stats struct {
	NRows       int    `json:"n_rows"`
	NUsers      int    `json:"n_users"`
	NItems      int    `json:"n_items"`
	DropCount   int    `json:"drop_count"`
	DedupPolicy string `json:"dedup_policy"`
}

// MinDataViolation reports every violated cleansing minimum. It is returned
// wrapped in an exitcode.Error (exit 4, reason "min_data_violation").
type MinDataViolation struct {
	Stats
	MinRows, MinUsers, MinItems int
}

// Error lists every violation on one line.
func (v *MinDataViolation) Error() string {
	var parts []string
	for _, c := range []struct {
		name      string
		have, min int
	}{{"rows", v.NRows, v.MinRows}, {"users", v.NUsers, v.MinUsers}, {"items", v.NItems, v.MinItems}} {
		if c.have < c.min {
			parts = append(parts, fmt.Sprintf("n_%s %d < min_%s %d", c.name, c.have, c.name, c.min))
		}
	}
	return "cleansed data below the cleansing minimums: " + strings.Join(parts, ", ")
}

// nullTime marks a row without a time in Dataset.times.
const nullTime = math.MinInt64

// Build finishes cleansing (time parsing, dedup, minimums) and returns the
// dataset. The builder must not be used afterwards.
//
// A time column that mixes numbers with date/time values fails with
// time_column_parse_error (pandas would parse such an object column value by
// value); null times are kept and only refused by the time splits.
func (b *Builder) Build() (*Dataset, error) {
	n := len(b.u)
	var times []int64
	if b.tk != nil && n > 0 {
		var err error
		if times, err = b.parseTimes(); err != nil {
			return nil, err
		}
	}
	b.tk, b.tv = nil, nil
	// Ids sorted in string order; remap the row indices.
	userIDs, urank := sortIDs(b.users.ids)
	itemIDs, irank := sortIDs(b.items.ids)
	b.users, b.items = interner{}, interner{}
	us, is := b.u, b.i
	for k := range us {
		us[k] = urank[us[k]]
		is[k] = irank[is[k]]
	}
	urank, irank = nil, nil
	nu, ni := len(userIDs), len(itemIDs)
	// Group rows by (user, item), keeping source order inside a group.
	order, _ := sparse.RowMajorOrder(nu, ni, us, is)
	keep := make([]bool, n)
	x := &sparse.CSR{Rows: nu, Cols: ni, Indptr: make([]int64, nu+1)}
	for g := 0; g < n; {
		e := g + 1
		for e < n && us[order[e]] == us[order[g]] && is[order[e]] == is[order[g]] {
			e++
		}
		switch b.opt.Dedup {
		case KeepFirst:
			keep[order[g]] = true
		case KeepLast:
			keep[order[e-1]] = true
		default:
			for _, p := range order[g:e] {
				keep[p] = true
			}
		}
		c := 1
		if b.opt.Dedup == KeepAll {
			c = e - g
		}
		u := us[order[g]]
		x.Indices = append(x.Indices, is[order[g]])
		x.Data = append(x.Data, float32(c))
		x.Indptr[u+1] = int64(len(x.Indices))
		g = e
	}
	order = nil
	for u := 0; u < nu; u++ {
		if x.Indptr[u+1] < x.Indptr[u] {
			x.Indptr[u+1] = x.Indptr[u]
		}
	}
	x.Indices = slices.Clip(x.Indices)
	x.Data = slices.Clip(x.Data)
	// Compact the kept rows, in source order.
	m := 0
	for p := 0; p < n; p++ {
		if keep[p] {
			us[m], is[m] = us[p], is[p]
			if times != nil {
				times[m] = times[p]
			}
			m++
		}
	}
	d := &Dataset{
		UserIDs: userIDs, ItemIDs: itemIDs, X: x,
		users: slices.Clip(us[:m]), items: slices.Clip(is[:m]),
		Stats: Stats{NRows: m, NUsers: nu, NItems: ni, DropCount: b.nulls + n - m, DedupPolicy: b.opt.Dedup},
	}
	if times != nil {
		d.times = slices.Clip(times[:m])
	}
	b.u, b.i = nil, nil
	o := b.opt
	if m < o.MinRows || nu < o.MinUsers || ni < o.MinItems {
		v := &MinDataViolation{Stats: d.Stats, MinRows: o.MinRows, MinUsers: o.MinUsers, MinItems: o.MinItems}
		return nil, &exitcode.Error{Code: exitcode.Training, Reason: "min_data_violation", Err: v}
	}
	return d, nil
}

// parseTimes converts the stored time values to unix nanoseconds.
func (b *Builder) parseTimes() ([]int64, error) {
	switch {
	case b.nNum > 0 && b.nDate > 0:
		return nil, exitcode.Reasoned(exitcode.Training, "time_column_parse_error", "time column mixes numbers and date/time values")
	case b.nDate > 0 && b.timeErr != nil:
		return nil, b.timeErr
	case b.nNum > 0 && b.opt.TimeUnit == "":
		return nil, exitcode.Reasoned(exitcode.Training, "time_unit_required", "time column is numeric: set schema.time_unit (s, ms, us or ns)")
	}
	mult := unitNanos[b.opt.TimeUnit]
	times := b.tv
	for k, kind := range b.tk {
		switch kind {
		case tNull:
			times[k] = nullTime
		case tInt:
			v := times[k]
			if v > math.MaxInt64/mult || v < (math.MinInt64+1)/mult {
				return nil, exitcode.Reasoned(exitcode.Training, "time_column_parse_error", "time column: row %d: %d%s is out of range", k+1, v, b.opt.TimeUnit)
			}
			times[k] = v * mult
		case tFloat:
			f := math.Float64frombits(uint64(times[k])) * float64(mult)
			if math.IsInf(f, 0) || math.Abs(f) >= 9.2e18 {
				return nil, exitcode.Reasoned(exitcode.Training, "time_column_parse_error", "time column: row %d: value is out of range", k+1)
			}
			times[k] = int64(math.Round(f))
		}
	}
	return times, nil
}

// sortIDs returns the ids sorted in string order and, for each
// first-appearance index, its sorted index.
func sortIDs(ids []string) ([]string, []int32) {
	perm := make([]int32, len(ids))
	for k := range perm {
		perm[k] = int32(k)
	}
	slices.SortFunc(perm, func(a, b int32) int { return strings.Compare(ids[a], ids[b]) })
	sorted := make([]string, len(ids))
	rank := make([]int32, len(ids))
	for r, k := range perm {
		sorted[r] = ids[k]
		rank[k] = int32(r)
	}
	return sorted, rank
}
