// Package metadata loads the item metadata that serve joins into
// recommendation responses (datasources.md §4): a CSV or Parquet file with
// an item id column and a list of fields, indexed by item id.
package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/source/delimited"
	"github.com/codelibs/recotem-go/pkg/source/pystr"
	"github.com/codelibs/recotem-go/pkg/source/rawfile"
)

// EnvFieldDeny lists field names (comma separated, case-insensitive) that
// are never returned.
const EnvFieldDeny = "RECOTEM_METADATA_FIELD_DENY"

// The causes of an Error.
const (
	CauseHTTPFetch = "http_fetch" // fetch failure or any sha256 mismatch
	CauseIO        = "io"         // read, size cap, size probe
	CauseParse     = "parse"      // the file is not valid CSV/Parquet
)

// Error is a metadata load failure with its cause. Configuration problems
// (missing id column or fields, empty fields, bad type) are plain errors.
type Error struct {
	Cause string
	Err   error
}

// Error returns the message of the wrapped error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Options configure Load.
type Options struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Logger receives the warnings of §4; nil discards them.
	Logger *slog.Logger
}

// Index maps item ids to their metadata values, in Fields order.
type Index struct {
	fields []string
	items  map[string][]any
	// Dropped counts rows skipped because their values could not be
	// encoded as JSON.
	Dropped int
}

// Fields returns the names of the returned fields, in recipe order (denied
// fields removed).
func (ix *Index) Fields() []string { return ix.fields }

// Len returns the number of items.
func (ix *Index) Len() int { return len(ix.items) }

// Values returns the values of an item in Fields order. Values are nil
// (JSON null), string, int64, float64 (finite), bool or time.Time.
func (ix *Index) Values(id string) ([]any, bool) {
	v, ok := ix.items[id]
	return v, ok
}

// Each calls fn for every item with its values in Fields order, in no
// particular order.
func (ix *Index) Each(fn func(id string, values []any)) {
	for id, v := range ix.items {
		fn(id, v)
	}
}

// Map returns an item's metadata as a map (nil when unknown).
func (ix *Index) Map(id string) map[string]any {
	v, ok := ix.items[id]
	if !ok {
		return nil
	}
	m := make(map[string]any, len(v))
	for i, f := range ix.fields {
		m[f] = v[i]
	}
	return m
}

// AppendJSON appends the item's fields to buf as JSON members
// (`"f1":v1,"f2":v2`, in Fields order, no braces), skipping names in skip
// (the response's own item_id and score, which override metadata). It
// appends nothing for an unknown item.
func (ix *Index) AppendJSON(buf []byte, id string, skip ...string) []byte {
	v, ok := ix.items[id]
	if !ok {
		return buf
	}
	first := true
outer:
	for i, f := range ix.fields {
		for _, s := range skip {
			if f == s {
				continue outer
			}
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		k, _ := json.Marshal(f)
		buf = append(buf, k...)
		buf = append(buf, ':')
		b, err := json.Marshal(v[i])
		if err != nil {
			b = []byte("null")
		}
		buf = append(buf, b...)
	}
	return buf
}

// Load reads the metadata file of cfg and indexes it.
func Load(ctx context.Context, cfg recipe.ItemMetadata, opts Options) (*Index, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Fields) == 0 {
		return nil, errors.New("item_metadata.fields must be non-empty")
	}
	idCol := cfg.ItemIDColumn
	if idCol == "" {
		idCol = "item_id"
	}
	onMissing := cfg.OnFieldMissing
	if onMissing == "" {
		onMissing = "error"
	}
	var kind string
	switch cfg.Type {
	case "csv":
		kind = "CSV"
	case "parquet":
		kind = "Parquet"
	default:
		return nil, fmt.Errorf("unsupported metadata file type '%s'; expected csv or parquet", cfg.Type)
	}
	f, err := rawfile.Open(ctx, kind, cfg.Path, cfg.SHA256, getenv)
	if err != nil {
		return nil, &Error{Cause: causeOf(err), Err: err}
	}
	defer f.Close()
	var t *table
	if cfg.Type == "csv" {
		t, err = readCSV(f)
		if err == nil {
			err = f.Finish()
		} else if e := f.VerifyWhole(); e != nil && exitcode.Of(e) == exitcode.Fetch {
			err = e
		}
	} else {
		ra, size, rerr := f.ReaderAt()
		if err = rerr; err == nil {
			if err = f.VerifyWhole(); err == nil {
				t, err = readParquet(ra, size)
			}
		}
	}
	if err != nil {
		var ce *exitcode.Error
		if errors.As(err, &ce) {
			return nil, &Error{Cause: causeOf(err), Err: err}
		}
		return nil, &Error{Cause: CauseParse, Err: fmt.Errorf("Failed to parse %s from '%s': %w", kind, f.Name(), err)}
	}
	return build(t, cfg, idCol, onMissing, getenv(EnvFieldDeny), log)
}

