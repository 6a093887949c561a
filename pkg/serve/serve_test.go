package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/toppop"
	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/keys"
	"github.com/codelibs/recotem-go/pkg/model"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

const signingKeys = "test:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func ring(t testing.TB) *keys.SigningRing {
	r, err := keys.ParseSigning(signingKeys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// encodeArtifact trains TopPop on users u0..u2 x items i0..i4 (u0: i0 i1,
// u1: i0 i2, u2: i0 i1, plus `extra` interactions of u2 with i3 to change
// the model) and signs it.
func encodeArtifact(t testing.TB, extra int) *artifact.Encoded {
	t.Helper()
	seen := &sparse.CSR{Rows: 3, Cols: 5, Indptr: []int64{0, 2, 4, 6}, Indices: []int32{0, 1, 0, 2, 0, 1}, Data: []float32{1, 1, 1, 1, 1, 1}}
	if extra > 0 {
		seen.Indptr[3] = 7
		seen.Indices = append(seen.Indices, 3)
		seen.Data = append(seen.Data, float32(extra))
	}
	rec, err := toppop.Spec.New(algo.Params{}, algo.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Fit(context.Background(), seen); err != nil {
		t.Fatal(err)
	}
	m, err := model.New([]string{"u0", "u1", "u2"}, []string{"i0", "i1", "i2", "i3", "i4"}, seen, rec)
	if err != nil {
		t.Fatal(err)
	}
	pw := payload.NewWriter()
	if err := m.Encode(pw); err != nil {
		t.Fatal(err)
	}
	h := &artifact.Header{RecipeName: "demo", RecipeHash: strings.Repeat("a", 64), RecotemVersion: "0.1.0",
		TrainedAt: "2026-11-28T00:00:00Z", BestClass: algo.TopPop, BestParams: map[string]any{}, BestScore: 0.5,
		Metric: "ndcg", Cutoff: 20, Tuning: artifact.Tuning{TriedAlgorithms: []string{algo.TopPop}, NTrials: 1, NCompleted: 1},
		DataStats: artifact.DataStats{NRows: int64(seen.NNZ()), NUsers: 3, NItems: 5, DedupPolicy: "keep_last"}}
	enc, err := artifact.Encode(ring(t), h, pw)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// writeArtifact writes encodeArtifact(t, extra) to path with append_sha
// versioning and returns its model version.
func writeArtifact(t testing.TB, path string, extra int) string {
	t.Helper()
	enc := encodeArtifact(t, extra)
	if _, err := artifact.WriteFile(path, enc, artifact.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return enc.ModelVersion()
}

func writeRecipe(t testing.TB, dir, file, name, output string) {
	t.Helper()
	y := fmt.Sprintf("name: %s\nsource: {type: csv, path: /nonexistent/data.csv}\nschema: {user_column: u, item_column: i}\ntraining: {algorithms: [TopPop]}\noutput: {path: %s}\n", name, output)
	if err := os.WriteFile(filepath.Join(dir, file), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	t       *testing.T
	dir     string
	art     string
	version string
	s       *Server
	http    *httptest.Server
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	dir := t.TempDir()
	recipes := filepath.Join(dir, "recipes")
	os.Mkdir(recipes, 0o755)
	f := &fixture{t: t, dir: recipes, art: filepath.Join(dir, "artifacts", "demo.recotem")}
	f.version = writeArtifact(t, f.art, 0)
	writeRecipe(t, recipes, "demo.yaml", "demo", f.art)
	cfg := Config{RecipesDir: recipes, Signing: ring(t), AllowedHosts: []string{"127.0.0.1", "localhost"},
		WatchInterval: time.Second, Drain: time.Second, MaxBodyBytes: DefaultMaxBodyBytes, Metrics: true}
	if mutate != nil {
		mutate(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.s = New(cfg, log, &Loader{Options: artifact.Options{Ring: cfg.Signing}, Threads: 1}, recipe.LoadOptions{})
	f.s.Start(context.Background())
	f.http = httptest.NewServer(f.s.Handler())
	t.Cleanup(f.http.Close)
	return f
}

func (f *fixture) tick() { f.s.watch.tick(context.Background(), false) }

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *fixture) do(method, path, body string, hdr ...string) response {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	json.Unmarshal(raw, &out.body)
	return out
}

func itemIDs(body map[string]any) []string {
	var out []string
	items, _ := body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["item_id"].(string))
	}
	return out
}

func TestVerbs(t *testing.T) {
	f := newFixture(t, nil)
	long := strings.Repeat("x", 257)
	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
		items            string
	}{
		{"recommend", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, 200, "", "i1,i3,i4"},
		{"limit", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":1}`, 200, "", "i1"},
		{"limit as string", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":"2"}`, 200, "", "i1,i3"},
		{"exclude backfills", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":2,"exclude_items":["i1"]}`, 200, "", "i3,i4"},
		{"unknown user", "/v1/recipes/demo:recommend", `{"user_id":"nobody"}`, 404, codeUnknownUser, ""},
		{"missing recipe", "/v1/recipes/nope:recommend", `{"user_id":"u1"}`, 404, codeRecipeNotFound, ""},
		{"empty user", "/v1/recipes/demo:recommend", `{"user_id":""}`, 422, codeValidation, ""},
		{"long user", "/v1/recipes/demo:recommend", `{"user_id":"` + long + `"}`, 422, codeValidation, ""},
		{"extra key", "/v1/recipes/demo:recommend", `{"user_id":"u1","context":1}`, 422, codeValidation, ""},
		{"limit 0", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":0}`, 422, codeValidation, ""},
		{"limit 1001", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":1001}`, 422, codeValidation, ""},
		{"limit null", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":null}`, 422, codeValidation, ""},
		{"bad json", "/v1/recipes/demo:recommend", `{"user_id":`, 422, codeValidation, ""},
		{"bad name", "/v1/recipes/has%20spaces:recommend", `{"user_id":"u1"}`, 422, codeValidation, ""},
		{"related", "/v1/recipes/demo:recommend-related", `{"seed_items":["i0","zz"],"limit":2}`, 200, "", "i1,i2"},
		{"related unknown", "/v1/recipes/demo:recommend-related", `{"seed_items":["zz"]}`, 404, codeUnknownSeeds, ""},
		{"related all seeds", "/v1/recipes/demo:recommend-related", `{"seed_items":["i0","i1","i2","i3","i4"]}`, 404, codeNoCandidates, ""},
		{"related empty", "/v1/recipes/demo:recommend-related", `{"seed_items":[]}`, 422, codeValidation, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do("POST", tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.code != "" && r.body["code"] != tc.code {
				t.Errorf("code %v, want %s", r.body["code"], tc.code)
			}
			if tc.status == 200 {
				if got := strings.Join(itemIDs(r.body), ","); got != tc.items {
					t.Errorf("items %s, want %s", got, tc.items)
				}
				if r.body["model_version"] != f.version || r.header.Get("X-Recotem-Model-Version") != f.version {
					t.Errorf("model version %v / %s, want %s", r.body["model_version"], r.header.Get("X-Recotem-Model-Version"), f.version)
				}
				if r.body["request_id"] != r.header.Get("X-Request-ID") {
					t.Error("request_id differs from the header")
				}
			} else if r.header.Get("X-Recotem-Model-Version") != "" {
				t.Error("error response carries a model version")
			}
			if strings.Contains(r.raw, "nobody") {
				t.Error("error body echoes the user id")
			}
			if tc.status == 422 {
				if errs, _ := r.body["errors"].([]any); len(errs) == 0 || r.body["request_id"] == nil {
					t.Errorf("422 without errors[] or request_id: %s", r.raw)
				}
			}
		})
	}
}

func TestBatch(t *testing.T) {
	f := newFixture(t, nil)
	r := f.do("POST", "/v1/recipes/demo:batch-recommend", `{"requests":[{"user_id":"u1","limit":1},{"user_id":"nobody"},5,{"user_id":"u1","extra_field":1},{"user_id":"u0","limit":2000}]}`)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	results := r.body["results"].([]any)
	want := []string{"ok", "UNKNOWN_USER", "request must be an object", "VALIDATION_ERROR", "limit"}
	for i, w := range want {
		res := results[i].(map[string]any)
		if int(res["index"].(float64)) != i {
			t.Errorf("result %d has index %v", i, res["index"])
		}
		if w == "ok" {
			if res["status"] != "ok" || res["error"] != nil {
				t.Errorf("result %d: %v", i, res)
			}
			continue
		}
		e, _ := res["error"].(map[string]any)
		if res["status"] != "error" || res["items"] != nil || !strings.Contains(fmt.Sprint(e), w) {
			t.Errorf("result %d: %v, want an error mentioning %q", i, res, w)
		}
	}
	// The aggregate limit cap: 10 x 500 is allowed, 10 x 501 fails the 10th.
	reqs := func(limit int) string {
		var parts []string
		for i := 0; i < 10; i++ {
			parts = append(parts, fmt.Sprintf(`{"user_id":"u1","limit":%d}`, limit))
		}
		return `{"requests":[` + strings.Join(parts, ",") + `]}`
	}
	r = f.do("POST", "/v1/recipes/demo:batch-recommend", reqs(500))
	for _, res := range r.body["results"].([]any) {
		if res.(map[string]any)["status"] != "ok" {
			t.Fatalf("10x500: %v", res)
		}
	}
	r = f.do("POST", "/v1/recipes/demo:batch-recommend", reqs(501))
	res := r.body["results"].([]any)
	if res[8].(map[string]any)["status"] != "ok" || res[9].(map[string]any)["status"] != "error" {
		t.Errorf("10x501: %v", res)
	}
	for _, body := range []string{`{"requests":[]}`, `{"requests":[{}],"x":1}`, `{}`} {
		if r := f.do("POST", "/v1/recipes/demo:batch-recommend", body); r.status != 422 {
			t.Errorf("%s: status %d, want 422", body, r.status)
		}
	}
	r = f.do("POST", "/v1/recipes/demo:batch-recommend-related", `{"requests":[{"seed_items":["i0"],"limit":1},{"seed_items":[]},{"seed_items":["zz"]}]}`)
	results = r.body["results"].([]any)
	if results[0].(map[string]any)["status"] != "ok" || !strings.Contains(fmt.Sprint(results[1]), "VALIDATION_ERROR") || !strings.Contains(fmt.Sprint(results[2]), "UNKNOWN_SEED_ITEMS") {
		t.Errorf("batch related: %v", results)
	}
}

func TestAuthAndRoutes(t *testing.T) {
	const key = "a-valid-api-key-of-at-least-32-characters"
	f := newFixture(t, func(c *Config) {
		ring, err := keys.ParseAPI("client:sha256:" + keys.HashAPIKeyHex(key))
		if err != nil {
			panic(err)
		}
		c.APIKeys = ring
	})
	for _, tc := range []struct {
		method, path, body string
		hdr                []string
		status             int
		code               string
	}{
		{"GET", "/v1/health", "", nil, 200, ""},
		{"GET", "/health", "", nil, 200, ""},
		{"GET", "/v1/health/details", "", nil, 401, codeMissingKey},
		{"GET", "/v1/recipes", "", []string{"X-API-Key", "short"}, 401, codeInvalidKey},
		{"GET", "/v1/recipes", "", []string{"X-API-Key", strings.Repeat("k", 40)}, 401, codeInvalidKey},
		{"GET", "/v1/recipes", "", []string{"X-API-Key", key}, 200, ""},
		{"GET", "/v1/metrics", "", nil, 401, codeMissingKey},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":`, nil, 401, codeMissingKey},
		{"POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, []string{"X-API-Key", key}, 200, ""},
		{"GET", "/v1/recipes/demo", "", []string{"X-API-Key", key}, 200, ""},
		{"GET", "/v1/recipes/demo:foo", "", []string{"X-API-Key", key}, 422, codeValidation},
		{"POST", "/v1/recipes/demo:foo", "{}", []string{"X-API-Key", key}, 405, ""},
		{"POST", "/v1/health", "", nil, 405, ""},
		{"GET", "/v1/nonexistent", "", nil, 404, ""},
		{"GET", "/v1/health", "", []string{"Host", "evil.attacker.com"}, 400, ""},
	} {
		r := f.do(tc.method, tc.path, tc.body, tc.hdr...)
		if r.status != tc.status || tc.code != "" && r.body["code"] != tc.code {
			t.Errorf("%s %s %v: %d %s, want %d %s", tc.method, tc.path, tc.hdr, r.status, r.raw, tc.status, tc.code)
		}
		if r.header.Get("X-Request-ID") == "" {
			t.Errorf("%s %s: no X-Request-ID", tc.method, tc.path)
		}
	}
	r := f.do("GET", "/v1/metrics", "", "X-API-Key", key)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.Contains(r.raw, `recotem_v1_requests_total{recipe="demo",status="ok",verb="recommend"} 1`) {
		t.Errorf("metrics: %d %.300s", r.status, r.raw)
	}
	if r := f.do("GET", "/v1/recipes/demo/", "", "X-API-Key", key); r.status != 200 {
		t.Errorf("trailing slash: %d", r.status)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		in   string
		echo bool
	}{{strings.Repeat("a", 128), true}, {"abc_DEF-1", true}, {strings.Repeat("a", 129), false}, {"bad!id", false}, {"", false}} {
		r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`, "X-Request-ID", tc.in)
		got := r.header.Get("X-Request-ID")
		if tc.echo && got != tc.in || !tc.echo && (got == tc.in || len(got) != 12) {
			t.Errorf("X-Request-ID %q → %q", tc.in, got)
		}
		if r.body["request_id"] != got {
			t.Errorf("body request_id %v, header %s", r.body["request_id"], got)
		}
	}
}

func TestCORS(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AllowedOrigins = []string{"https://app.example"} })
	r := f.do("GET", "/v1/health", "", "Origin", "https://app.example")
	if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Recotem-Model-Version") {
		t.Errorf("expose headers: %v", r.header)
	}
	r = f.do("OPTIONS", "/v1/recipes/demo:recommend", "", "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Credentials") != "" || r.header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	r = f.do("OPTIONS", "/v1/recipes/demo:recommend", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if r.status != 400 {
		t.Errorf("disallowed preflight: %d", r.status)
	}
}

func TestBodyCap(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"`+strings.Repeat("u", 2000)+`"}`)
	if r.status != 413 || r.body["code"] != codeValidation {
		t.Errorf("oversize body: %d %s", r.status, r.raw)
	}
}

func TestHotSwapAndFailures(t *testing.T) {
	f := newFixture(t, nil)
	health := func() (int, string) {
		r := f.do("GET", "/v1/health/details", "")
		rec, _ := r.body["recipes"].(map[string]any)["demo"].(map[string]any)
		e, _ := rec["error"].(string)
		return r.status, e
	}
	v2 := writeArtifact(t, f.art, 5) // u2 now saw i3 five times
	f.tick()
	r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1","limit":1}`)
	if r.body["model_version"] != v2 || itemIDs(r.body)[0] != "i3" {
		t.Fatalf("after swap: %v %v, want %s serving i3", r.body["model_version"], itemIDs(r.body), v2)
	}
	// Identical bytes rewritten: no swap.
	writeArtifact(t, f.art, 5)
	f.tick()
	if n := testValue(f.s.m.swaps.WithLabelValues("demo", "ok")); n != 1 {
		t.Errorf("swaps = %v after rewriting identical bytes, want 1", n)
	}
	// Corrupt artifact: the old model keeps serving, the error shows.
	target, _ := os.ReadFile(f.art)
	versioned := filepath.Join(filepath.Dir(f.art), strings.TrimSpace(string(target)))
	good, _ := os.ReadFile(versioned)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 0xFF
	os.WriteFile(f.art, bad, 0o600)
	f.tick()
	if r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`); r.status != 200 || r.body["model_version"] != v2 {
		t.Fatalf("corrupt artifact stopped serving: %d %v", r.status, r.body["model_version"])
	}
	if status, e := health(); status != 503 || !strings.Contains(e, "HMAC") {
		t.Errorf("details after corruption: %d %q", status, e)
	}
	// Deleted: still serving, error says missing.
	os.Remove(f.art)
	f.tick()
	if _, e := health(); !strings.Contains(e, "missing") {
		t.Errorf("details after delete: %q", e)
	}
	if r := f.do("GET", "/v1/health", ""); r.status != 200 {
		t.Errorf("health with a stale entry: %d", r.status)
	}
	// Restored with the same bytes: the error clears (a reference bug).
	os.WriteFile(f.art, good, 0o600)
	f.tick()
	if status, e := health(); status != 200 || e != "" {
		t.Errorf("details after restore: %d %q", status, e)
	}
}

func TestRecipeDirectoryChanges(t *testing.T) {
	f := newFixture(t, nil)
	// A broken new recipe becomes a stub named after the file.
	os.WriteFile(filepath.Join(f.dir, "broken.yaml"), []byte("name: [unclosed\n"), 0o644)
	f.tick()
	e, ok := f.s.reg.Get("broken")
	if !ok || e.Loaded || !strings.Contains(e.Err, "YAML parse failed") {
		t.Fatalf("broken recipe: %+v %v", e, ok)
	}
	if r := f.do("GET", "/v1/health", ""); r.status != 503 {
		t.Errorf("health with a stub: %d", r.status)
	}
	// Fixed: it loads under its own name and the stub goes away.
	art2 := filepath.Join(filepath.Dir(f.art), "other.recotem")
	writeArtifact(t, art2, 0)
	writeRecipe(t, f.dir, "broken.yaml", "other", art2)
	f.tick()
	if _, ok := f.s.reg.Get("broken"); ok {
		t.Error("the stub of a fixed recipe was not removed")
	}
	if r := f.do("POST", "/v1/recipes/other:recommend", `{"user_id":"u1"}`); r.status != 200 {
		t.Errorf("fixed recipe: %d %s", r.status, r.raw)
	}
	if r := f.do("GET", "/v1/health", ""); r.status != 200 {
		t.Errorf("health after fix: %d %s", r.status, r.raw)
	}
	// A known recipe whose YAML breaks keeps serving with an error.
	os.WriteFile(filepath.Join(f.dir, "demo.yaml"), []byte("name: demo\nbogus: [\n"), 0o644)
	f.tick()
	if r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`); r.status != 200 {
		t.Errorf("demo after YAML broke: %d", r.status)
	}
	if e, _ := f.s.reg.Get("demo"); !strings.Contains(e.Err, "rescan") {
		t.Errorf("demo error %q", e.Err)
	}
	// Deleted: gone.
	os.Remove(filepath.Join(f.dir, "demo.yaml"))
	f.tick()
	if r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`); r.status != 404 || r.body["code"] != codeRecipeNotFound {
		t.Errorf("deleted recipe: %d %s", r.status, r.raw)
	}
}

func TestStartupWithFailures(t *testing.T) {
	f := newFixture(t, nil)
	os.WriteFile(filepath.Join(f.dir, "bad.yaml"), []byte(":\n  - ["), 0o644)
	writeRecipe(t, f.dir, "missing.yaml", "missing", filepath.Join(f.dir, "nope.recotem"))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(f.s.cfg, log, f.s.loader, recipe.LoadOptions{})
	s.Start(context.Background())
	loaded, total := s.reg.Counts()
	if loaded != 1 || total != 3 {
		t.Errorf("loaded %d of %d, want 1 of 3", loaded, total)
	}
	if e, _ := s.reg.Get("missing"); e.Loaded || e.Err == "" {
		t.Errorf("missing artifact entry: %+v", e)
	}
}

// TestSwapUnderLoad hammers :recommend while artifacts are swapped: every
// response must be 200 with a model version that was written, and header
// and body must agree.
func TestSwapUnderLoad(t *testing.T) {
	f := newFixture(t, nil)
	var mu sync.Mutex
	versions := map[string]bool{f.version: true}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Int64
	var n atomic.Int64
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := http.Post(f.http.URL+"/v1/recipes/demo:recommend", "application/json", strings.NewReader(`{"user_id":"u1"}`))
				if err != nil {
					bad.Add(1)
					continue
				}
				var body map[string]any
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				n.Add(1)
				mu.Lock()
				known := versions[fmt.Sprint(body["model_version"])]
				mu.Unlock()
				if res.StatusCode != 200 || !known || res.Header.Get("X-Recotem-Model-Version") != body["model_version"] {
					bad.Add(1)
				}
			}
		}()
	}
	for i := 1; i <= 30; i++ {
		mu.Lock()
		versions[writeArtifactVersion(t, f.art, i)] = true
		mu.Unlock()
		f.tick()
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 || n.Load() == 0 {
		t.Fatalf("%d bad responses of %d", bad.Load(), n.Load())
	}
}

// writeArtifactVersion writes a distinct artifact for each i.
func writeArtifactVersion(t testing.TB, path string, i int) string { return writeArtifact(t, path, i) }

// TestGate: verbs wait for a free slot of the gate; a client that leaves
// while waiting does not take a slot, and requests go through again once
// slots are free.
func TestGate(t *testing.T) {
	f := newFixture(t, nil)
	for range cap(f.s.gate) {
		f.s.gate <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.http.URL+"/v1/recipes/demo:recommend", strings.NewReader(`{"user_id":"u1"}`))
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("a verb ran while every slot was taken: status %d", res.StatusCode)
	}
	for range cap(f.s.gate) {
		<-f.s.gate
	}
	// The abandoned request must not hold a slot: every slot is usable.
	for range cap(f.s.gate) {
		select {
		case f.s.gate <- struct{}{}:
		case <-time.After(time.Second):
			t.Fatal("a slot stayed taken after its client left")
		}
	}
	for range cap(f.s.gate) {
		<-f.s.gate
	}
	if r := f.do("POST", "/v1/recipes/demo:recommend", `{"user_id":"u1"}`); r.status != 200 {
		t.Fatalf("after the gate freed: status %d %s", r.status, r.raw)
	}
}
