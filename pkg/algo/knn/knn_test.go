package knn

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// dense returns W as a dense row-major matrix.
func dense(w *Weights) []float64 {
	n := w.NumItems()
	d := make([]float64, n*n)
	for j := range n {
		cols, vals := w.W.Row(j)
		for t, i := range cols {
			d[j*n+int(i)] = float64(vals[t])
		}
	}
	return d
}

// bruteForce computes the unpruned W of training.md §2.2 densely.
func bruteForce(X *sparse.CSR, c config) []float64 {
	nu, n := X.Rows, X.Cols
	x := make([]float64, nu*n)
	for u := range nu {
		cols, vals := X.Row(u)
		for t, i := range cols {
			x[u*n+int(i)] = float64(vals[t])
		}
	}
	df := make([]float64, n)
	dl := make([]float64, nu)
	var total float64
	for u := range nu {
		for i := range n {
			if x[u*n+i] != 0 {
				df[i]++
			}
			dl[u] += x[u*n+i]
		}
		total += dl[u]
	}
	xw := make([]float64, nu*n)
	for u := range nu {
		for i := range n {
			v := x[u*n+i]
			switch c.FeatureWeighting {
			case WeightNone:
				xw[u*n+i] = v
			case WeightTFIDF:
				xw[u*n+i] = v * math.Log(float64(nu)/(df[i]+1))
			case WeightBM25:
				idf := math.Log(float64(nu)/(df[i]+1) + 1)
				avg := total / float64(nu)
				xw[u*n+i] = idf * v * (c.BM25K1 + 1) / (v + c.BM25K1*(1-c.BM25B+c.BM25B*dl[u]/avg))
			}
		}
	}
	w := make([]float64, n*n)
	for j := range n {
		for i := range n {
			var raw, nj, ni float64
			for u := range nu {
				raw += x[u*n+j] * xw[u*n+i]
				nj += x[u*n+j] * x[u*n+j]
				ni += xw[u*n+i] * xw[u*n+i]
			}
			if c.Normalize {
				raw /= math.Sqrt(ni)*math.Sqrt(nj) + c.Shrinkage + 1e-6
			}
			if i != j {
				w[j*n+i] = raw
			}
		}
	}
	return w
}

func TestUnprunedMatchesDefinition(t *testing.T) {
	X := algotest.XSmall()
	for _, p := range []algo.Params{
		{"normalize": true},
		{"normalize": false},
		{"normalize": true, "shrinkage": 10.0},
		{"normalize": true, "feature_weighting": WeightTFIDF},
		{"normalize": true, "feature_weighting": WeightBM25},
		{"normalize": false, "feature_weighting": WeightBM25, "bm25_k1": 0.5, "bm25_b": 0.3},
	} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			p["top_k"] = X.Cols
			m, err := New(p, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), X); err != nil {
				t.Fatal(err)
			}
			got, want := dense(m.Weights()), bruteForce(X, m.cfg)
			for k := range want {
				if math.Abs(got[k]-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
					t.Errorf("W[%d,%d] = %v, want %v", k/X.Cols, k%X.Cols, got[k], want[k])
				}
			}
		})
	}
}

// TestTopKTies is training.md §4's top_k=2 example: per row the 2 largest
// co-occurrence counts, self included, ties to the lower column (for rows
// this short libstdc++'s std::sort is an insertion sort, hence stable), and
// the diagonal removed afterwards.
func TestTopKTies(t *testing.T) {
	X := algotest.FromDense(4, 5, []float32{
		1, 1, 1, 0, 0,
		1, 1, 0, 1, 0,
		1, 0, 1, 1, 0,
		0, 1, 1, 1, 1,
	})
	m, err := New(algo.Params{"top_k": 2}, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	want := []float64{
		0, 2, 0, 0, 0, // row 0 keeps self (3) and col 1 (2; cols 1,2,3 tie)
		2, 0, 0, 0, 0,
		2, 0, 0, 0, 0,
		2, 0, 0, 0, 0,
		0, 1, 1, 0, 0, // row 4: cols 1-4 all 1, self (col 4) is cut
	}
	got := dense(m.Weights())
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("W = %v, want %v", got, want)
		}
	}
}

func TestTopKBound(t *testing.T) {
	X := algotest.Synthetic(3000, 400, 3)
	m, _ := New(algo.Params{"top_k": 30, "normalize": true}, algo.Options{Threads: 2})
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	w := m.Weights().W
	for j := range w.Rows {
		if n := w.RowLen(j); n > 30 {
			t.Fatalf("row %d keeps %d entries, want <= 30", j, n)
		}
		cols, _ := w.Row(j)
		for _, i := range cols {
			if int(i) == j {
				t.Fatalf("row %d keeps its diagonal", j)
			}
		}
	}
}

func TestScoring(t *testing.T) {
	X := algotest.XSmall()
	m, _ := New(algo.Params{"top_k": 5, "normalize": true}, algo.Options{})
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	n := X.Cols
	w := dense(m.Weights())
	dst := make([]float32, 2*n)
	m.ScoreUsers(X, []int32{1, 0}, dst)
	for k, u := range []int{1, 0} {
		cols, vals := X.Row(u)
		for i := range n {
			var want float64
			for t, j := range cols {
				want += float64(vals[t]) * w[int(j)*n+i]
			}
			if math.Abs(float64(dst[k*n+i])-want) > 1e-6 {
				t.Errorf("user %d item %d: %v, want %v", u, i, dst[k*n+i], want)
			}
		}
	}
	prof := make([]float32, n)
	m.ScoreProfile([]int32{3, 1, 3, 99, -1}, prof)
	for i := range n {
		want := w[3*n+i] + w[1*n+i]
		if math.Abs(float64(prof[i])-want) > 1e-6 {
			t.Errorf("profile item %d: %v, want %v", i, prof[i], want)
		}
	}
	algotest.CheckRoundTrip(t, Spec, m, X)
}

func TestNewValidates(t *testing.T) {
	for _, p := range []algo.Params{
		{"top_k": 0},
		{"shrinkage": -1.0},
		{"feature_weighting": "LOG"},
		{"bm25_b": 2.0},
		{"normalize": "yes"},
		{"alpha": 0.5},
	} {
		if _, err := New(p, algo.Options{}); err == nil {
			t.Errorf("New(%v) succeeded, want an error", p)
		}
	}
	m, err := New(nil, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.Params()); got != fmt.Sprint(Spec.Defaults) {
		t.Errorf("default params %s, want %s", got, fmt.Sprint(Spec.Defaults))
	}
	for _, p := range Spec.Space {
		if _, ok := Spec.Defaults[p.Name]; !ok {
			t.Errorf("search parameter %q has no default", p.Name)
		}
	}
}

func TestCancel(t *testing.T) {
	m, _ := New(algo.Params{"normalize": true}, algo.Options{Threads: 2})
	algotest.CheckCancel(t, m, algotest.Synthetic(20000, 5000, 1), 2*time.Second)
}

// TestMalformed: a broken matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }
