package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

const baseRecipe = `name: my-recipe_v2
source:
  type: csv
  path: /tmp/data.csv
schema:
  user_column: user_id
  item_column: item_id
training:
  algorithms: [IALS, CosineKNN, TopPop]
output:
  path: /tmp/out.recotem
`

// edit returns baseRecipe with old replaced by new (old must occur).
func edit(old, new string) string {
	if !strings.Contains(baseRecipe, old) {
		panic("edit: " + old)
	}
	return strings.Replace(baseRecipe, old, new, 1)
}

// withTraining appends lines to the training section.
func withTraining(lines string) string {
	return edit("  algorithms: [IALS, CosineKNN, TopPop]\n", "  algorithms: [IALS, CosineKNN, TopPop]\n"+lines)
}

func withSource(src string) string {
	return edit("source:\n  type: csv\n  path: /tmp/data.csv\n", src)
}

func withOutput(path string) string {
	return edit("output:\n  path: /tmp/out.recotem\n", "output:\n  path: "+path+"\n")
}

type loadCase struct {
	name  string
	yaml  string
	env   map[string]string // process environment
	vars  map[string]string // --env-var
	want  []string          // substrings of the error; nil = must load
	check func(t *testing.T, r *Recipe)
}

func runLoadCases(t *testing.T, cases []loadCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions(c.env)
			opts.EnvVars = c.vars
			r, err := LoadBytes("r.yaml", []byte(c.yaml), opts)
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.check != nil {
					c.check(t, r)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded, want error containing %q", c.want)
			}
			if code := exitcode.Of(err); code != exitcode.Recipe {
				t.Errorf("exit code %d, want 2", code)
			}
			if errorOf(err) == nil {
				t.Errorf("error %v is not a *recipe.Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "value-never-shown") {
				t.Errorf("error %q shows a variable's value", err)
			}
		})
	}
}

func TestLoadName(t *testing.T) {
	runLoadCases(t, []loadCase{
		{name: "ok", yaml: baseRecipe, check: func(t *testing.T, r *Recipe) {
			if r.Name != "my-recipe_v2" || r.Path != "r.yaml" {
				t.Errorf("name %q path %q", r.Name, r.Path)
			}
		}},
		{name: "slash", yaml: edit("name: my-recipe_v2", "name: bad/name"), want: []string{"name: String should match pattern"}},
		{name: "65 chars", yaml: edit("name: my-recipe_v2", "name: "+strings.Repeat("a", 65)), want: []string{"name:"}},
		{name: "64 chars", yaml: edit("name: my-recipe_v2", "name: "+strings.Repeat("a", 64))},
		{name: "missing", yaml: edit("name: my-recipe_v2\n", ""), want: []string{"name: Field required"}},
		{name: "empty", yaml: edit("name: my-recipe_v2", `name: ""`), want: []string{"name: Field required"}},
		{name: "trailing newline", yaml: edit("name: my-recipe_v2", `name: "abc\n"`), want: []string{"name: String should match"}},
		{name: "int", yaml: edit("name: my-recipe_v2", "name: 123"), want: []string{"name: Input should be a valid string (line 1)"}},
		{name: "from env", yaml: edit("name: my-recipe_v2", "name: ${RECOTEM_RECIPE_NAME}"), env: map[string]string{"RECOTEM_RECIPE_NAME": "fromenv"},
			check: func(t *testing.T, r *Recipe) {
				if r.Name != "fromenv" {
					t.Errorf("name %q", r.Name)
				}
			}},
	})
}

func TestLoadParse(t *testing.T) {
	runLoadCases(t, []loadCase{
		{name: "empty file", yaml: "", want: []string{"must be a YAML mapping at the top level"}},
		{name: "comment only", yaml: "# nothing\n", want: []string{"must be a YAML mapping"}},
		{name: "list", yaml: "- a\n- b\n", want: []string{"must be a YAML mapping"}},
		{name: "scalar", yaml: "hello\n", want: []string{"must be a YAML mapping"}},
		{name: "syntax error line 2", yaml: "name: x\nsource: [a\nschema: {}\n", want: []string{"is not valid YAML", "(line 2)"}},
		{name: "parser error line 2", yaml: "name: x\n- a\n", want: []string{"did not find expected key (line 2)"}},
		{name: "parser error line 3", yaml: "a:\n  b: 1\n c: 2\n", want: []string{"(line 3)"}},
		{name: "scanner error line 2", yaml: "name: x\nb: @x\n", want: []string{"(line 2)"}},
		{name: "bad indentation line 2", yaml: "name: x\n  bad: : y\n", want: []string{"(line 2)"}},
		{name: "duplicate key rejected", yaml: edit("name: my-recipe_v2\n", "name: a\nname: b\n"), want: []string{`duplicate key "name"`, "(line 2)"}},
		{name: "duplicate nested key", yaml: withTraining("  n_trials: 3\n  n_trials: 4\n"), want: []string{`duplicate key "n_trials"`}},
		{name: "two documents", yaml: baseRecipe + "---\nname: b\n", want: []string{"single document"}},
		{name: "unknown tag", yaml: edit("name: my-recipe_v2", "name: !!python/object x"), want: []string{"constructor"}},
		{name: "invalid utf8", yaml: "name: \xff\n", want: []string{"Cannot read recipe file"}},
		{name: "anchors and merge", yaml: "base: &b {user_column: u, item_column: i}\n" + baseRecipe, want: []string{"base: Extra inputs are not permitted"}},
		{name: "merge key", yaml: strings.Replace(baseRecipe, "schema:\n  user_column: user_id\n  item_column: item_id\n", "schema:\n  <<: {user_column: u, item_column: i}\n  item_column: item_id\n", 1),
			check: func(t *testing.T, r *Recipe) {
				if r.Schema.UserColumn != "u" || r.Schema.ItemColumn != "item_id" {
					t.Errorf("merge gave %+v", r.Schema)
				}
			}},
	})
}

