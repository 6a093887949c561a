package recipe

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/repotest"
)

var testPlugin = PluginType{
	Name:     "snowflake",
	NoExpand: []string{"sql"},
	Schema:   []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"type":{"const":"snowflake"},"sql":{"type":"string"}},"required":["type","sql"],"additionalProperties":false}`),
}

// compileSchema compiles an emitted schema with a 2020-12 validator.
func compileSchema(t *testing.T, raw []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("recipe.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	// Compiling against the 2020-12 meta-schema validates the schema itself.
	s, err := c.Compile("recipe.schema.json")
	if err != nil {
		t.Fatalf("emitted schema does not compile: %v", err)
	}
	return s
}

// yamlInstance decodes a recipe file into the JSON value the schema
// validates.
func yamlInstance(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := parseYAML(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, ok := (&decoder{}).anyValue(n, "")
	if !ok {
		t.Fatalf("%s: not representable", path)
	}
	// Round-trip through encoding/json so numbers are what a JSON reader sees.
	b, err := json.Marshal(jsonValue(v))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestJSONSchemaShape(t *testing.T) {
	raw, err := JSONSchema(LoadOptions{Plugins: []PluginType{testPlugin}})
	if err != nil {
		t.Fatal(err)
	}
	compileSchema(t, raw)
	again, err := JSONSchema(LoadOptions{Plugins: []PluginType{testPlugin}})
	if err != nil || !bytes.Equal(raw, again) {
		t.Error("schema output is not deterministic")
	}
	if !bytes.HasPrefix(raw, []byte("{\n  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\"")) {
		t.Errorf("not 2-space indented 2020-12: %.80s", raw)
	}
	var s struct {
		Title                string          `json:"title"`
		Type                 string          `json:"type"`
		AdditionalProperties *bool           `json:"additionalProperties"`
		Required             []string        `json:"required"`
		Properties           map[string]any  `json:"properties"`
		Defs                 map[string]any  `json:"$defs"`
		Source               json.RawMessage `json:"-"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Title != "Recipe" || s.Type != "object" || s.AdditionalProperties == nil || *s.AdditionalProperties {
		t.Errorf("root: %+v", s)
	}
	if got := strings.Join(s.Required, ","); got != "name,source,schema,training,output" {
		t.Errorf("required %s", got)
	}
	for _, p := range []string{"name", "source", "schema", "cleansing", "item_metadata", "training", "output"} {
		if _, ok := s.Properties[p]; !ok {
			t.Errorf("property %s missing", p)
		}
	}
	src := s.Properties["source"].(map[string]any)
	disc := src["discriminator"].(map[string]any)
	mapping := disc["mapping"].(map[string]any)
	if disc["propertyName"] != "type" || len(src["oneOf"].([]any)) != 5 {
		t.Errorf("source: %v", src)
	}
	for _, typ := range []string{"csv", "parquet", "sql", "bigquery", "snowflake"} {
		ref, _ := mapping[typ].(string)
		name := strings.TrimPrefix(ref, "#/$defs/")
		if _, ok := s.Defs[name]; !ok {
			t.Errorf("type %s: no definition %q", typ, ref)
		}
	}
	for _, want := range []string{`"pattern": "^[A-Za-z0-9_-]{1,64}$"`, `"minimum": 1`, `"maximum": 1800`, `"minItems": 1`, `"default": "keep_last"`, `"const": "sql"`, `"exclusiveMaximum": 1`, `"params"`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

func TestJSONSchemaExamples(t *testing.T) {
	raw, err := JSONSchema(LoadOptions{Plugins: []PluginType{testPlugin}})
	if err != nil {
		t.Fatal(err)
	}
	sch := compileSchema(t, raw)
	examples, _ := filepath.Glob("testdata/examples/*.yaml")
	if len(examples) < 4 {
		t.Fatalf("only %d examples", len(examples))
	}
	for _, f := range examples {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := sch.Validate(yamlInstance(t, f)); err != nil {
				t.Errorf("schema rejects example: %v", err)
			}
			if _, err := Load(f, testOptions(nil)); err != nil {
				t.Errorf("loader rejects example: %v", err)
			}
		})
	}
	broken, _ := filepath.Glob("testdata/broken/*.yaml")
	if len(broken) < 4 {
		t.Fatalf("only %d broken recipes", len(broken))
	}
	for _, f := range broken {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := sch.Validate(yamlInstance(t, f)); err == nil {
				t.Error("schema accepts a broken recipe")
			}
			if _, err := Load(f, testOptions(nil)); err == nil {
				t.Error("loader accepts a broken recipe")
			}
		})
	}
	// A plugin-typed source validates against the plugin's schema.
	dir := t.TempDir()
	p := filepath.Join(dir, "plugin.yaml")
	body := "name: p\nsource: {type: snowflake, sql: SELECT 1}\nschema: {user_column: u, item_column: i}\ntraining: {algorithms: [TopPop]}\noutput: {path: o.recotem}\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlInstance(t, p)); err != nil {
		t.Errorf("plugin source rejected: %v", err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(body, "sql: SELECT 1", "query: SELECT 1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlInstance(t, p)); err == nil {
		t.Error("invalid plugin source accepted")
	}
}

