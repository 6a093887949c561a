package recipe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// JSONSchema returns the JSON Schema (draft 2020-12, 2-space indented) of a
// recipe, reflected from the Go types: title "Recipe", no additional
// properties, required name, source, schema, training and output, and
// `source` as a oneOf over every source type ($defs per type) with an
// OpenAPI-style discriminator on `type`. Plugin types from opts are
// included with their own schemas.
//
// Deviation: the reference schema marks `training` optional although its
// loader requires it; this schema requires it.
func JSONSchema(opts LoadOptions) ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
		Anonymous:                  true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			if t == sourceType {
				return &jsonschema.Schema{Description: "placeholder"}
			}
			return nil
		},
	}
	root := r.Reflect(&Recipe{})
	root.Title = "Recipe"
	root.Description = "A recotem recipe: one data source, one model, one recommendation API."

	mapping := map[string]string{}
	var oneOf []*jsonschema.Schema
	srcReflector := &jsonschema.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true, Anonymous: true}
	for _, b := range []struct {
		typ string
		v   any
	}{{TypeCSV, &CSVSource{}}, {TypeParquet, &ParquetSource{}}, {TypeSQL, &SQLSource{}}, {TypeBigQuery, &BigQuerySource{}}} {
		s := srcReflector.Reflect(b.v)
		for name, def := range s.Definitions {
			root.Definitions[name] = def
		}
		mapping[b.typ] = s.Ref
		oneOf = append(oneOf, &jsonschema.Schema{Ref: s.Ref})
	}
	placeholders := map[string][]byte{}
	for _, p := range opts.Plugins {
		if _, builtin := builtinTypes[p.Name]; builtin || mapping[p.Name] != "" {
			continue
		}
		raw, err := pluginDefinition(p)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Recipe, err)
		}
		name := "PluginSource_" + p.Name
		marker := "urn:recotem:plugin-schema:" + p.Name
		root.Definitions[name] = &jsonschema.Schema{Ref: marker}
		ph, _ := json.Marshal(&jsonschema.Schema{Ref: marker})
		placeholders[string(ph)] = raw
		mapping[p.Name] = "#/$defs/" + name
		oneOf = append(oneOf, &jsonschema.Schema{Ref: "#/$defs/" + name})
	}
	root.Properties.Set("source", &jsonschema.Schema{
		Description: "The data source: a mapping whose `type` selects one of the source configurations.",
		OneOf:       oneOf,
		Extras:      map[string]any{"discriminator": map[string]any{"propertyName": "type", "mapping": mapping}},
	})

	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("marshal recipe schema: %w", err)
	}
	for ph, raw := range placeholders {
		out = bytes.Replace(out, []byte(ph), raw, 1)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return nil, fmt.Errorf("indent recipe schema: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// pluginDefinition checks that a plugin's schema compiles and returns it,
// compacted, without the root-only keywords $schema and $id.
func pluginDefinition(p PluginType) ([]byte, error) {
	if _, err := compilePluginSchema(&p); err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(p.Schema, &doc); err != nil {
		return nil, fmt.Errorf("plugin source type '%s': schema is not a JSON object: %w", p.Name, err)
	}
	delete(doc, "$schema")
	delete(doc, "$id")
	return json.Marshal(doc)
}

// Schema helpers for the JSONSchemaExtend methods below.

func property(s *jsonschema.Schema, name string) *jsonschema.Schema {
	p, _ := s.Properties.Get(name)
	if p == nil {
		p = &jsonschema.Schema{}
		s.Properties.Set(name, p)
	}
	return p
}

func describe(s *jsonschema.Schema, name, text string) *jsonschema.Schema {
	p := property(s, name)
	p.Description = text
	return p
}

func enum(p *jsonschema.Schema, def string, values ...string) {
	p.Enum = nil
	for _, v := range values {
		p.Enum = append(p.Enum, v)
	}
	if def != "" {
		p.Default = def
	}
}

func minimum(p *jsonschema.Schema, min int) { p.Minimum = json.Number(fmt.Sprint(min)) }

func maximum(p *jsonschema.Schema, max int) { p.Maximum = json.Number(fmt.Sprint(max)) }

// nullable turns property name into anyOf [schema, null] with default null.
func nullable(s *jsonschema.Schema, name string) {
	p := property(s, name)
	desc := p.Description
	p.Description = ""
	s.Properties.Set(name, &jsonschema.Schema{
		AnyOf:       []*jsonschema.Schema{p, {Type: "null"}},
		Description: desc,
		Extras:      map[string]any{"default": nil},
	})
}

func sourceConst(s *jsonschema.Schema, typ string) {
	p := describe(s, "type", "Source type discriminator.")
	p.Type = ""
	p.Const = typ
	p.Default = typ
}

func sha256Property(s *jsonschema.Schema) {
	p := describe(s, "sha256", "Lowercase hex SHA-256 of the file; required for http(s) paths.")
	p.Pattern = sha256RE.String()
	nullable(s, "sha256")
}

// JSONSchemaExtend adds the recipe-level constraints to the reflected
// schema.
func (Recipe) JSONSchemaExtend(s *jsonschema.Schema) {
	p := describe(s, "name", "Recipe name: letters, digits, '_' and '-', at most 64 characters.")
	p.Pattern = nameRE.String()
	describe(s, "schema", "Columns holding user ids, item ids and times.")
	// Cross-field rule: the time split schemes need schema.time_column.
	obj := func(required string, props map[string]*jsonschema.Schema) *jsonschema.Schema {
		m := jsonschema.NewProperties()
		for k, v := range props {
			m.Set(k, v)
		}
		return &jsonschema.Schema{Properties: m, Required: []string{required}}
	}
	s.AllOf = append(s.AllOf, &jsonschema.Schema{
		If: obj("training", map[string]*jsonschema.Schema{
			"training": obj("split", map[string]*jsonschema.Schema{
				"split": obj("scheme", map[string]*jsonschema.Schema{"scheme": {Enum: []any{"time_user", "time_global"}}}),
			}),
		}),
		Then: obj("schema", map[string]*jsonschema.Schema{
			"schema": obj("time_column", map[string]*jsonschema.Schema{"time_column": {Type: "string"}}),
		}),
	})
	describe(s, "cleansing", "Row cleansing before training; defaults apply when omitted.")
	describe(s, "item_metadata", "Item metadata joined into responses by serve.")
	nullable(s, "item_metadata")
	describe(s, "training", "Hyperparameter search and training settings.")
	describe(s, "output", "Where the artifact is written.")
}

// JSONSchemaExtend adds the csv source constraints.
func (CSVSource) JSONSchemaExtend(s *jsonschema.Schema) {
	sourceConst(s, TypeCSV)
	describe(s, "path", "Local path or file, s3, gs, az, abfs, abfss, http, https URL.")
	describe(s, "delimiter", "Field delimiter; a longer string is matched literally, and \\s+ means any run of whitespace.").Default = ","
	describe(s, "encoding", "Text encoding, applied after decompression.").Default = "utf-8"
	describe(s, "header", "Index of the header row.").Default = 0
	describe(s, "dtype", "Column types by column name.")
	nullable(s, "dtype")
	sha256Property(s)
}

// JSONSchemaExtend adds the parquet source constraints.
func (ParquetSource) JSONSchemaExtend(s *jsonschema.Schema) {
	sourceConst(s, TypeParquet)
	describe(s, "path", "Local path or file, s3, gs, az, abfs, abfss, http, https URL.")
	sha256Property(s)
}

// JSONSchemaExtend adds the sql source constraints.
func (SQLSource) JSONSchemaExtend(s *jsonschema.Schema) {
	sourceConst(s, TypeSQL)
	describe(s, "dsn_env", "Name of the environment variable holding the database DSN.").Pattern = dsnEnvRE.String()
	one := uint64(1)
	describe(s, "query", "Read-only SQL query with :name placeholders; never env-expanded.").MinLength = &one
	qp := describe(s, "query_parameters", "Bound query parameters; never env-expanded.")
	qp.AdditionalProperties = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "integer"}, {Type: "number"}, {Type: "boolean"}}}
	qp.Default = map[string]any{}
	p := describe(s, "connect_timeout_seconds", "Connect timeout in seconds.")
	minimum(p, 1)
	maximum(p, 60)
	p.Default = 10
	p = describe(s, "statement_timeout_seconds", "Statement timeout in seconds.")
	minimum(p, 1)
	maximum(p, 1800)
	p.Default = 300
}