func TestLoadFields(t *testing.T) {
	runLoadCases(t, []loadCase{
		{name: "defaults", yaml: baseRecipe, check: func(t *testing.T, r *Recipe) {
			tr := r.Training
			if tr.Metric != "ndcg" || tr.Cutoff != 20 || tr.NTrials != 40 || tr.Parallelism != 1 || tr.StoragePath != "" ||
				tr.Split != (Split{"random", 0.1, 1.0, 42}) || tr.PerAlgorithmTrials != nil || tr.TimeoutSeconds != nil {
				t.Errorf("training defaults %+v", tr)
			}
			if !r.Cleansing.DropNullIDs || r.Cleansing.Dedup != "keep_last" || r.Output.Versioning != "append_sha" || r.ItemMetadata != nil {
				t.Errorf("defaults %+v %+v", r.Cleansing, r.Output)
			}
			c := r.Source.CSV
			if r.Source.Type != "csv" || c == nil || c.Delimiter != "," || c.Encoding != "utf-8" || c.Header != 0 || c.Dtype != nil || c.SHA256 != nil {
				t.Errorf("csv defaults %+v", c)
			}
		}},
		{name: "unknown top-level key", yaml: baseRecipe + "foo: 1\n", want: []string{"foo: Extra inputs are not permitted (line 12)"}},
		{name: "csv unknown field", yaml: withSource("source:\n  type: csv\n  path: /tmp/d.csv\n  unknown_extra_field: 1\n"), want: []string{"source failed validation", "source.unknown_extra_field: Extra inputs are not permitted"}},
		{name: "parquet delimiter", yaml: withSource("source:\n  type: parquet\n  path: /tmp/d.parquet\n  delimiter: ','\n"), want: []string{"source.delimiter: Extra inputs are not permitted"}},
		{name: "training omitted", yaml: edit("training:\n  algorithms: [IALS, CosineKNN, TopPop]\n", ""), want: []string{"algorithms: Field required"}},
		{name: "algorithms empty", yaml: edit("[IALS, CosineKNN, TopPop]", "[]"), want: []string{"training.algorithms: List should have at least 1 item"}},
		{name: "algorithms unknown fails at load", yaml: edit("[IALS, CosineKNN, TopPop]", "[IALS, Foo]"), want: []string{"training.algorithms.1: Value error, unknown algorithm 'Foo'"}},
		{name: "algorithms scalar", yaml: edit("[IALS, CosineKNN, TopPop]", "abc"), want: []string{"training.algorithms: Input should be a valid list"}},
		{name: "algorithm aliases", yaml: edit("[IALS, CosineKNN, TopPop]", "[ials, CosinekNN, TopPopRecommender, rp3betarecommender, ials]"), check: func(t *testing.T, r *Recipe) {
			want := []string{"IALSRecommender", "CosineKNNRecommender", "TopPopRecommender", "RP3betaRecommender"}
			if got := r.Classes(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Classes() = %v", got)
			}
		}},
		{name: "n_trials and parallelism 0", yaml: withTraining("  n_trials: 0\n  parallelism: 0\n"), want: []string{"training.n_trials: Input should be greater than or equal to 1", "training.parallelism: Input should be greater than or equal to 1"}},
		{name: "cutoff 0", yaml: withTraining("  cutoff: 0\n"), want: []string{"training.cutoff"}},
		{name: "heldout 0", yaml: withTraining("  split: {heldout_ratio: 0}\n"), want: []string{"training.split.heldout_ratio: Input should be greater than 0"}},
		{name: "heldout 1.0", yaml: withTraining("  split: {heldout_ratio: 1.0}\n"), want: []string{"training.split.heldout_ratio: Input should be less than 1"}},
		{name: "test_user_ratio 0", yaml: withTraining("  split: {test_user_ratio: 0}\n"), want: []string{"training.split.test_user_ratio"}},
		{name: "test_user_ratio 1", yaml: withTraining("  split: {test_user_ratio: 1}\n"), check: func(t *testing.T, r *Recipe) {
			if r.Training.Split.TestUserRatio != 1.0 || !strings.Contains(string(r.CanonicalJSON()), `"test_user_ratio":1.0`) {
				t.Errorf("test_user_ratio %v", r.Training.Split.TestUserRatio)
			}
		}},
		{name: "time_user without time_column", yaml: withTraining("  split: {scheme: time_user}\n"), want: []string{"  - Value error, training.split.scheme 'time_user' requires schema.time_column to be set."}},
		{name: "time_global without time_column", yaml: withTraining("  split: {scheme: time_global}\n"), want: []string{"requires schema.time_column"}},
		{name: "time_user with time_column", yaml: edit("  item_column: item_id\n", "  item_column: item_id\n  time_column: ts\n  time_unit: s\n") + "", check: func(t *testing.T, r *Recipe) {
			if *r.Schema.TimeColumn != "ts" || *r.Schema.TimeUnit != "s" {
				t.Error("time fields")
			}
		}},
		{name: "dedup sum_weight", yaml: baseRecipe + "cleansing: {dedup: sum_weight}\n", want: []string{"cleansing.dedup: Input should be 'keep_first', 'keep_last' or 'none'"}},
		{name: "cleansing null", yaml: baseRecipe + "cleansing: null\n", want: []string{"cleansing: Input should be a valid dictionary"}},
		{name: "min_rows negative", yaml: baseRecipe + "cleansing: {min_rows: -1}\n", want: []string{"cleansing.min_rows: Input should be greater than or equal to 0"}},
		{name: "time_unit sec", yaml: edit("  item_column: item_id\n", "  item_column: item_id\n  time_unit: sec\n"), want: []string{"schema.time_unit: Input should be 's', 'ms', 'us' or 'ns'"}},
		{name: "versioning foo", yaml: baseRecipe + "  versioning: foo\n", want: []string{"output.versioning"}},
		{name: "metric precision", yaml: withTraining("  metric: precision\n"), want: []string{"training.metric"}},
		{name: "storage_path null", yaml: withTraining("  storage_path: null\n"), want: []string{"training.storage_path: Input should be a valid string"}},
		{name: "timeouts", yaml: withTraining("  timeout_seconds: 0\n  per_trial_timeout_seconds: null\n"), want: []string{"training.timeout_seconds: Input should be greater than or equal to 1"}},
		{name: "user_column yes", yaml: edit("user_column: user_id", "user_column: yes"), want: []string{"schema.user_column: Input should be a valid string (line 6)"}},
		{name: "user_column date", yaml: edit("user_column: user_id", "user_column: 2026-01-01"), want: []string{"schema.user_column: Input should be a valid string"}},
		{name: "user_column quoted yes", yaml: edit("user_column: user_id", `user_column: "yes"`), check: func(t *testing.T, r *Recipe) {
			if r.Schema.UserColumn != "yes" {
				t.Error(r.Schema.UserColumn)
			}
		}},
		{name: "several errors listed", yaml: edit("user_column: user_id", "user_column: 1") + "foo: 2\n", want: []string{"failed validation:\n  - schema.user_column", "\n  - foo: Extra inputs"}},
	})
}