// TestJSONSchemaShippedExamples validates every recipe the repository ships
// (examples/*/recipe.yaml) against the emitted schema, with the schemas of
// the example plugins (examples/plugins/recotem-source-*) registered as
// `recotem schema` would see them, and loads it.
func TestJSONSchemaShippedExamples(t *testing.T) {
	root := repotest.Root(t)
	recipes, err := filepath.Glob(filepath.Join(root, "examples", "*", "recipe.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recipes) == 0 {
		t.Fatalf("no examples/*/recipe.yaml under %s", root)
	}
	plugins := examplePlugins(t, filepath.Join(root, "examples", "plugins"))
	raw, err := JSONSchema(LoadOptions{Plugins: plugins})
	if err != nil {
		t.Fatal(err)
	}
	sch := compileSchema(t, raw)
	for _, f := range recipes {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			if err := sch.Validate(yamlInstance(t, f)); err != nil {
				t.Errorf("schema rejects %s: %v", f, err)
			}
			opts := testOptions(nil)
			opts.Plugins = plugins
			if _, err := Load(f, opts); err != nil {
				t.Errorf("loader rejects %s: %v", f, err)
			}
		})
	}
}

// examplePlugins runs `describe` of every recotem-source-* executable in
// dir and returns the source types they declare.
func examplePlugins(t *testing.T, dir string) []PluginType {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "recotem-source-*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []PluginType
	for _, p := range paths {
		b, err := exec.Command(p, "describe").Output()
		if err != nil {
			t.Fatalf("%s describe: %v", p, err)
		}
		var d struct {
			Type     string          `json:"type"`
			Schema   json.RawMessage `json:"schema"`
			NoExpand []string        `json:"no_expand"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s describe: %v", p, err)
		}
		out = append(out, PluginType{Name: d.Type, Schema: d.Schema, NoExpand: d.NoExpand})
	}
	return out
}

func TestJSONSchemaBadPlugin(t *testing.T) {
	_, err := JSONSchema(LoadOptions{Plugins: []PluginType{{Name: "x", Schema: []byte(`{"type": 12}`)}}})
	if err == nil || exitcode.Of(err) != exitcode.Recipe {
		t.Errorf("a plugin schema that does not compile: %v, want exit 2", err)
	}
}

// TestJSONSchemaCoversTypes guards against drift: every YAML field of the
// recipe types is a property of its definition.
func TestJSONSchemaCoversTypes(t *testing.T) {
	raw, err := JSONSchema(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{Recipe{}, CSVSource{}, ParquetSource{}, SQLSource{}, BigQuerySource{}, Schema{}, Cleansing{}, ItemMetadata{}, Training{}, Split{}, Output{}} {
		typ := reflect.TypeOf(v)
		props := s.Properties
		if typ.Name() != "Recipe" {
			props = s.Defs[typ.Name()].Properties
		}
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if _, ok := props[name]; !ok {
				t.Errorf("%s.%s: property %q missing from the schema", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
}
