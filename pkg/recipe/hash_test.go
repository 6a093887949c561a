package recipe

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

const hashDemo = `name: hash_demo
source:
  type: csv
  path: /tmp/data.csv
schema:
  user_column: user_id
  item_column: item_id
training:
  algorithms: [TopPop]
  n_trials: 1
output:
  path: /tmp/hash_demo.recotem
`

const hashDemoJSON = `{"cleansing":{"dedup":"keep_last","drop_null_ids":true,"min_items":null,"min_rows":null,"min_users":null},"item_metadata":null,"name":"hash_demo","output":{"path":"/tmp/hash_demo.recotem","versioning":"append_sha"},"schema_":{"item_column":"item_id","time_column":null,"time_unit":null,"user_column":"user_id"},"source":{"delimiter":",","dtype":null,"encoding":"utf-8","header":0,"path":"/tmp/data.csv","sha256":null,"type":"csv"},"training":{"algorithms":["TopPop"],"cutoff":20,"metric":"ndcg","n_trials":1,"parallelism":1,"per_algorithm_trials":null,"per_trial_timeout_seconds":null,"split":{"heldout_ratio":0.1,"scheme":"random","seed":42,"test_user_ratio":1.0},"storage_path":"","timeout_seconds":null}}`

func TestHashVector(t *testing.T) {
	r, err := LoadBytes("hash_demo.yaml", []byte(hashDemo), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.CanonicalJSON()); got != hashDemoJSON {
		t.Errorf("canonical JSON\n got %s\nwant %s", got, hashDemoJSON)
	}
	const want = "e57c115dec8b0f436740d8168a6daeaa203115431599e5785715534b58067140"
	for i := 0; i < 3; i++ {
		if got := r.Hash(); got != want {
			t.Fatalf("Hash() = %s, want %s", got, want)
		}
	}
}

func TestHashParams(t *testing.T) {
	base, err := LoadBytes("a.yaml", []byte(hashDemo), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	withEmpty, err := LoadBytes("a.yaml", []byte(hashDemo[:len(hashDemo)-len("output:\n  path: /tmp/hash_demo.recotem\n")]+"  params: {}\noutput:\n  path: /tmp/hash_demo.recotem\n"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	if withEmpty.Hash() != base.Hash() {
		t.Error("empty training.params changed the hash")
	}
	pinned, err := LoadBytes("a.yaml", []byte(hashDemo[:len(hashDemo)-len("output:\n  path: /tmp/hash_demo.recotem\n")]+"  params: {TopPop: {}}\noutput:\n  path: /tmp/hash_demo.recotem\n"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	if pinned.Hash() == base.Hash() {
		t.Error("non-empty training.params did not change the hash")
	}
}

func TestPyFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0.1, "0.1"}, {1e-05, "1e-05"}, {0.0001, "0.0001"}, {1e16, "1e+16"},
		{1e15, "1000000000000000.0"}, {123456.789, "123456.789"}, {math.Copysign(0, -1), "-0.0"}, {0, "0.0"},
		{1.5e-10, "1.5e-10"}, {2.5e20, "2.5e+20"}, {-3.25, "-3.25"}, {1.0 / 3, "0.3333333333333333"},
		{math.MaxFloat64, "1.7976931348623157e+308"}, {5e-324, "5e-324"},
	} {
		if got := pyFloat(c.f); got != c.want {
			t.Errorf("pyFloat(%v) = %s, want %s", c.f, got, c.want)
		}
	}
}

func TestCanonicalStrings(t *testing.T) {
	r, err := LoadBytes("u.yaml", []byte("name: u\nsource: {type: csv, path: \"/tmp/d\\u00e9\\U0001F600\\\"\\t.csv\"}\nschema: {user_column: u, item_column: i}\ntraining: {algorithms: [TopPop]}\noutput: {path: /tmp/o.recotem}\n"), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := `"path":"/tmp/d\u00e9\ud83d\ude00\"\t.csv"`
	if got := string(r.CanonicalJSON()); !containsStr(got, want) {
		t.Errorf("canonical JSON %s lacks %s", got, want)
	}
}

func TestSourceMarshalJSON(t *testing.T) {
	r, err := LoadBytes("a.yaml", []byte(hashDemo), testOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r.Source)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"csv","path":"/tmp/data.csv","delimiter":",","encoding":"utf-8","header":0,"dtype":null,"sha256":null}`; string(b) != want {
		t.Errorf("got %s", b)
	}
}

func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile("testdata/examples/postgres-sql.yaml")
	if err != nil {
		b.Fatal(err)
	}
	opts := testOptions(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBytes("r.yaml", data, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	r, err := LoadBytes("a.yaml", []byte(hashDemo), testOptions(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Hash()
	}
}
