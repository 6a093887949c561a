// Package source reads the interaction rows of a recipe's data source: CSV
// and Parquet files, SQL queries (PostgreSQL, MySQL/MariaDB, SQLite) and
// exec plugins (any `recotem-source-<type>` executable, BigQuery among
// them).
//
// A Source streams rows to a Sink one at a time: the raw input is never held
// twice and only the user, item and time columns are decoded. Column mapping
// comes from the recipe's schema (datasources.md §1.6); the Source only
// selects the columns and reports a missing user or item column as a
// data-source error (exit 3, listing up to ten available columns — the
// reference exits 1 with a KeyError).
package source

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// Source is a configured data source.
type Source interface {
	// Type returns the source type name (`csv`, `sql`, a plugin's type...).
	Type() string
	// Fetch reads the data and calls sink.Begin once, then sink.Row for
	// every row in input order. An error from the sink stops the fetch and
	// is returned unchanged.
	Fetch(ctx context.Context, cols Columns, sink Sink) error
}

// Prober is implemented by sources that can check their configuration
// cheaply without reading the data (used by `recotem validate`).
type Prober interface {
	Probe(ctx context.Context) error
}

// Columns names the columns a Fetch selects (recipe `schema`).
type Columns struct {
	User string
	Item string
	// Time is the time column or "" for none. A time column that the data
	// does not have is silently skipped, as in the reference.
	Time string
}

// Header describes the table a Fetch delivers.
type Header struct {
	// Columns are all column names of the table, in table order.
	Columns []string
	// HasTime reports whether the time column exists; when false every
	// Row.Time has Kind TimeNone.
	HasTime bool
	// TimeNeedsInference is true when the time values arrive as untyped
	// text (CSV without a dtype for the column, plugin CSV output). pandas
	// infers such a column as numeric when every non-null value parses as a
	// number, so a consumer should do the same with ParseNumber before
	// parsing the values as dates.
	TimeNeedsInference bool
}

// ParseNumber parses text as pandas' type inference would: an integer gives
// TimeInt, any other float literal (including inf/nan spellings) TimeFloat.
// ok is false for text that is not a number.
func ParseNumber(text []byte) (v Value, ok bool) {
	s := strings.TrimSpace(string(text))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Value{Kind: TimeInt, Int: n}, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return Value{Kind: TimeFloat, Float: f}, true
	}
	return Value{}, false
}

// Sink receives the rows of a Fetch.
type Sink interface {
	// Begin is called once, before the first Row.
	Begin(h Header) error
	// Row is called for every row. The row and the byte slices it refers to
	// are valid only during the call: copy what you keep (a map lookup with
	// m[string(b)] does not allocate).
	Row(r *Row) error
}

// Row is one interaction. Ids are the exact text of the value (no numeric
// reinterpretation; see CSV), or for typed columns the reference's str() of
// the value (Parquet/SQL int 1 → "1", float 1.0 → "1.0", bool → "True").
type Row struct {
	User, Item         []byte
	UserNull, ItemNull bool
	Time               Value
}

// Kind is the kind of a Value.
type Kind uint8

// The kinds of a time value.
const (
	TimeNone    Kind = iota // no time column
	TimeNull                // null value
	TimeText                // text to be parsed as a date/time (Value.Text)
	TimeInt                 // integer (Value.Int); needs schema.time_unit
	TimeFloat               // floating point (Value.Float); needs schema.time_unit
	TimeBool                // boolean (Value.Int 0/1); numeric for the reference
	TimeInstant             // typed timestamp (Value.Instant, UTC)
)

// Value is a time-column value.
type Value struct {
	Kind    Kind
	Text    []byte
	Int     int64
	Float   float64
	Instant time.Time
}

// Env is what building a source needs from its surroundings.
type Env struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Logger receives warnings (TLS advice, plugin stderr); nil discards.
	Logger *slog.Logger
	// RecipeName and RunID are passed to exec plugins.
	RecipeName string
	RunID      string
	// Plugins resolves plugin executables; nil means
	// Discover(ExecPath(Getenv)) when a plugin type is first needed.
	Plugins *Registry
	// Resolver looks up SQL host names for the host guard; nil means
	// net.DefaultResolver.
	Resolver Resolver
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return os.Getenv(k)
	}
	return e.Getenv(k)
}

func (e Env) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// BuiltinTypes are the source types implemented in this package or shipped
// as the recotem-source-bigquery plugin. A plugin may not take these names.
var BuiltinTypes = []string{"bigquery", "csv", "parquet", "sql"}

// New builds the source of a recipe. Construction checks the configuration
// (SQL: DSN, dialect and host guard); it does not read data.
func New(src recipe.Source, env Env) (Source, error) {
	switch {
	case src.CSV != nil:
		return newCSV(*src.CSV, env)
	case src.Parquet != nil:
		return newParquet(*src.Parquet, env)
	case src.SQL != nil:
		return newSQL(*src.SQL, env)
	case src.BigQuery != nil:
		return newBigQuery(*src.BigQuery, env)
	case src.Plugin != nil:
		return newPluginSource(src.Type, src.Plugin, env)
	}
	return nil, exitcode.New(exitcode.Recipe, "source: unknown type %q; known types: %s", src.Type, strings.Join(BuiltinTypes, ", "))
}

// missingColumn returns the exit-3 error for a column that the table lacks,
// listing up to ten of the available columns, sorted.
func missingColumn(role, name string, available []string) error {
	av := append([]string(nil), available...)
	sort.Strings(av)
	more := ""
	if len(av) > 10 {
		more = fmt.Sprintf(" (and %d more)", len(av)-10)
		av = av[:10]
	}
	return exitcode.Reasoned(exitcode.DataSource, "datasource_error",
		"schema.%s_column '%s' not found in the data; available columns: [%s]%s", role, name, quoteList(av), more)
}

func quoteList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

// selection holds the indices of the selected columns in a table.
type selection struct {
	user, item, time int // time -1 when absent
	max              int // highest selected index
}

// selectColumns finds the columns of cols in names. Missing user or item
// columns are exit-3 errors; a missing time column is dropped.
func selectColumns(names []string, cols Columns) (selection, error) {
	s := selection{user: -1, item: -1, time: -1}
	for i, n := range names {
		if n == cols.User && s.user < 0 {
			s.user = i
		}
		if n == cols.Item && s.item < 0 {
			s.item = i
		}
		if cols.Time != "" && n == cols.Time && s.time < 0 {
			s.time = i
		}
	}
	if s.user < 0 {
		return s, missingColumn("user", cols.User, names)
	}
	if s.item < 0 {
		return s, missingColumn("item", cols.Item, names)
	}
	s.max = max(s.user, s.item, s.time)
	return s, nil
}

// dataErr returns an exit-3 data-source error.
func dataErr(format string, args ...any) error {
	return exitcode.Reasoned(exitcode.DataSource, "datasource_error", format, args...)
}
