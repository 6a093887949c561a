package source

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/recipe"
)

// echoPlugin is the example plugin shipped in examples/plugins.
var echoPlugin = filepath.Join("..", "..", "examples", "plugins", "recotem-source-echo")

// pluginDir copies the echo example into a fresh directory.
func pluginDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(echoPlugin)
	if err != nil {
		t.Fatal(err)
	}
	writeExec(t, dir, "recotem-source-echo", string(b))
	return dir
}

func writeExec(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakePlugin writes a shell plugin whose describe prints desc and whose
// fetch/probe run body.
func fakePlugin(t *testing.T, dir, typ, desc, body string) {
	t.Helper()
	if desc == "" {
		desc = `{"protocol":1,"type":"` + typ + `","schema":{"type":"object"},"no_expand":["secret_query"],"probe":true}`
	}
	writeExec(t, dir, "recotem-source-"+typ, "#!/bin/sh\ncase \"$1\" in\ndescribe) cat <<'EOF'\n"+desc+"\nEOF\n;;\n*) "+body+"\n;;\nesac\n")
}

func TestEchoPluginEndToEnd(t *testing.T) {
	dir := pluginDir(t)
	reg, err := Discover(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	types := reg.Types()
	if len(types) != 1 || types[0].Name != "echo" || !json.Valid(types[0].Schema) || types[0].NoExpand == nil {
		t.Fatalf("types %+v", types)
	}
	var logs bytes.Buffer
	e := Env{Plugins: reg, RecipeName: "r", RunID: "0123456789ab", Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	cases := []struct {
		name   string
		cfg    map[string]any
		rows   int
		errHas string
	}{
		{name: "defaults", cfg: map[string]any{"type": "echo"}, rows: 5},
		{name: "equal to users*items", cfg: map[string]any{"type": "echo", "n_users": 2, "n_items": 3, "n_rows": 6}, rows: 6},
		{name: "too many rows", cfg: map[string]any{"type": "echo", "n_users": 2, "n_items": 2, "n_rows": 5}, errHas: "n_rows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := New(recipe.Source{Type: "echo", Plugin: tc.cfg}, e)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := src.(Prober)
			if !ok {
				t.Fatal("echo declares a probe")
			}
			perr := p.Probe(context.Background())
			var c collect
			ferr := src.Fetch(context.Background(), Columns{"user_id", "item_id", "timestamp"}, &c)
			if tc.errHas != "" {
				for _, err := range []error{perr, ferr} {
					if err == nil || exitcode.Of(err) != 3 || !strings.Contains(err.Error(), tc.errHas) {
						t.Errorf("err %v, want exit 3 with %q", err, tc.errHas)
					}
				}
				return
			}
			if perr != nil || ferr != nil {
				t.Fatal(perr, ferr)
			}
			if len(c.rows) != tc.rows || c.rows[0] != [3]string{"u0", "i0", "text:1700000000"} || !c.h.TimeNeedsInference {
				t.Errorf("rows %v header %+v", c.rows, c.h)
			}
			seen := map[[2]string]bool{}
			for _, r := range c.rows {
				k := [2]string{r[0], r[1]}
				if seen[k] {
					t.Errorf("duplicate pair %v", k)
				}
				seen[k] = true
			}
		})
	}
	if !strings.Contains(logs.String(), `"msg":"source_plugin_stderr"`) || !strings.Contains(logs.String(), "echo: generating") {
		t.Errorf("stderr not logged: %s", logs.String())
	}
}

func TestPluginProtocol(t *testing.T) {
	dir := t.TempDir()
	fakePlugin(t, dir, "fetcherr", "", `echo "refused: 10.0.0.1" >&2; exit 7`)
	fakePlugin(t, dir, "crash", "", `echo "Traceback: boom" >&2; exit 139`)
	fakePlugin(t, dir, "nd", `{"protocol":1,"type":"nd","schema":{"type":"object"},"no_expand":[],"output":"ndjson"}`,
		`cat >/dev/null; printf '%s\n' '["user_id","item_id","ts"]' '["u1",1,1700000000]' '[2,1.0,"2024-01-01T00:00:00Z"]' '[null,"i",null]'`)
	fakePlugin(t, dir, "partial", "", `cat >/dev/null; echo "user_id,item_id"; echo "u1,i1"; echo "died" >&2; exit 3`)
	reqFile := filepath.Join(dir, "request.json")
	t.Setenv("RECOTEM_TEST_REQ_OUT", reqFile)
	fakePlugin(t, dir, "stdin", "", `cat > "$RECOTEM_TEST_REQ_OUT"; echo user_id,item_id; echo u,i`)
	reg, err := Discover(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e := Env{Plugins: reg, RecipeName: "rec", RunID: "abc"}
	fetch := func(typ string) (*collect, error) {
		src, err := New(recipe.Source{Type: typ, Plugin: map[string]any{"type": typ}}, e)
		if err != nil {
			t.Fatal(err)
		}
		var c collect
		return &c, src.Fetch(context.Background(), Columns{"user_id", "item_id", "ts"}, &c)
	}
	if _, err := fetch("fetcherr"); exitcode.Of(err) != 7 || !strings.Contains(err.Error(), "refused: 10.0.0.1") {
		t.Errorf("exit 7: %v", err)
	}
	if _, err := fetch("crash"); exitcode.Of(err) != 3 || !strings.Contains(err.Error(), "Traceback: boom") {
		t.Errorf("crash at fetch: %v", err)
	}
	src, _ := New(recipe.Source{Type: "crash", Plugin: map[string]any{"type": "crash"}}, e)
	if err := src.(Prober).Probe(context.Background()); exitcode.Of(err) != 1 {
		t.Errorf("crash at probe: %v (code %d)", err, exitcode.Of(err))
	}
	c, err := fetch("nd")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "u1|1|int:1700000000\n2|1.0|text:2024-01-01T00:00:00Z\n<null>|i|<null>\n" {
		t.Errorf("ndjson rows %q", got)
	}
	if _, ok := src.(Prober); !ok {
		t.Error("probe: true not honoured")
	}
	ndSrc, _ := New(recipe.Source{Type: "nd", Plugin: map[string]any{"type": "nd"}}, e)
	if _, ok := ndSrc.(Prober); ok {
		t.Error("plugin without probe is a Prober")
	}
	var out bytes.Buffer
	if err := Validate(context.Background(), &recipe.Recipe{Source: recipe.Source{Type: "nd", Plugin: map[string]any{"type": "nd"}}}, e, &out); err != nil || out.String() != "DataSource: extras OK (nd, no probe defined)\n" {
		t.Errorf("validate: %v %q", err, out.String())
	}
	if _, err := fetch("partial"); exitcode.Of(err) != 3 || !strings.Contains(err.Error(), "died") {
		t.Errorf("partial: %v", err)
	}
	// The request carries the config, recipe name and run id.
	c, err = fetch("stdin")
	req, _ := os.ReadFile(reqFile)
	if err != nil || len(c.rows) != 1 || string(req) != `{"protocol":1,"config":{"type":"stdin"},"recipe_name":"rec","run_id":"abc","extra":{}}` {
		t.Errorf("request: %v %v %s", err, c.rows, req)
	}
}

func TestDiscover(t *testing.T) {
	ok := `{"protocol":1,"type":"%s","schema":{"type":"object"},"no_expand":[]}`
	cases := []struct {
		name   string
		setup  func(t *testing.T, a, b string)
		errHas string
		check  func(t *testing.T, r *Registry, a, b string)
	}{
		{name: "builtin shadowing refused", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "csv", strings.Replace(ok, "%s", "csv", 1), "")
		}, errHas: "may not shadow the built-in source type 'csv'"},
		{name: "first on path wins", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "x", strings.Replace(ok, "%s", "x", 1), "")
			fakePlugin(t, b, "x", "garbage", "")
		}, check: func(t *testing.T, r *Registry, a, b string) {
			p, found := r.Lookup("x")
			if !found || filepath.Dir(p.Path) != a {
				t.Errorf("lookup %+v", p)
			}
		}},
		{name: "bad describe is fatal", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "bad", "not json", "")
		}, errHas: "Failed to load DataSource plugin"},
		{name: "no_expand required", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "ne", `{"protocol":1,"type":"ne","schema":{"type":"object"}}`, "")
		}, errHas: "no_expand is required"},
		{name: "type mismatch", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "mm", strings.Replace(ok, "%s", "other", 1), "")
		}, errHas: "does not match"},
		{name: "protocol version", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "pv", `{"protocol":2,"type":"pv","schema":{"type":"object"},"no_expand":[]}`, "")
		}, errHas: "protocol 2"},
		{name: "non-executable ignored", setup: func(t *testing.T, a, b string) {
			os.WriteFile(filepath.Join(a, "recotem-source-noexec"), []byte("x"), 0o644)
		}, check: func(t *testing.T, r *Registry, a, b string) {
			if len(r.Plugins()) != 0 {
				t.Errorf("plugins %v", r.Plugins())
			}
		}},
		{name: "bigquery not in types", setup: func(t *testing.T, a, b string) {
			fakePlugin(t, a, "bigquery", strings.Replace(ok, "%s", "bigquery", 1), "")
		}, check: func(t *testing.T, r *Registry, a, b string) {
			if _, found := r.Lookup("bigquery"); !found || len(r.Types()) != 0 {
				t.Errorf("bigquery: %v", r.Types())
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			tc.setup(t, a, b)
			r, err := Discover(context.Background(), []string{a, b})
			if tc.errHas != "" {
				if err == nil || exitcode.Of(err) != 2 || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r, a, b)
		})
	}
}

