package eval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// table is a model whose scores are a fixed dense users×items table.
type table struct {
	items  int
	scores [][]float32
}

func (m *table) Class() string                          { return "TableRecommender" }
func (m *table) Fit(context.Context, *sparse.CSR) error { return nil }
func (m *table) NumItems() int                          { return m.items }
func (m *table) ScoreProfile(_ []int32, dst []float32)  { clear(dst) }
func (m *table) Params() algo.Params                    { return algo.Params{} }
func (m *table) Encode(algo.Encoder) error              { return nil }
func (m *table) ScoreUsers(_ *sparse.CSR, users []int32, dst []float32) {
	for k, u := range users {
		copy(dst[k*m.items:(k+1)*m.items], m.scores[u])
	}
}

func csr(t *testing.T, cols int, rows [][]int32) *sparse.CSR {
	t.Helper()
	var r, c []int32
	for i, row := range rows {
		for _, j := range row {
			r = append(r, int32(i))
			c = append(c, j)
		}
	}
	m, err := sparse.FromCOO(len(rows), cols, r, c, nil, sparse.DupFirst)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestHandChecked(t *testing.T) {
	// Row 0 is a training user; rows 1..3 are validation users 0..2.
	train := csr(t, 5, [][]int32{{0, 1}, {0}, {}, {3}})
	held := csr(t, 5, [][]int32{{2, 4}, {0}, {}})
	m := &table{items: 5, scores: [][]float32{
		{9, 9, 9, 9, 9},
		{5, 4, 3, 2, 1}, // item 0 masked → list [1 2 3], hit at 1
		{0, 0, 0, 0, 0}, // all tied → list [0 1 2], hit at 0
		{1, 1, 1, 1, 1}, // no ground truth: skipped
	}}
	for _, threads := range []int{1, 2} {
		e, err := New(Config{Train: train, Heldout: held, Offset: 1, Cutoff: 3, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Evaluate(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		ndcgA := (1 / math.Log2(3)) / (1 + 1/math.Log2(3))
		want := Result{
			NDCG: (ndcgA + 1) / 2, Recall: 0.75, MAP: (0.25 + 1) / 2, Hit: 1, Precision: 1.0 / 3,
			AppearedItem: 4, Entropy: math.Log(6)/3 + 2*math.Log(3)/3, Gini: 1.0 / 3,
			ValidUsers: 2, TotalUsers: 3,
		}
		if !approx(r.NDCG, want.NDCG) || !approx(r.Recall, want.Recall) || !approx(r.MAP, want.MAP) ||
			!approx(r.Hit, want.Hit) || !approx(r.Precision, want.Precision) || r.AppearedItem != want.AppearedItem ||
			!approx(r.Entropy, want.Entropy) || !approx(r.Gini, want.Gini) || r.ValidUsers != 2 || r.TotalUsers != 3 {
			t.Errorf("threads=%d:\n got %+v\nwant %+v", threads, r, want)
		}
		if s, _ := e.Score(context.Background(), m); !approx(s, want.NDCG) {
			t.Errorf("Score = %g, want the nDCG %g", s, want.NDCG)
		}
	}
}

// TestMaskedItemsOccupySlots checks the irspack 0.5.0 semantics: with fewer
// unmasked items than the cutoff, masked items fill the list (lowest index
// first) and can even be hits when they are also held out.
func TestMaskedItemsOccupySlots(t *testing.T) {
	train := csr(t, 5, [][]int32{{0, 1, 2, 3}})
	held := csr(t, 5, [][]int32{{1}})
	m := &table{items: 5, scores: [][]float32{{9, 8, 7, 6, 0}}}
	e, err := New(Config{Train: train, Heldout: held, Cutoff: 3})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Evaluate(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	// List = [4, 0, 1]: the hit is at position 2.
	if !approx(r.NDCG, 1/math.Log2(4)) || !approx(r.MAP, 1.0/3) || r.Hit != 1 || r.AppearedItem != 3 {
		t.Errorf("got %+v, want nDCG 0.5, MAP 1/3, hit 1, 3 items", r)
	}
}

// TestFullCutoffMatchesSklearn: with cutoff = I and no mask, nDCG and MAP
// are sklearn's ndcg_score and average_precision_score (values by hand).
func TestFullCutoffMatchesSklearn(t *testing.T) {
	train := csr(t, 4, [][]int32{{}, {}})
	held := csr(t, 4, [][]int32{{0, 2}, {3}})
	m := &table{items: 4, scores: [][]float32{{0.1, 0.9, 0.3, 0.5}, {0.4, 0.3, 0.2, 0.1}}}
	e, err := New(Config{Train: train, Heldout: held, Cutoff: 4})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Evaluate(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	// User 0 ranks [1 3 2 0]: hits at ranks 3 and 4.
	ap0 := (1.0/3 + 2.0/4) / 2
	ndcg0 := (1/math.Log2(4) + 1/math.Log2(5)) / (1 + 1/math.Log2(3))
	// User 1 ranks [0 1 2 3]: its only relevant item is last.
	ap1 := 1.0 / 4
	ndcg1 := 1 / math.Log2(5)
	if !approx(r.MAP, (ap0+ap1)/2) || !approx(r.NDCG, (ndcg0+ndcg1)/2) || !approx(r.Recall, 1) || !approx(r.Precision, 3.0/8) {
		t.Errorf("got %+v, want MAP %g nDCG %g recall 1 precision 0.375", r, (ap0+ap1)/2, (ndcg0+ndcg1)/2)
	}
}

func TestMaskedGroundTruthCutoff1(t *testing.T) {
	// mask = ground truth, cutoff 1 → recall 0.
	train := csr(t, 3, [][]int32{{1}})
	held := csr(t, 3, [][]int32{{1}})
	m := &table{items: 3, scores: [][]float32{{0, 1, 0}}}
	e, _ := New(Config{Train: train, Heldout: held, Cutoff: 1})
	r, err := e.Evaluate(context.Background(), m)
	if err != nil || r.Recall != 0 || r.NDCG != 0 || r.Hit != 0 {
		t.Errorf("got %+v, %v; want every metric 0", r, err)
	}
}

func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const users, items, offset = 300, 120, 50
	rows := make([][]int32, users)
	heldRows := make([][]int32, users-offset)
	scores := make([][]float32, users)
	for u := range rows {
		scores[u] = make([]float32, items)
		for i := range items {
			scores[u][i] = float32(rng.IntN(7)) // ties on purpose
			switch rng.IntN(10) {
			case 0:
				rows[u] = append(rows[u], int32(i))
			case 1:
				if u >= offset {
					heldRows[u-offset] = append(heldRows[u-offset], int32(i))
				}
			}
		}
	}
	train, held := csr(t, items, rows), csr(t, items, heldRows)
	m := &table{items: items, scores: scores}
	var first Result
	for q, c := range []Config{{Threads: 1}, {Threads: 2}, {Threads: 3, BlockUsers: 1}, {Threads: 2, BlockUsers: 7}} {
		c.Train, c.Heldout, c.Offset, c.Cutoff = train, held, offset, 10
		e, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Evaluate(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		if q == 0 {
			first = r
			if r.NDCG <= 0 || r.ValidUsers == 0 {
				t.Fatalf("degenerate test data: %+v", r)
			}
		} else if r != first {
			t.Errorf("config %d: %+v differs from %+v", q, r, first)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	train := csr(t, 3, [][]int32{{0}, {1}})
	held := csr(t, 3, [][]int32{{2}})
	for _, c := range []Config{
		{Train: train, Heldout: held, Cutoff: 0},
		{Train: train, Heldout: held, Cutoff: 4},
		{Train: train, Heldout: held, Cutoff: 1, Offset: 2},
		{Train: train, Heldout: csr(t, 4, [][]int32{{2}}), Cutoff: 1},
		{Heldout: held, Cutoff: 1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(offset %d cutoff %d): want an error", c.Offset, c.Cutoff)
		}
	}
	e, err := New(Config{Train: train, Heldout: held, Cutoff: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(context.Background(), &table{items: 4}); err == nil {
		t.Error("model with 4 items on 3-item data: want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := &table{items: 3, scores: [][]float32{{1, 2, 3}, {1, 2, 3}}}
	if _, err := e.Evaluate(ctx, m); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Evaluate: err = %v, want context.Canceled", err)
	}
}

func TestParseMetric(t *testing.T) {
	for in, want := range map[string]Metric{"ndcg": NDCG, "NDCG": NDCG, "map": MAP, "recall": Recall, "hit": Hit} {
		if got, err := ParseMetric(in); err != nil || got != want {
			t.Errorf("ParseMetric(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"precision", "auc", ""} {
		_, err := ParseMetric(in)
		if exitcode.Of(err) != exitcode.Training || exitcode.ReasonOf(err) != "invalid_metric" {
			t.Errorf("ParseMetric(%q) = %v, want a training error invalid_metric", in, err)
		}
	}
}

func TestGiniLorenz(t *testing.T) {
	// gini = Σ_i (1/I)·2((i+1)/I − L_i), L the Lorenz curve of sorted counts.
	counts := []int64{5, 0, 3, 9, 1, 1}
	_, _, gini := diversity(counts)
	sorted := []float64{0, 1, 1, 3, 5, 9}
	var total, cum, want float64
	for _, c := range sorted {
		total += c
	}
	n := float64(len(sorted))
	for i, c := range sorted {
		cum += c
		want += (1 / n) * 2 * (float64(i+1)/n - cum/total)
	}
	if !approx(gini, want) {
		t.Errorf("gini = %g, Lorenz formula %g", gini, want)
	}
}
