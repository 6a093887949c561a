package recipe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// FuzzLoad checks that the loader never panics and that every failure is a
// recipe error with exit code 2. Loaded recipes must hash and render valid
// canonical JSON.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/examples", "testdata/broken"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(baseRecipe))
	env := map[string]string{"RECOTEM_RECIPE_N": "7", "RECOTEM_RECIPE_E": "", "RECOTEM_RECIPE_OUT": "/tmp/o.recotem"}
	plugin := PluginType{Name: "snowflake", NoExpand: []string{"sql"},
		Schema: []byte(`{"type":"object","properties":{"type":{"const":"snowflake"},"sql":{"type":"string"}},"required":["type"]}`)}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := testOptions(env)
		opts.Plugins = []PluginType{plugin}
		r, err := LoadBytes("fuzz.yaml", data, opts)
		if err != nil {
			if exitcode.Of(err) != exitcode.Recipe || errorOf(err) == nil {
				t.Fatalf("error without exit code 2: %v", err)
			}
			return
		}
		if len(r.Hash()) != 64 {
			t.Fatal("bad hash")
		}
		var v any
		if err := json.Unmarshal(r.CanonicalJSON(), &v); err != nil {
			// NaN and Infinity are valid Python JSON but not strict JSON.
			if !containsStr(string(r.CanonicalJSON()), "NaN") && !containsStr(string(r.CanonicalJSON()), "Infinity") {
				t.Fatalf("canonical JSON invalid: %v\n%s", err, r.CanonicalJSON())
			}
		}
	})
}