func TestLoadItemMetadata(t *testing.T) {
	meta := func(lines string) string {
		return baseRecipe + "item_metadata:\n  type: csv\n  path: /tmp/items.csv\n" + lines
	}
	runLoadCases(t, []loadCase{
		{name: "defaults", yaml: meta("  fields: [title]\n"), check: func(t *testing.T, r *Recipe) {
			m := r.ItemMetadata
			if m == nil || m.ItemIDColumn != "item_id" || m.OnFieldMissing != "error" || m.SHA256 != nil || len(m.Fields) != 1 {
				t.Errorf("%+v", m)
			}
		}},
		{name: "null", yaml: baseRecipe + "item_metadata: null\n"},
		{name: "fields empty", yaml: meta("  fields: []\n"), want: []string{"item_metadata.fields: List should have at least 1 item"}},
		{name: "fields missing", yaml: meta(""), want: []string{"item_metadata.fields: Field required"}},
		{name: "item_id_column blank", yaml: meta("  fields: [a]\n  item_id_column: '  '\n"), want: []string{"item_metadata.item_id_column"}},
		{name: "sha256 uppercase", yaml: meta("  fields: [a]\n  sha256: " + strings.Repeat("A", 64) + "\n"), want: []string{"item_metadata.sha256: String should match pattern"}},
		{name: "sha256 63", yaml: meta("  fields: [a]\n  sha256: " + strings.Repeat("a", 63) + "\n"), want: []string{"item_metadata.sha256"}},
		{name: "type json", yaml: strings.Replace(meta("  fields: [a]\n"), "type: csv\n  path: /tmp/items", "type: json\n  path: /tmp/items", 1), want: []string{"item_metadata.type"}},
		{name: "http without pin", yaml: strings.Replace(meta("  fields: [a]\n"), "/tmp/items.csv", "https://example.com/i.csv", 1), want: []string{"integrity pin", "item_metadata.sha256"}},
		{name: "http with pin", yaml: strings.Replace(meta("  fields: [a]\n  sha256: "+strings.Repeat("a", 64)+"\n"), "/tmp/items.csv", "https://example.com/i.csv", 1)},
	})
}

func TestLoadCoercion(t *testing.T) {
	cut := func(v string) string { return withTraining("  cutoff: " + v + "\n") }
	gotCutoff := func(want int) func(t *testing.T, r *Recipe) {
		return func(t *testing.T, r *Recipe) {
			if r.Training.Cutoff != want {
				t.Errorf("cutoff %d, want %d", r.Training.Cutoff, want)
			}
		}
	}
	dropNull := func(v string) string { return baseRecipe + "cleansing: {drop_null_ids: " + v + "}\n" }
	gotDrop := func(want bool) func(t *testing.T, r *Recipe) {
		return func(t *testing.T, r *Recipe) {
			if r.Cleansing.DropNullIDs != want {
				t.Errorf("drop_null_ids %v", r.Cleansing.DropNullIDs)
			}
		}
	}
	runLoadCases(t, []loadCase{
		{name: "int float zero fraction", yaml: cut("40.0"), check: gotCutoff(40)},
		{name: "int string", yaml: cut(`"40"`), check: gotCutoff(40)},
		{name: "int string spaces", yaml: cut(`" 40 "`), check: gotCutoff(40)},
		{name: "int bool", yaml: cut("true"), check: gotCutoff(1)},
		{name: "int underscore", yaml: cut("1_000"), check: gotCutoff(1000)},
		{name: "int fraction", yaml: cut("40.5"), want: []string{"training.cutoff: Input should be a valid integer, got a number with a fractional part"}},
		{name: "int exponent string", yaml: cut(`"1e2"`), want: []string{"unable to parse string as an integer"}},
		{name: "int hex string", yaml: cut(`"0x10"`), want: []string{"unable to parse string as an integer"}},
		{name: "int null", yaml: cut("null"), want: []string{"training.cutoff: Input should be a valid integer"}},
		{name: "int list", yaml: cut("[1]"), want: []string{"training.cutoff: Input should be a valid integer"}},
		{name: "float string", yaml: withTraining("  split: {heldout_ratio: '0.25'}\n"), check: func(t *testing.T, r *Recipe) {
			if r.Training.Split.HeldoutRatio != 0.25 {
				t.Error(r.Training.Split.HeldoutRatio)
			}
		}},
		{name: "float bad string", yaml: withTraining("  split: {heldout_ratio: abc}\n"), want: []string{"Input should be a valid number"}},
		{name: "bool yes", yaml: dropNull("no"), check: gotDrop(false)},
		{name: "bool int 1", yaml: dropNull("1"), check: gotDrop(true)},
		{name: "bool int 0", yaml: dropNull("0"), check: gotDrop(false)},
		{name: "bool string t", yaml: dropNull(`"T"`), check: gotDrop(true)},
		{name: "bool string off", yaml: dropNull(`"Off"`), check: gotDrop(false)},
		{name: "bool 2", yaml: dropNull("2"), want: []string{"cleansing.drop_null_ids: Input should be a valid boolean"}},
		{name: "bool other string", yaml: dropNull("maybe"), want: []string{"unable to interpret input"}},
		{name: "int from env", yaml: withTraining("  n_trials: \"${RECOTEM_RECIPE_N}\"\n"), env: map[string]string{"RECOTEM_RECIPE_N": "7"}, check: func(t *testing.T, r *Recipe) {
			if r.Training.NTrials != 7 {
				t.Error(r.Training.NTrials)
			}
		}},
	})
}

