package serve

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestMetadataEnrichment(t *testing.T) {
	f := newFixture(t, nil)
	csv := filepath.Join(f.dir, "items.csv")
	os.WriteFile(csv, []byte("item_id,title,category,score,secret\ni1,Item One,books,999,x\ni3,\"Three, the\",music,1,y\n"), 0o644)
	recipe := func(fields, onMissing string) {
		y := "name: demo\nsource: {type: csv, path: /nonexistent/data.csv}\nschema: {user_column: u, item_column: i}\n" +
			"item_metadata: {type: csv, path: " + csv + ", fields: [" + fields + "], on_field_missing: " + onMissing + "}\n" +
			"training: {algorithms: [TopPop]}\noutput: {path: " + f.art + "}\n"
		os.WriteFile(filepath.Join(f.dir, "demo.yaml"), []byte(y), 0o644)
		f.tick()
	}
	t.Setenv("RECOTEM_METADATA_FIELD_DENY", "SECRET")
	recipe("title, category, score, secret", "error")
	r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`)
	items := r.body["items"].([]any)
	first := items[0].(map[string]any)
	if first["item_id"] != "i1" || first["title"] != "Item One" || first["category"] != "books" || first["score"].(float64) == 999 || first["secret"] != nil {
		t.Errorf("enriched item: %v", first)
	}
	if !strings.HasPrefix(r.raw[strings.Index(r.raw, `"items":[`):], `"items":[{"item_id":"i1","score":`) {
		t.Errorf("key order: %s", r.raw)
	}
	var keys []string
	for k := range items[2].(map[string]any) { // i4 has no metadata row
		keys = append(keys, k)
	}
	if len(keys) != 2 {
		t.Errorf("item without metadata has keys %v", keys)
	}
	// Batch: only with include_metadata.
	r = f.do("POST", "/v1/recipes/demo:batch-recommend", `{"requests":[{"user_id":"u1","limit":1}]}`)
	if got := r.body["results"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any); !reflect.DeepEqual(len(got), 2) {
		t.Errorf("batch without include_metadata: %v", got)
	}
	r = f.do("POST", "/v1/recipes/demo:batch-recommend", `{"requests":[{"user_id":"u1","limit":1}],"include_metadata":true}`)
	if got := r.body["results"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any); got["title"] != "Item One" {
		t.Errorf("batch with include_metadata: %v", got)
	}
	// A missing field with on_field_missing: error fails the load; the old
	// model keeps serving and the error names the metadata.
	recipe("title, nope", "error")
	e, _ := f.s.reg.Get("demo")
	if !e.Loaded || !strings.Contains(e.Err, "metadata load failed") {
		t.Errorf("missing metadata field: loaded %v err %q", e.Loaded, e.Err)
	}
}
