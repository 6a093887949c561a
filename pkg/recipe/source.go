package recipe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The built-in source types.
const (
	TypeCSV      = "csv"
	TypeParquet  = "parquet"
	TypeSQL      = "sql"
	TypeBigQuery = "bigquery"
)

// builtinTypes lists the built-in source types with their extra no-expand
// keys.
var builtinTypes = map[string][]string{
	TypeCSV:      nil,
	TypeParquet:  nil,
	TypeSQL:      {"dsn_env"},
	TypeBigQuery: nil,
}

// PluginType describes a source type provided by an exec plugin
// (recotem-source-<type>). Schema is the JSON Schema (draft 2020-12) of the
// whole source mapping, type included; it must be self-contained (no
// external references). NoExpand lists keys (compared case-insensitively)
// below which ${RECOTEM_RECIPE_*} references are left alone.
type PluginType struct {
	Name     string
	Schema   json.RawMessage
	NoExpand []string
}

// Config returns the typed configuration of the source: a *CSVSource,
// *ParquetSource, *SQLSource or *BigQuerySource, or the plugin's
// map[string]any; nil when the source is empty.
func (s Source) Config() any {
	switch {
	case s.CSV != nil:
		return s.CSV
	case s.Parquet != nil:
		return s.Parquet
	case s.SQL != nil:
		return s.SQL
	case s.BigQuery != nil:
		return s.BigQuery
	case s.Plugin != nil:
		return s.Plugin
	}
	return nil
}

// MarshalJSON renders the source as its typed configuration (type
// included), as in the recipe file.
func (s Source) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.Config())
}

// Date is a YAML date (YYYY-MM-DD) found in a value of free-form type
// (query parameters, plugin configurations, pinned hyperparameters).
// Timestamps with a time of day decode to time.Time.
type Date string