func TestExecPath(t *testing.T) {
	dirs := ExecPath(func(k string) string {
		return map[string]string{EnvExecPath: "/a:/b", "PATH": "/c"}[k]
	})
	if len(dirs) != 4 || dirs[1] != "/a" || dirs[2] != "/b" || dirs[3] != "/c" {
		t.Errorf("dirs %v", dirs)
	}
}

func TestBigQueryWithoutPlugin(t *testing.T) {
	_, err := New(recipe.Source{Type: "bigquery", BigQuery: &recipe.BigQuerySource{Query: "SELECT 1"}}, Env{Plugins: NewRegistry()})
	if exitcode.Of(err) != 3 || !strings.Contains(err.Error(), "recotem-source-bigquery") {
		t.Errorf("err %v", err)
	}
}

// TestBigQueryThroughPlugin checks that the bigquery type runs the
// recotem-source-bigquery executable with the typed configuration.
func TestBigQueryThroughPlugin(t *testing.T) {
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "request.json")
	t.Setenv("RECOTEM_TEST_REQ_OUT", reqFile)
	fakePlugin(t, dir, "bigquery", `{"protocol":1,"type":"bigquery","schema":{"type":"object"},"no_expand":["query","query_parameters"],"probe":true,"output":"ndjson"}`,
		`cat > "$RECOTEM_TEST_REQ_OUT"; printf '%s\n' '["user_id","item_id"]' '["u",1]'`)
	reg, err := Discover(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	project := "proj"
	src, err := New(recipe.Source{Type: "bigquery", BigQuery: &recipe.BigQuerySource{Query: "SELECT @a", QueryParameters: map[string]any{"a": 1}, Project: &project}}, Env{Plugins: reg})
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	if err := src.Fetch(context.Background(), uiCols, &c); err != nil || c.String() != "u|1|-\n" {
		t.Fatalf("%v %q", err, c.String())
	}
	req, _ := os.ReadFile(reqFile)
	if !strings.Contains(string(req), `"config":{"type":"bigquery","query":"SELECT @a","query_parameters":{"a":1},"project":"proj"}`) {
		t.Errorf("request %s", req)
	}
	if _, ok := src.(Prober); !ok {
		t.Error("bigquery probe missing")
	}
}