func TestLoadPerAlgorithmTrials(t *testing.T) {
	with := func(algos, per string) string {
		return edit("  algorithms: [IALS, CosineKNN, TopPop]\n", "  algorithms: "+algos+"\n  per_algorithm_trials: "+per+"\n")
	}
	runLoadCases(t, []loadCase{
		{name: "Cosine_kNN", yaml: with("[CosineKNN]", "{Cosine_kNN: 5}"), want: []string{"training: Value error, per_algorithm_trials keys", "'Cosine_kNN'"}},
		{name: "IALS not listed", yaml: with("[CosineKNN]", "{IALS: 5}"), want: []string{"'IALS'"}},
		{name: "class name", yaml: with("[CosineKNN]", "{CosineKNNRecommender: 8}")},
		{name: "lower alias", yaml: with("[TopPop]", "{toppop: 3}")},
		{name: "negative value", yaml: with("[TopPop]", "{TopPop: -3}")},
		{name: "empty map", yaml: with("[TopPop]", "{}")},
		{name: "non-int value", yaml: with("[TopPop]", "{TopPop: x}"), want: []string{"training.per_algorithm_trials.TopPop: Input should be a valid integer"}},
	})
}

func TestLoadParams(t *testing.T) {
	with := func(params string) string {
		return withTraining("  params:\n" + params)
	}
	runLoadCases(t, []loadCase{
		{name: "pinned", yaml: with("    IALS: {n_components: 64, alpha0: 0.5}\n    toppop: null\n"), check: func(t *testing.T, r *Recipe) {
			p := r.ParamsFor("IALSRecommender")
			if p["n_components"] != 64 || p["alpha0"] != 0.5 {
				t.Errorf("params %v", p)
			}
			if p := r.ParamsFor("TopPopRecommender"); p == nil || len(p) != 0 {
				t.Errorf("TopPop params %v", p)
			}
		}},
		{name: "unknown key", yaml: with("    DenseSLIM: {reg: 1}\n"), want: []string{"training.params.DenseSLIM: Value error, 'DenseSLIM' does not name an algorithm"}},
		{name: "twice", yaml: with("    IALS: {}\n    IALSRecommender: {}\n"), want: []string{"name the same algorithm"}},
		{name: "not a map", yaml: with("    IALS: 3\n"), want: []string{"training.params.IALS: Input should be a valid dictionary"}},
	})
	// The ValidateParams hook sees the canonical class and the values.
	opts := testOptions(nil)
	var seen []string
	opts.ValidateParams = func(class string, p map[string]any) error {
		seen = append(seen, class)
		if _, ok := p["bogus"]; ok {
			return errors.New("unknown parameter 'bogus'")
		}
		return nil
	}
	if _, err := LoadBytes("r.yaml", []byte(with("    IALS: {n_components: 8}\n")), opts); err != nil || fmt.Sprint(seen) != "[IALSRecommender]" {
		t.Fatalf("err %v, hook saw %v", err, seen)
	}
	_, err := LoadBytes("r.yaml", []byte(with("    TopPop: {bogus: 1}\n")), opts)
	if err == nil || !strings.Contains(err.Error(), "training.params.TopPop: Value error, unknown parameter 'bogus'") || exitcode.Of(err) != 2 {
		t.Fatalf("hook error not reported: %v", err)
	}
}

