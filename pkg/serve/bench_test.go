package serve

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/ials"
	"github.com/codelibs/recotem-go/pkg/algo/toppop"
	"github.com/codelibs/recotem-go/pkg/artifact"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
	"github.com/codelibs/recotem-go/pkg/model"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/recipe"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// ml100k is the ml-100k interaction matrix with its user and item ids.
type ml100k struct {
	users, items []string
	seen         *sparse.CSR
}

var (
	ml100kOnce sync.Once
	ml100kData *ml100k
	ml100kErr  error
)

// loadML100k reads u.data of the shared data (skipping b when absent).
func loadML100k(b *testing.B) *ml100k {
	dir, ok := evaltest.SharedDir()
	if !ok {
		b.Skip("shared data not found")
	}
	path := filepath.Join(dir, "data", "ml-100k", "u.data")
	if _, err := os.Stat(path); err != nil {
		b.Skipf("ml-100k not present: %v", err)
	}
	ml100kOnce.Do(func() { ml100kData, ml100kErr = readML100k(path) })
	if ml100kErr != nil {
		b.Fatal(ml100kErr)
	}
	return ml100kData
}

func readML100k(path string) (*ml100k, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &ml100k{}
	uidx, iidx := map[string]int{}, map[string]int{}
	rows := map[int][]int32{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		u, ok := uidx[fs[0]]
		if !ok {
			u = len(d.users)
			uidx[fs[0]] = u
			d.users = append(d.users, fs[0])
		}
		i, ok := iidx[fs[1]]
		if !ok {
			i = len(d.items)
			iidx[fs[1]] = i
			d.items = append(d.items, fs[1])
		}
		rows[u] = append(rows[u], int32(i))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	csr := &sparse.CSR{Rows: len(d.users), Cols: len(d.items), Indptr: make([]int64, 1, len(d.users)+1)}
	for u := range d.users {
		for _, i := range sortedUnique(rows[u]) {
			csr.Indices = append(csr.Indices, i)
			csr.Data = append(csr.Data, 1)
		}
		csr.Indptr = append(csr.Indptr, int64(len(csr.Indices)))
	}
	d.seen = csr
	return d, nil
}

func sortedUnique(s []int32) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// benchServer trains class over ml-100k, writes a signed artifact and
// returns a started server serving it as recipe "bench".
func benchServer(b *testing.B, class string) (*Server, *ml100k) {
	d := loadML100k(b)
	var (
		rec algo.Recommender
		err error
	)
	switch class {
	case algo.IALS:
		rec, err = ials.Spec.New(algo.Params{"n_components": 64, "alpha0": 0.3, "reg": 0.01, "train_epochs": 16}, algo.Options{Threads: 2})
	default:
		rec, err = toppop.Spec.New(algo.Params{}, algo.Options{Threads: 1})
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := rec.Fit(context.Background(), d.seen); err != nil {
		b.Fatal(err)
	}
	m, err := model.New(d.users, d.items, d.seen, rec)
	if err != nil {
		b.Fatal(err)
	}
	pw := payload.NewWriter()
	if err := m.Encode(pw); err != nil {
		b.Fatal(err)
	}
	h := &artifact.Header{RecipeName: "bench", RecipeHash: strings.Repeat("a", 64), RecotemVersion: "0.1.0",
		TrainedAt: "2026-11-28T00:00:00Z", BestClass: class, BestParams: map[string]any{}, BestScore: 0.5,
		Metric: "ndcg", Cutoff: 20, Tuning: artifact.Tuning{TriedAlgorithms: []string{class}, NTrials: 1, NCompleted: 1},
		DataStats: artifact.DataStats{NRows: int64(len(d.seen.Indices)), NUsers: int64(len(d.users)), NItems: int64(len(d.items)), DedupPolicy: "keep_last"}}
	enc, err := artifact.Encode(ring(b), h, pw)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	recipes := filepath.Join(dir, "recipes")
	os.Mkdir(recipes, 0o755)
	art := filepath.Join(dir, "artifacts", "bench.recotem")
	if _, err := artifact.WriteFile(art, enc, artifact.WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	writeRecipe(b, recipes, "bench.yaml", "bench", art)
	cfg := Config{RecipesDir: recipes, Signing: ring(b), AllowedHosts: []string{"*"},
		WatchInterval: 30 * time.Second, Drain: time.Second, MaxBodyBytes: DefaultMaxBodyBytes, Metrics: true}
	s := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), &Loader{Options: artifact.Options{Ring: cfg.Signing}, Threads: 1}, recipe.LoadOptions{})
	s.Start(context.Background())
	if e, ok := s.reg.Get("bench"); !ok || !e.Loaded {
		b.Fatalf("bench recipe not loaded: %+v", e)
	}
	b.Cleanup(s.reg.Close)
	return s, d
}

// discard is a reusable ResponseWriter, so the benchmark measures the
// handler and not a recorder.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(status int)      { d.status = status }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// benchVerb runs POST /v1/recipes/bench:VERB through the full handler
// (middleware, routing, auth, decoding, scoring, encoding) with bodies
// cycling through bodies.
func benchVerb(b *testing.B, s *Server, verb string, bodies [][]byte, perOp int) {
	h := s.Handler()
	w := &discard{h: http.Header{}}
	rd := bytes.NewReader(nil)
	req, _ := http.NewRequest("POST", "http://127.0.0.1/v1/recipes/bench:"+verb, nil)
	req.Header.Set("Content-Type", "application/json")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := bodies[i%len(bodies)]
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		req.ContentLength = int64(len(body))
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.StopTimer()
	if perOp > 1 {
		b.ReportMetric(float64(perOp)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
	}
}

func recommendBodies(d *ml100k) [][]byte {
	var out [][]byte
	for i := 0; i < len(d.users); i += 7 {
		out = append(out, []byte(fmt.Sprintf(`{"user_id":%q,"limit":10}`, d.users[i])))
	}
	return out
}

func batchBodies(d *ml100k, n int) [][]byte {
	var out [][]byte
	for start := 0; start+n <= len(d.users); start += n {
		var parts []string
		for _, u := range d.users[start : start+n] {
			parts = append(parts, fmt.Sprintf(`{"user_id":%q,"limit":10}`, u))
		}
		out = append(out, []byte(`{"requests":[`+strings.Join(parts, ",")+`]}`))
	}
	return out
}

func BenchmarkRecommendIALS(b *testing.B) {
	s, d := benchServer(b, algo.IALS)
	benchVerb(b, s, verbRecommend, recommendBodies(d), 1)
}

func BenchmarkRecommendTopPop(b *testing.B) {
	s, d := benchServer(b, algo.TopPop)
	benchVerb(b, s, verbRecommend, recommendBodies(d), 1)
}

func BenchmarkBatchRecommend64IALS(b *testing.B) {
	s, d := benchServer(b, algo.IALS)
	benchVerb(b, s, verbBatchRecommend, batchBodies(d, 64), 64)
}

func BenchmarkRelatedIALS(b *testing.B) {
	s, d := benchServer(b, algo.IALS)
	var bodies [][]byte
	for i := 0; i < len(d.items); i += 11 {
		bodies = append(bodies, []byte(fmt.Sprintf(`{"seed_items":[%q],"limit":10}`, d.items[i])))
	}
	benchVerb(b, s, verbRelated, bodies, 1)
}

func BenchmarkBatchRecommend64TopPop(b *testing.B) {
	s, d := benchServer(b, algo.TopPop)
	benchVerb(b, s, verbBatchRecommend, batchBodies(d, 64), 64)
}