// JSONSchemaExtend adds the bigquery source constraints.
func (BigQuerySource) JSONSchemaExtend(s *jsonschema.Schema) {
	sourceConst(s, TypeBigQuery)
	describe(s, "query", "BigQuery SQL with @name parameters; never env-expanded.")
	describe(s, "query_parameters", "Query parameters; never env-expanded.")
	nullable(s, "query_parameters")
	describe(s, "project", "Billing project; the ADC default when null.")
	nullable(s, "project")
}

// JSONSchemaExtend adds the schema section constraints.
func (Schema) JSONSchemaExtend(s *jsonschema.Schema) {
	describe(s, "user_column", "Column holding user ids.")
	describe(s, "item_column", "Column holding item ids.")
	describe(s, "time_column", "Column holding interaction times; required by the time split schemes.")
	nullable(s, "time_column")
	enum(describe(s, "time_unit", "Unit of a numeric time column."), "", timeUnitValues...)
	nullable(s, "time_unit")
}

// JSONSchemaExtend adds the cleansing constraints.
func (Cleansing) JSONSchemaExtend(s *jsonschema.Schema) {
	describe(s, "drop_null_ids", "Drop rows with a null user or item id.").Default = true
	enum(describe(s, "dedup", "Which row of a repeated (user, item) pair to keep."), "keep_last", dedupValues...)
	for _, f := range []string{"min_rows", "min_users", "min_items"} {
		minimum(describe(s, f, "Minimum after cleansing; training fails below it."), 0)
		nullable(s, f)
	}
}