// knownTypes returns the sorted names of every source type.
func (o *LoadOptions) knownTypes() []string {
	names := make([]string, 0, len(builtinTypes)+len(o.Plugins))
	for t := range builtinTypes {
		names = append(names, t)
	}
	for _, p := range o.Plugins {
		if _, ok := builtinTypes[p.Name]; !ok && !contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// plugin returns the plugin type named t, if any built-in type does not
// already own the name.
func (o *LoadOptions) plugin(t string) (*PluginType, bool) {
	if _, ok := builtinTypes[t]; ok {
		return nil, false
	}
	for i := range o.Plugins {
		if o.Plugins[i].Name == t {
			return &o.Plugins[i], true
		}
	}
	return nil, false
}

// noExpandKeys returns the lower-cased extra no-expand keys of a type and
// whether the type is known.
func (o *LoadOptions) noExpandKeys(t string) ([]string, bool) {
	if keys, ok := builtinTypes[t]; ok {
		return keys, true
	}
	if p, ok := o.plugin(t); ok {
		keys := make([]string, len(p.NoExpand))
		for i, k := range p.NoExpand {
			keys[i] = strings.ToLower(k)
		}
		return keys, true
	}
	return nil, false
}

// pyList renders names as a Python list repr: ['a', 'b'].
func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// decodeSource validates a source mapping whose type is known.
func (d *decoder) decodeSource(n *node, typ string, opts *LoadOptions) *Source {
	src := &Source{Type: typ}
	switch typ {
	case TypeCSV:
		c := &CSVSource{Type: typ, Delimiter: ",", Encoding: "utf-8"}
		vals, extras, _ := d.object(n, "source", "type", "path", "delimiter", "encoding", "header", "dtype", "sha256")
		if v, ok := d.required(vals, "path", "source"); ok {
			c.Path, _ = d.str(v, "source.path")
		}
		if v, ok := vals["delimiter"]; ok {
			c.Delimiter, _ = d.str(v, "source.delimiter")
		}
		if v, ok := vals["encoding"]; ok {
			c.Encoding, _ = d.str(v, "source.encoding")
		}
		if v, ok := vals["header"]; ok {
			c.Header, _ = d.integer(v, "source.header")
		}
		if v, ok := vals["dtype"]; ok && v.kind != kNull {
			c.Dtype, _ = d.strMap(v, "source.dtype")
		}
		if v, ok := vals["sha256"]; ok {
			c.SHA256 = d.sha256(v, "source.sha256")
		}
		extras()
		src.CSV = c
	case TypeParquet:
		p := &ParquetSource{Type: typ}
		vals, extras, _ := d.object(n, "source", "type", "path", "sha256")
		if v, ok := d.required(vals, "path", "source"); ok {
			p.Path, _ = d.str(v, "source.path")
		}
		if v, ok := vals["sha256"]; ok {
			p.SHA256 = d.sha256(v, "source.sha256")
		}
		extras()
		src.Parquet = p
	case TypeSQL:
		s := &SQLSource{Type: typ, QueryParameters: map[string]any{}, ConnectTimeoutSeconds: 10, StatementTimeoutSeconds: 300}
		vals, extras, _ := d.object(n, "source", "type", "dsn_env", "query", "query_parameters", "connect_timeout_seconds", "statement_timeout_seconds")
		if v, ok := d.required(vals, "dsn_env", "source"); ok {
			if x, ok := d.str(v, "source.dsn_env"); ok && d.pattern(x, v, "source.dsn_env", dsnEnvRE) {
				s.DSNEnv = x
			}
		}
		if v, ok := d.required(vals, "query", "source"); ok {
			if x, ok := d.str(v, "source.query"); ok {
				if x == "" {
					d.fail("source.query", v, "String should have at least 1 character")
				}
				s.Query = x
			}
		}
		if v, ok := vals["query_parameters"]; ok {
			if v.kind != kMap {
				d.fail("source.query_parameters", v, "Input should be a valid dictionary")
			} else {
				for _, e := range v.entries {
					loc := joinLoc("source.query_parameters", e.key)
					if !e.keyStr {
						d.fail(loc+".[key]", e.val, "Input should be a valid string")
						continue
					}
					if x, ok := d.scalarParam(e.val, loc); ok {
						s.QueryParameters[e.key] = x
					}
				}
			}
		}
		if v, ok := vals["connect_timeout_seconds"]; ok {
			if x, ok := d.integer(v, "source.connect_timeout_seconds"); ok && d.rangeInt(x, v, "source.connect_timeout_seconds", 1, 60) {
				s.ConnectTimeoutSeconds = x
			}
		}
		if v, ok := vals["statement_timeout_seconds"]; ok {
			if x, ok := d.integer(v, "source.statement_timeout_seconds"); ok && d.rangeInt(x, v, "source.statement_timeout_seconds", 1, 1800) {
				s.StatementTimeoutSeconds = x
			}
		}
		extras()
		src.SQL = s
	case TypeBigQuery:
		b := &BigQuerySource{Type: typ}
		vals, extras, _ := d.object(n, "source", "type", "query", "query_parameters", "project")
		if v, ok := d.required(vals, "query", "source"); ok {
			b.Query, _ = d.str(v, "source.query")
		}
		if v, ok := vals["query_parameters"]; ok && v.kind != kNull {
			b.QueryParameters, _ = d.anyMap(v, "source.query_parameters")
		}
		if v, ok := vals["project"]; ok {
			b.Project, _ = d.optStr(v, "source.project")
		}
		extras()
		src.BigQuery = b
	default:
		p, _ := opts.plugin(typ)
		cfg, ok := d.anyMap(n, "source")
		if !ok {
			return src
		}
		if err := validatePlugin(p, cfg); err != nil {
			if ve, ok := err.(*pluginError); ok {
				d.issues = append(d.issues, ve.issues...)
			} else {
				d.fail("source", n, err.Error())
			}
			return src
		}
		src.Plugin = cfg
	}
	return src
}

// pluginError carries the issues a plugin schema reported.
type pluginError struct{ issues []Issue }

func (e *pluginError) Error() string { return fmt.Sprint(e.issues) }

// compilePluginSchema compiles a plugin's JSON Schema (draft 2020-12 unless
// the schema names another draft).
func compilePluginSchema(p *PluginType) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(p.Schema))
	if err != nil {
		return nil, fmt.Errorf("plugin source type '%s' has an invalid schema: %v", p.Name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "urn:recotem:source:" + p.Name
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("plugin source type '%s' has an invalid schema: %v", p.Name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("plugin source type '%s' has an invalid schema: %v", p.Name, err)
	}
	return sch, nil
}

// validatePlugin validates a plugin source configuration against the
// plugin's schema.
func validatePlugin(p *PluginType, cfg map[string]any) error {
	sch, err := compilePluginSchema(p)
	if err != nil {
		return err
	}
	err = sch.Validate(jsonValue(cfg))
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	printer := message.NewPrinter(language.English)
	var issues []Issue
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "source"
			for _, part := range e.InstanceLocation {
				loc = joinLoc(loc, part)
			}
			issues = append(issues, Issue{Loc: loc, Msg: e.ErrorKind.LocalizedString(printer)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return &pluginError{issues: issues}
}

// jsonValue converts decoded values to what a JSON decoder would produce:
// dates and times become strings, integers json.Number.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case int:
		return json.Number(fmt.Sprint(x))
	case float64:
		return x
	case Date:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}