func TestLoadSource(t *testing.T) {
	runLoadCases(t, []loadCase{
		{name: "null", yaml: withSource("source: null\n"), want: []string{"source failed validation", "source must not be None"}},
		{name: "scalar", yaml: withSource("source: hello\n"), want: []string{"source: Input should be a valid dictionary"}},
		{name: "missing", yaml: withSource(""), want: []string{"source: Field required"}},
		{name: "no type", yaml: withSource("source:\n  path: /tmp/x.csv\n"), want: []string{"missing the 'type' discriminator"}},
		{name: "type ftp", yaml: withSource("source:\n  type: ftp\n  path: /tmp/x.csv\n"), want: []string{"plugin source discovery failed for type 'ftp'", "Known types: ['bigquery', 'csv', 'parquet', 'sql']"}},
		{name: "type from env", yaml: withSource("source:\n  type: ${RECOTEM_RECIPE_T}\n  path: /tmp/x.csv\n"), env: map[string]string{"RECOTEM_RECIPE_T": "csv"}, want: []string{"discovery failed for type '${RECOTEM_RECIPE_T}'"}},
		{name: "unknown type before name check", yaml: edit("name: my-recipe_v2", "name: bad/name") + "", want: []string{"name:"}},
		{name: "sql", yaml: withSource("source:\n  type: sql\n  dsn_env: RECOTEM_RECIPE_DSN\n  query: SELECT u, i FROM t WHERE d > :d\n  query_parameters: {d: '2026-01-01', n: 3, f: 1.5, b: true}\n"), check: func(t *testing.T, r *Recipe) {
			s := r.Source.SQL
			if s == nil || s.ConnectTimeoutSeconds != 10 || s.StatementTimeoutSeconds != 300 || s.QueryParameters["n"] != 3 || s.QueryParameters["d"] != "2026-01-01" {
				t.Errorf("%+v", s)
			}
		}},
		{name: "sql defaults", yaml: withSource("source:\n  type: sql\n  dsn_env: RECOTEM_RECIPE_DSN\n  query: SELECT 1\n"), check: func(t *testing.T, r *Recipe) {
			if r.Source.SQL.QueryParameters == nil || !strings.Contains(string(r.CanonicalJSON()), `"query_parameters":{}`) {
				t.Error("query_parameters default must be {}")
			}
		}},
		{name: "sql dsn_env pattern", yaml: withSource("source:\n  type: sql\n  dsn_env: DATABASE_URL\n  query: SELECT 1\n"), want: []string{"source.dsn_env: String should match pattern"}},
		{name: "sql dsn_env never expanded", yaml: withSource("source:\n  type: sql\n  dsn_env: ${RECOTEM_RECIPE_SECRET_DSN}\n  query: SELECT 1\n"), want: []string{"source.dsn_env: String should match pattern"}},
		{name: "sql empty query", yaml: withSource("source:\n  type: sql\n  dsn_env: RECOTEM_RECIPE_DSN\n  query: ''\n"), want: []string{"source.query: String should have at least 1 character"}},
		{name: "sql timeouts", yaml: withSource("source:\n  type: sql\n  dsn_env: RECOTEM_RECIPE_DSN\n  query: SELECT 1\n  connect_timeout_seconds: 61\n  statement_timeout_seconds: 0\n"), want: []string{"source.connect_timeout_seconds: Input should be less than or equal to 60", "source.statement_timeout_seconds: Input should be greater than or equal to 1"}},
		{name: "sql date parameter", yaml: withSource("source:\n  type: sql\n  dsn_env: RECOTEM_RECIPE_DSN\n  query: SELECT 1\n  query_parameters: {d: 2026-01-01}\n"), want: []string{"source.query_parameters.d"}},
		{name: "bigquery", yaml: withSource("source:\n  type: bigquery\n  query: ''\n  project: ${RECOTEM_RECIPE_GCP_PROJECT}\n"), env: map[string]string{"RECOTEM_RECIPE_GCP_PROJECT": "p1"}, check: func(t *testing.T, r *Recipe) {
			b := r.Source.BigQuery
			if b == nil || *b.Project != "p1" || b.QueryParameters != nil {
				t.Errorf("%+v", b)
			}
		}},
		{name: "bigquery query not expanded", yaml: withSource("source:\n  type: bigquery\n  query: SELECT '${AWS_SECRET_ACCESS_KEY}'\n  query_parameters: {x: '${RECOTEM_SIGNING_KEYS}', nested: {Query: '${HOME}'}}\n"), check: func(t *testing.T, r *Recipe) {
			b := r.Source.BigQuery
			if b.Query != "SELECT '${AWS_SECRET_ACCESS_KEY}'" || b.QueryParameters["x"] != "${RECOTEM_SIGNING_KEYS}" {
				t.Errorf("%+v", b)
			}
		}},
		{name: "csv dtype", yaml: withSource("source:\n  type: csv\n  path: /tmp/d.csv\n  dtype: {user_id: str}\n  header: '1'\n"), check: func(t *testing.T, r *Recipe) {
			if r.Source.CSV.Dtype["user_id"] != "str" || r.Source.CSV.Header != 1 {
				t.Errorf("%+v", r.Source.CSV)
			}
		}},
		{name: "csv dtype value int", yaml: withSource("source:\n  type: csv\n  path: /tmp/d.csv\n  dtype: {user_id: 1}\n"), want: []string{"source.dtype.user_id: Input should be a valid string"}},
		{name: "csv header null", yaml: withSource("source:\n  type: csv\n  path: /tmp/d.csv\n  header: null\n"), want: []string{"source.header"}},
		{name: "source errors before other schema errors", yaml: withSource("source:\n  type: csv\n") + "foo: 1\n", want: []string{"source failed validation:\n  - source.path: Field required"}},
	})
}