// JSONSchemaExtend adds the item_metadata constraints.
func (ItemMetadata) JSONSchemaExtend(s *jsonschema.Schema) {
	enum(describe(s, "type", "File format."), "", metadataTypes...)
	describe(s, "path", "Local path or file, s3, gs, az, abfs, abfss, http, https URL.")
	sha256Property(s)
	one := uint64(1)
	describe(s, "fields", "Metadata columns returned with recommendations.").MinItems = &one
	enum(describe(s, "on_field_missing", "What to do when a listed field is missing."), "error", onMissingValues...)
	p := describe(s, "item_id_column", "Column holding item ids; not blank.")
	p.Default = "item_id"
	p.Pattern = `\S`
}

// JSONSchemaExtend adds the training constraints.
func (Training) JSONSchemaExtend(s *jsonschema.Schema) {
	one := uint64(1)
	p := describe(s, "algorithms", "Algorithms to search, by alias or class name (IALS, CosineKNN, TopPop, RP3beta, DenseSLIM, TruncatedSVD, BPRFM).")
	p.MinItems = &one
	var names []any
	for _, a := range aliases() {
		names = append(names, a)
	}
	p.Items = &jsonschema.Schema{Type: "string", Examples: names}
	enum(describe(s, "metric", "Metric maximized by the search."), "ndcg", metricValues...)
	for _, f := range []struct {
		name, desc string
		def        int
	}{{"cutoff", "Ranking cutoff of the metric.", 20}, {"n_trials", "Number of search trials.", 40}, {"parallelism", "Concurrent trials.", 1}} {
		p := describe(s, f.name, f.desc)
		minimum(p, 1)
		p.Default = f.def
	}
	describe(s, "per_algorithm_trials", "Trial budget per algorithm; keys must name entries of algorithms.")
	nullable(s, "per_algorithm_trials")
	for _, f := range []string{"per_trial_timeout_seconds", "timeout_seconds"} {
		minimum(describe(s, f, "Time limit in seconds."), 1)
		nullable(s, f)
	}
	describe(s, "storage_path", "Resumable study store: empty for in-memory, a database URL or a file path.").Default = ""
	describe(s, "split", "Validation split.")
	p = describe(s, "params", "Pinned hyperparameters per algorithm (a recotem-go extension): keys name entries of algorithms, values map parameter names to values.")
	p.AdditionalProperties = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "object"}, {Type: "null"}}}
	nullable(s, "params")
}

// JSONSchemaExtend adds the split constraints.
func (Split) JSONSchemaExtend(s *jsonschema.Schema) {
	enum(describe(s, "scheme", "Split scheme; time_* need schema.time_column."), "random", schemeValues...)
	p := describe(s, "heldout_ratio", "Fraction of each validation user's interactions held out.")
	p.ExclusiveMinimum, p.ExclusiveMaximum, p.Default = "0", "1", 0.1
	p = describe(s, "test_user_ratio", "Fraction of users used for validation.")
	p.ExclusiveMinimum, p.Maximum, p.Default = "0", "1", 1.0
	describe(s, "seed", "Split and sampler seed.").Default = 42
}

// JSONSchemaExtend adds the output constraints.
func (Output) JSONSchemaExtend(s *jsonschema.Schema) {
	describe(s, "path", "Local path or file, s3, gs, az, abfs, abfss URL of the artifact.")
	enum(describe(s, "versioning", "append_sha writes a content-addressed file plus a pointer."), "append_sha", versioningValues...)
}