// causeOf maps a coded error to a cause.
func causeOf(err error) string {
	if exitcode.Of(err) == exitcode.Fetch {
		return CauseHTTPFetch
	}
	return CauseIO
}

// table is a parsed file: column names and rows of typed values.
type table struct {
	names []string
	rows  [][]any
}

// readCSV reads a CSV with the fixed options of §4: comma, UTF-8, header
// row 0, every column a string, no NA conversion; a short row's missing
// cells are null, a long row is an error.
func readCSV(r io.Reader) (*table, error) {
	rd, err := delimited.NewReader(r, delimited.Options{})
	if err != nil {
		return nil, err
	}
	hdr, err := rd.Read()
	if err == io.EOF {
		return nil, errors.New("No columns to parse from file")
	}
	if err != nil {
		return nil, err
	}
	t := &table{}
	for i, h := range hdr {
		n := string(h)
		if n == "" {
			n = "Unnamed: " + strconv.Itoa(i)
		}
		t.names = append(t.names, n)
	}
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) > len(t.names) {
			return nil, fmt.Errorf("Error tokenizing data. Expected %d fields in line %d, saw %d", len(t.names), rd.Line(), len(rec))
		}
		row := make([]any, len(t.names))
		for i, v := range rec {
			row[i] = string(v)
		}
		t.rows = append(t.rows, row)
	}
}

// readParquet reads every top-level flat column of a Parquet file, typed.
func readParquet(r io.ReaderAt, size int64) (*table, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, err
	}
	t := &table{}
	type col struct {
		idx  int
		conv func(parquet.Value) any
	}
	var cols []col
	for _, fl := range f.Schema().Fields() {
		leaf, ok := f.Schema().Lookup(fl.Name())
		if !ok || leaf.Node == nil || !leaf.Node.Leaf() || leaf.MaxRepetitionLevel > 0 {
			continue // nested and list columns are not metadata fields
		}
		t.names = append(t.names, fl.Name())
		cols = append(cols, col{idx: leaf.ColumnIndex, conv: converter(leaf.Node.Type())})
	}
	for _, rg := range f.RowGroups() {
		n := int(rg.NumRows())
		base := len(t.rows)
		for i := 0; i < n; i++ {
			t.rows = append(t.rows, make([]any, len(cols)))
		}
		chunks := rg.ColumnChunks()
		for ci, c := range cols {
			pages := chunks[c.idx].Pages()
			k := 0
			buf := make([]parquet.Value, 1024)
			for k < n {
				p, err := pages.ReadPage()
				if err == io.EOF {
					break
				}
				if err != nil {
					pages.Close()
					return nil, err
				}
				vr := p.Values()
				for {
					m, err := vr.ReadValues(buf)
					for _, v := range buf[:m] {
						if k < n {
							t.rows[base+k][ci] = c.conv(v)
							k++
						}
					}
					if err == io.EOF || m == 0 {
						break
					}
					if err != nil {
						parquet.Release(p)
						pages.Close()
						return nil, err
					}
				}
				parquet.Release(p)
			}
			pages.Close()
		}
	}
	return t, nil
}