func TestLoadEnvExpansion(t *testing.T) {
	name := func(ref string) string { return edit("name: my-recipe_v2", "name: "+ref) }
	user := func(v string) string { return edit("user_column: user_id", "user_column: \""+v+"\"") }
	gotUser := func(want string) func(t *testing.T, r *Recipe) {
		return func(t *testing.T, r *Recipe) {
			if r.Schema.UserColumn != want {
				t.Errorf("user_column %q, want %q", r.Schema.UserColumn, want)
			}
		}
	}
	var cases []loadCase
	for _, n := range []string{"RECOTEM_SIGNING_KEY", "AWS_SECRET_ACCESS_KEY", "RECOTEM_RECIPE_MY_TOKEN", "RECOTEM_RECIPE_MY_KEY", "RECOTEM_RECIPE_APIKEY",
		"RECOTEM_RECIPE_AUTH", "RECOTEM_RECIPE_BEARER", "RECOTEM_RECIPE_CRED_FILE", "RECOTEM_RECIPE_PASSWD", "RECOTEM_RECIPE_PRIVATE_KEY", "RECOTEM_RECIPE_MY_SECRET",
		"RECOTEM_RECIPE_KEYBOARD", "RECOTEM_RECIPE_AUTHOR", "RECOTEM_API_KEYS", "GOOGLE_APPLICATION_CREDENTIALS", "do_region", "recotem_recipe_password"} {
		cases = append(cases, loadCase{name: "blacklisted " + n, yaml: user("${" + n + "}"), env: map[string]string{n: "value-never-shown"},
			want: []string{"schema.user_column: Environment variable '${" + n + "}' is blacklisted"}})
	}
	cases = append(cases,
		loadCase{name: "HOME not allowed", yaml: user("${HOME}"), env: map[string]string{"HOME": "/root"}, want: []string{"'${HOME}' is not allowed in a recipe"}},
		loadCase{name: "GCP_PROJECT suffix allowed", yaml: user("${RECOTEM_RECIPE_GCP_PROJECT}"), env: map[string]string{"RECOTEM_RECIPE_GCP_PROJECT": "p"}, check: gotUser("p")},
		loadCase{name: "undefined", yaml: name("${RECOTEM_RECIPE_X}"), want: []string{"name: Environment variable '${RECOTEM_RECIPE_X}' is referenced in the recipe but is not set. (line 1)"}},
		loadCase{name: "lower-case exact", yaml: user("${recotem_recipe_lower}"), env: map[string]string{"recotem_recipe_lower": "lo"}, check: gotUser("lo")},
		loadCase{name: "lower-case looked up as written", yaml: user("${recotem_recipe_lower}"), env: map[string]string{"RECOTEM_RECIPE_LOWER": "up"}, want: []string{"is not set"}},
		loadCase{name: "empty braces literal", yaml: user("a${}b"), check: gotUser("a${}b")},
		loadCase{name: "bare dollar literal", yaml: user("$RECOTEM_RECIPE_X"), check: gotUser("$RECOTEM_RECIPE_X")},
		loadCase{name: "self reference not rescanned", yaml: user("${RECOTEM_RECIPE_A}"), env: map[string]string{"RECOTEM_RECIPE_A": "${RECOTEM_RECIPE_A}"}, check: gotUser("${RECOTEM_RECIPE_A}")},
		loadCase{name: "chain not rescanned", yaml: user("${RECOTEM_RECIPE_A}"), env: map[string]string{"RECOTEM_RECIPE_A": "${RECOTEM_RECIPE_B}", "RECOTEM_RECIPE_B": "${RECOTEM_RECIPE_A}"}, check: gotUser("${RECOTEM_RECIPE_B}")},
		loadCase{name: "nested braces name", yaml: user("${RECOTEM_RECIPE_A${RECOTEM_RECIPE_B}}"), env: map[string]string{"RECOTEM_RECIPE_A${RECOTEM_RECIPE_B": "weird"}, check: gotUser("weird}")},
		loadCase{name: "two references", yaml: user("${RECOTEM_RECIPE_A}-${RECOTEM_RECIPE_B}"), env: map[string]string{"RECOTEM_RECIPE_A": "x", "RECOTEM_RECIPE_B": "y"}, check: gotUser("x-y")},
		loadCase{name: "--env-var wins over env", yaml: user("${RECOTEM_RECIPE_DATE}"), env: map[string]string{"RECOTEM_RECIPE_DATE": "old"}, vars: map[string]string{"RECOTEM_RECIPE_DATE": "20260501"}, check: gotUser("20260501")},
		loadCase{name: "in list", yaml: edit("[IALS, CosineKNN, TopPop]", "[\"${RECOTEM_RECIPE_ALGO}\"]"), env: map[string]string{"RECOTEM_RECIPE_ALGO": "TopPop"}, check: func(t *testing.T, r *Recipe) {
			if r.Training.Algorithms[0] != "TopPop" {
				t.Error(r.Training.Algorithms)
			}
		}},
		loadCase{name: "keys never expanded", yaml: baseRecipe + "${RECOTEM_RECIPE_K}: 1\n", env: map[string]string{"RECOTEM_RECIPE_K": "x"}, want: []string{"${RECOTEM_RECIPE_K}: Extra inputs are not permitted"}},
		loadCase{name: "output path", yaml: withOutput("${RECOTEM_RECIPE_OUT}/m.recotem"), env: map[string]string{"RECOTEM_RECIPE_OUT": "/srv"}, check: func(t *testing.T, r *Recipe) {
			if r.Output.Path != "/srv/m.recotem" {
				t.Error(r.Output.Path)
			}
		}},
		loadCase{name: "expanded output policy", yaml: withOutput("${RECOTEM_RECIPE_OUT}"), env: map[string]string{"RECOTEM_RECIPE_OUT": "http://x/y"}, want: []string{"output.path"}},
	)
	runLoadCases(t, cases)
}