// converter returns the decoder of a column type: strings, int64,
// float64, bool, time.Time (timestamps, dates).
func converter(typ parquet.Type) func(parquet.Value) any {
	var unit time.Duration
	date := false
	if lt := typ.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.TimestampType:
			if v.Unit.Value != nil {
				unit = v.Unit.Value.Duration()
			}
		case *format.DateType:
			date = true
		}
	}
	kind := typ.Kind()
	return func(v parquet.Value) any {
		if v.IsNull() {
			return nil
		}
		switch {
		case unit != 0:
			return time.Unix(0, v.Int64()*int64(unit)).UTC()
		case date:
			return time.Unix(int64(v.Int32())*86400, 0).UTC()
		}
		switch kind {
		case parquet.Boolean:
			return v.Boolean()
		case parquet.Int32:
			return int64(v.Int32())
		case parquet.Int64:
			return v.Int64()
		case parquet.Float:
			return float64(v.Float())
		case parquet.Double:
			return v.Double()
		case parquet.ByteArray, parquet.FixedLenByteArray:
			return string(v.ByteArray())
		}
		return v.String()
	}
}

// idString renders an id value as the reference's str(): Parquet 1 → "1",
// 1.0 → "1.0", true → "True".
func idString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		if math.IsNaN(x) {
			return "", false
		}
		return string(pystr.AppendFloat(nil, x)), true
	case bool:
		if x {
			return "True", true
		}
		return "False", true
	case time.Time:
		return x.Format("2006-01-02 15:04:05"), true
	}
	return fmt.Sprint(v), true
}

// build applies §4 steps 3-8 to a parsed table.
func build(t *table, cfg recipe.ItemMetadata, idCol, onMissing, deny string, log *slog.Logger) (*Index, error) {
	pos := make(map[string]int, len(t.names))
	for i, n := range t.names {
		if _, dup := pos[n]; !dup {
			pos[n] = i
		}
	}
	idIdx, ok := pos[idCol]
	if !ok {
		return nil, fmt.Errorf("item_id_column '%s' not found in file '%s'; available columns: %s", idCol, rawfile.Redact(cfg.Path), pyList(t.names))
	}
	var missing []string
	for _, f := range cfg.Fields {
		if _, ok := pos[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		if onMissing != "null" {
			return nil, fmt.Errorf("fields %s not found in file '%s'; available columns: %s", pyList(missing), rawfile.Redact(cfg.Path), pyList(t.names))
		}
		for _, f := range missing {
			log.Warn("metadata_field_missing_filled_null", "field", f, "path", rawfile.Redact(cfg.Path))
		}
	}
	denied := map[string]bool{}
	for _, d := range strings.Split(deny, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			denied[d] = true
		}
	}
	ix := &Index{items: make(map[string][]any, len(t.rows))}
	var src []int // column index per kept field, -1 = missing (null)
	seenField := map[string]bool{}
	for _, f := range cfg.Fields {
		if denied[strings.ToLower(f)] || f == idCol || seenField[f] {
			continue
		}
		seenField[f] = true
		ix.fields = append(ix.fields, f)
		if i, ok := pos[f]; ok {
			src = append(src, i)
		} else {
			src = append(src, -1)
		}
	}
	nullIDs, dups := 0, 0
	for _, row := range t.rows {
		id, ok := idString(row[idIdx])
		if !ok || strings.TrimSpace(id) == "" {
			nullIDs++
			continue
		}
		if _, dup := ix.items[id]; dup {
			dups++
			continue
		}
		vals := make([]any, len(src))
		bad := false
		for k, i := range src {
			if i < 0 {
				continue
			}
			v := row[i]
			if f, isF := v.(float64); isF && (math.IsNaN(f) || math.IsInf(f, 0)) {
				v = nil
			}
			vals[k] = v
			if _, err := json.Marshal(v); err != nil {
				bad = true
			}
		}
		if bad {
			ix.Dropped++
			continue
		}
		ix.items[id] = vals
	}
	if nullIDs > 0 {
		log.Warn("metadata_null_item_ids_dropped", "count", nullIDs, "path", rawfile.Redact(cfg.Path))
	}
	if dups > 0 {
		log.Warn("metadata_duplicate_item_ids_dropped", "count", dups, "path", rawfile.Redact(cfg.Path))
	}
	return ix, nil
}

// pyList formats names like Python's repr of a list of strings.
func pyList(v []string) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + s + "'")
	}
	b.WriteByte(']')
	return b.String()
}