func TestEnvVarEmptyWarns(t *testing.T) {
	for _, viaFlag := range []bool{false, true} {
		var logs bytes.Buffer
		opts := testOptions(map[string]string{"RECOTEM_RECIPE_V": ""})
		if viaFlag {
			opts = testOptions(nil)
			opts.EnvVars = map[string]string{"RECOTEM_RECIPE_V": ""}
		}
		opts.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		r, err := LoadBytes("r.yaml", []byte(edit("user_column: user_id", "user_column: prefix-${RECOTEM_RECIPE_V}-suffix")), opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Schema.UserColumn != "prefix--suffix" {
			t.Errorf("user_column %q", r.Schema.UserColumn)
		}
		if !strings.Contains(logs.String(), `"msg":"recipe_env_var_empty","name":"RECOTEM_RECIPE_V"`) {
			t.Errorf("no recipe_env_var_empty warning in %s", logs.String())
		}
		if !strings.Contains(logs.String(), `"msg":"recipe_loaded","name":"my-recipe_v2","path":"r.yaml"`) {
			t.Errorf("no recipe_loaded in %s", logs.String())
		}
	}
}

func TestParseEnvVars(t *testing.T) {
	m, err := ParseEnvVars([]string{"RECOTEM_RECIPE_DATE=20260501", "RECOTEM_RECIPE_E=", "RECOTEM_RECIPE_Q=a=b"})
	if err != nil || m["RECOTEM_RECIPE_DATE"] != "20260501" || m["RECOTEM_RECIPE_E"] != "" || m["RECOTEM_RECIPE_Q"] != "a=b" {
		t.Fatalf("%v %v", m, err)
	}
	for _, tc := range []struct{ flag, msg string }{
		{"NOEQUALS", "--env-var 'NOEQUALS' must be in KEY=VALUE format."},
		{"=v", "--env-var '=v' must be in KEY=VALUE format."}, // the reference accepted an empty key
		{"", "--env-var '' must be in KEY=VALUE format."},
	} {
		_, err := ParseEnvVars([]string{"RECOTEM_RECIPE_OK=1", tc.flag})
		if exitcode.Of(err) != exitcode.Recipe || err.Error() != tc.msg {
			t.Errorf("%q: %v (exit %d), want %q (exit 2)", tc.flag, err, exitcode.Of(err), tc.msg)
		}
	}
	if m, err := ParseEnvVars([]string{"RECOTEM_RECIPE_A=1", "RECOTEM_RECIPE_A=2"}); err != nil || m["RECOTEM_RECIPE_A"] != "2" {
		t.Errorf("later flag must win: %v %v", m, err)
	}
}

func TestPluginSource(t *testing.T) {
	plugin := PluginType{
		Name:     "snowflake",
		NoExpand: []string{"SQL"},
		Schema:   []byte(`{"type":"object","properties":{"type":{"const":"snowflake"},"sql":{"type":"string"},"account":{"type":"string"},"limit":{"type":"integer","minimum":1}},"required":["type","sql"],"additionalProperties":false}`),
	}
	src := func(body string) string { return withSource("source:\n  type: snowflake\n" + body) }
	cases := []loadCase{
		{name: "ok", yaml: src("  sql: SELECT '${RECOTEM_RECIPE_MISSING}'\n  account: ${RECOTEM_RECIPE_ACCOUNT}\n  limit: 5\n"), env: map[string]string{"RECOTEM_RECIPE_ACCOUNT": "acme"}, check: func(t *testing.T, r *Recipe) {
			p := r.Source.Plugin
			if r.Source.Type != "snowflake" || p["sql"] != "SELECT '${RECOTEM_RECIPE_MISSING}'" || p["account"] != "acme" || p["type"] != "snowflake" || p["limit"] != 5 {
				t.Errorf("%+v", r.Source)
			}
		}},
		{name: "schema violation", yaml: src("  sql: x\n  limit: 0\n  extra: 1\n"), want: []string{"source failed validation", "source.limit", "source"}},
		{name: "missing required", yaml: src("  account: a\n"), want: []string{"source failed validation", "sql"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions(c.env)
			opts.Plugins = []PluginType{plugin}
			r, err := LoadBytes("r.yaml", []byte(c.yaml), opts)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				c.check(t, r)
				return
			}
			if err == nil || exitcode.Of(err) != 2 {
				t.Fatalf("err %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
	// Known types include plugins.
	opts := testOptions(nil)
	opts.Plugins = []PluginType{plugin}
	_, err := LoadBytes("r.yaml", []byte(withSource("source:\n  type: nope\n")), opts)
	if err == nil || !strings.Contains(err.Error(), "['bigquery', 'csv', 'parquet', 'snowflake', 'sql']") {
		t.Errorf("known types: %v", err)
	}
}

func TestPathPolicy(t *testing.T) {
	pin := "\n  sha256: " + strings.Repeat("a", 64)
	src := func(path, extra string) string {
		return withSource("source:\n  type: csv\n  path: \"" + path + "\"" + extra + "\n")
	}
	var cases []loadCase
	for _, p := range []string{"http://h/m.recotem", "https://h/m.recotem", "ftp://h/m", "memory://m", "data:text/plain,x", "javascript:alert(1)", "unknown://x", "models:v1.recotem", "file://example.com/x", "C:\\models\\m.recotem", "ftp://u:p@h/x", "simplecache::s3://b/k"} {
		cases = append(cases, loadCase{name: "output " + p, yaml: withOutput("'" + p + "'"), want: []string{"output.path"}})
	}
	for _, p := range []string{"s3://b/m.recotem", "S3://b/m.recotem", "gs://b/m.recotem", "az://c/m", "abfs://c/m", "abfss://c/m", "file:///tmp/m.recotem", "file://localhost/tmp/m.recotem", "relative/m.recotem", "gs://proj@b/k"} {
		cases = append(cases, loadCase{name: "output ok " + p, yaml: withOutput("'" + p + "'")})
	}
	for _, p := range []string{"memory://x", "data:text/plain,hello", "github://o:r@main/x.csv", "hf://datasets/x", "simplecache::https://h/x.csv", "ftp://h/x.csv", "C:/x.csv"} {
		cases = append(cases, loadCase{name: "source " + p, yaml: src(p, pin), want: []string{"source.path"}})
	}
	for _, p := range []string{"http://h/x.csv", "https://h/x.csv", "HTTPS://h/x.csv", "s3://b/x.csv", "gs://b/x.csv", "file:///abs/x.csv", "file://host/x.csv", "https://@h/x"} {
		cases = append(cases, loadCase{name: "source ok " + p, yaml: src(p, pin)})
	}
	for _, p := range []string{"http://user:pass@h/x.csv", "https://user@h/x.csv", "https://:pw@h/x.csv", "s3://acct@bucket/k", "abfs://u:p@c/x", "abfss://u:p@c/x"} {
		cases = append(cases, loadCase{name: "credentials " + p, yaml: src(p, pin), want: []string{"embedded credentials"}})
	}
	cases = append(cases,
		loadCase{name: "gs userinfo ok", yaml: src("gs://proj@bucket/k", "")},
		loadCase{name: "http without pin", yaml: src("https://h/x.csv", ""), want: []string{"integrity pin", "source.sha256"}},
		loadCase{name: "http null pin", yaml: src("https://h/x.csv", "\n  sha256: null"), want: []string{"integrity pin"}},
		loadCase{name: "s3 without pin", yaml: src("s3://b/x.csv", "")},
		loadCase{name: "parquet http without pin", yaml: withSource("source:\n  type: parquet\n  path: http://h/x.parquet\n"), want: []string{"integrity pin"}},
		loadCase{name: "uppercase pin", yaml: src("https://h/x.csv", "\n  sha256: "+strings.Repeat("A", 64)), want: []string{"source.sha256: String should match pattern"}},
		loadCase{name: "path policy before schema errors", yaml: withOutput("http://h/x") + "foo: 1\n", want: []string{"output.path"}},
	)
	runLoadCases(t, cases)
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in, scheme, netloc, user, path string
	}{
		{"models:v1.recotem", "models", "", "", "v1.recotem"},
		{`C:\x`, "c", "", "", `\x`},
		{"S3://b/k", "s3", "b", "", "/k"},
		{"https://u:p@h:1/x?q#f", "https", "u:p@h:1", "u", "/x"},
		{"/abs/path", "", "", "", "/abs/path"},
		{"1abc:x", "", "", "", "1abc:x"},
		{" \thttp://h/x", "http", "h", "", "/x"},
		{"file:///tmp/x", "file", "", "", "/tmp/x"},
	} {
		u := ParseURL(c.in)
		if u.Scheme != c.scheme || u.Netloc != c.netloc || u.User != c.user || u.Path != c.path {
			t.Errorf("ParseURL(%q) = %+v", c.in, u)
		}
	}
}

func TestArtifactRoot(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "target"), filepath.Join(root, "escape.recotem")); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{ArtifactRootEnv: root}
	runLoadCases(t, []loadCase{
		{name: "outside", yaml: withOutput(filepath.Join(outside, "x.recotem")), env: env, want: []string{"output.path", "outside RECOTEM_ARTIFACT_ROOT"}},
		{name: "inside", yaml: withOutput(filepath.Join(root, "m.recotem")), env: env},
		{name: "inside sub", yaml: withOutput(filepath.Join(root, "sub", "m.recotem")), env: env},
		{name: "file uri outside", yaml: withOutput("file://" + filepath.Join(outside, "x.recotem")), env: env, want: []string{"outside"}},
		{name: "file uri inside", yaml: withOutput("file://" + filepath.Join(root, "x.recotem")), env: env},
		{name: "dotdot escape", yaml: withOutput(root + "/sub/../../esc/f"), env: env, want: []string{"output.path"}},
		{name: "dotdot escape existing", yaml: withOutput(root + "/sub/../../" + filepath.Base(outside) + "/f"), env: env, want: []string{"outside"}},
		{name: "parent symlink outside", yaml: withOutput(filepath.Join(root, "link", "m.recotem")), env: env, want: []string{"outside"}},
		{name: "destination symlink outside", yaml: withOutput(filepath.Join(root, "escape.recotem")), env: env, want: []string{"outside"}},
		{name: "missing parent", yaml: withOutput(filepath.Join(root, "nope", "m.recotem")), env: env, want: []string{"does not exist"}},
		{name: "object store ignored", yaml: withOutput("s3://b/m.recotem"), env: env},
		{name: "unset", yaml: withOutput(filepath.Join(outside, "x.recotem"))},
		{name: "empty", yaml: withOutput(filepath.Join(outside, "x.recotem")), env: map[string]string{ArtifactRootEnv: ""}},
	})
	t.Setenv(ArtifactRootEnv, root)
	if err := CheckArtifactRoot(filepath.Join(root, "sub", "a.recotem")); err != nil {
		t.Error(err)
	}
	if err := CheckArtifactRoot(filepath.Join(root, "escape.recotem")); err == nil {
		t.Error("write-time check accepted a symlink escaping the root")
	}
	if err := CheckArtifactRoot(filepath.Join(root, "link", "a.recotem")); err == nil {
		t.Error("write-time check accepted a parent escaping the root")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(p, []byte(baseRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(p, testOptions(nil))
	if err != nil || r.Path != p {
		t.Fatalf("%v %v", r, err)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"), testOptions(nil))
	if err == nil || !strings.Contains(err.Error(), "Cannot read recipe file") || exitcode.Of(err) != 2 {
		t.Fatalf("missing file: %v", err)
	}
	if e := errorOf(err); e == nil || e.Category != CategoryIO {
		t.Errorf("category %+v", e)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(d, name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(d, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	named := func(n string) string { return edit("name: my-recipe_v2", "name: "+n) }
	write(dir, "a.yaml", named("alpha"))
	write(dir, "b.yaml", named("beta"))
	write(dir, "c.yaml", named("alpha"))
	write(dir, "d.yml", named("ignored"))
	write(dir, "e.yaml", "name: [broken\n")
	write(dir, "f.yaml", withOutput("http://h/x"))
	write(outside, "g.yaml", named("gamma"))
	if err := os.Symlink(filepath.Join(outside, "g.yaml"), filepath.Join(dir, "g.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "b.yaml"), filepath.Join(dir, "h.yaml")); err != nil {
		t.Fatal(err)
	}

	recipes, failed, err := LoadDirLenient(dir, testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range recipes {
		names = append(names, r.Name+"@"+filepath.Base(r.Path))
	}
	if got := strings.Join(names, ","); got != "alpha@a.yaml,beta@b.yaml" {
		t.Errorf("loaded %s", got)
	}
	want := map[string]string{"c.yaml": "dup", "e.yaml": "other", "f.yaml": "security", "g.yaml": "security", "h.yaml": "dup"}
	if len(failed) != len(want) {
		t.Errorf("failed %+v", failed)
	}
	for _, f := range failed {
		kind := "other"
		switch {
		case f.Duplicate:
			kind = "dup"
		case f.Security:
			kind = "security"
		}
		if want[filepath.Base(f.File)] != kind || exitcode.Of(f.Err) != 2 {
			t.Errorf("%s: %s (%v), want %s", f.File, kind, f.Err, want[filepath.Base(f.File)])
		}
	}

	// Strict mode stops at the first problem.
	strict := t.TempDir()
	write(strict, "a.yaml", named("alpha"))
	write(strict, "b.yaml", named("alpha"))
	if _, err := LoadDir(strict, testOptions(nil)); err == nil || !strings.Contains(err.Error(), "Duplicate recipe name 'alpha'") || exitcode.Of(err) != 2 {
		t.Errorf("strict duplicate: %v", err)
	}
	if err := os.Remove(filepath.Join(strict, "b.yaml")); err != nil {
		t.Fatal(err)
	}
	if rs, err := LoadDir(strict, testOptions(nil)); err != nil || len(rs) != 1 {
		t.Errorf("strict: %v %v", rs, err)
	}
	if _, err := LoadDir(dir, testOptions(nil)); err == nil {
		t.Error("strict mode loaded a broken directory")
	}
	if _, err := LoadDir(filepath.Join(dir, "missing"), testOptions(nil)); exitcode.Of(err) != 2 {
		t.Errorf("missing dir: %v", err)
	}
	// A single file loaded with RecipesRoot is confined too.
	opts := testOptions(nil)
	opts.RecipesRoot = dir
	if _, err := Load(filepath.Join(dir, "g.yaml"), opts); !IsSecurity(err) {
		t.Errorf("symlink escape: %v", err)
	}
}

func TestLoadProcessEnvironment(t *testing.T) {
	t.Setenv("RECOTEM_RECIPE_PROC_USER", "from-process")
	r, err := LoadBytes("r.yaml", []byte(edit("user_column: user_id", "user_column: ${RECOTEM_RECIPE_PROC_USER}")), LoadOptions{})
	if err != nil || r.Schema.UserColumn != "from-process" {
		t.Fatalf("%v %v", r, err)
	}
}
