package rp3beta

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/algo/knn"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

func dense(w *knn.Weights) []float64 {
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

// bruteForce computes the unpruned W[j,i] = Σ_u P_ju·P_ui / pop_i^β densely.
func bruteForce(X *sparse.CSR, alpha, beta float64) []float64 {
	nu, n := X.Rows, X.Cols
	x := make([]float64, nu*n)
	for u := range nu {
		cols, vals := X.Row(u)
		for t, i := range cols {
			x[u*n+int(i)] = float64(vals[t])
		}
	}
	row, col, pop := make([]float64, nu), make([]float64, n), make([]float64, n)
	for u := range nu {
		for i := range n {
			if v := x[u*n+i]; v != 0 {
				row[u] += math.Pow(v, alpha)
				col[i] += math.Pow(v, alpha)
				pop[i] += v
			}
		}
	}
	w := make([]float64, n*n)
	for j := range n {
		for i := range n {
			var s float64
			for u := range nu {
				if x[u*n+j] != 0 && x[u*n+i] != 0 {
					s += math.Pow(x[u*n+j], alpha) / col[j] * math.Pow(x[u*n+i], alpha) / row[u]
				}
			}
			p := pop[i]
			if p == 0 {
				p = 1
			}
			w[j*n+i] = s / math.Pow(p, beta)
		}
	}
	return w
}

func TestUnprunedMatchesDefinition(t *testing.T) {
	X := algotest.XSmall()
	for _, ab := range [][2]float64{{1, 0}, {1, 0.6}, {0.5, 0.3}, {2, 1}} {
		t.Run(fmt.Sprint(ab), func(t *testing.T) {
			m, err := New(algo.Params{"alpha": ab[0], "beta": ab[1]}, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), X); err != nil {
				t.Fatal(err)
			}
			got, want := dense(m.Weights()), bruteForce(X, ab[0], ab[1])
			for k := range want {
				if math.Abs(got[k]-want[k]) > 1e-6 {
					t.Errorf("W[%d,%d] = %v, want %v", k/X.Cols, k%X.Cols, got[k], want[k])
				}
			}
			// The diagonal is kept.
			if got[0] == 0 {
				t.Error("W[0,0] = 0: the diagonal must not be removed")
			}
		})
	}
}

// TestTopKPerColumnNormalized checks top_k per destination column and,
// with normalize_weight, rows summing to 1.
func TestTopKPerColumnNormalized(t *testing.T) {
	X := algotest.Synthetic(2000, 300, 5)
	m, _ := New(algo.Params{"top_k": 2, "normalize_weight": true}, algo.Options{Threads: 2})
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	w := m.Weights().W
	perCol := make([]int, w.Cols)
	for j := range w.Rows {
		cols, vals := w.Row(j)
		var s float64
		for t, i := range cols {
			perCol[i]++
			s += float64(vals[t])
		}
		if len(cols) > 0 && math.Abs(s-1) > 1e-5 {
			t.Errorf("row %d sums to %v, want 1", j, s)
		}
	}
	for i, c := range perCol {
		if c > 2 {
			t.Fatalf("column %d keeps %d sources, want <= 2", i, c)
		}
	}
	// Without normalisation the kept entries are each column's 2 largest.
	u, _ := New(algo.Params{"beta": 0.6}, algo.Options{Threads: 2})
	if err := u.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	k, _ := New(algo.Params{"beta": 0.6, "top_k": 2}, algo.Options{Threads: 2})
	if err := k.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	full, pruned := dense(u.Weights()), dense(k.Weights())
	n := X.Cols
	for i := range n {
		var kept []float64
		minKept := math.Inf(1)
		for j := range n {
			if pruned[j*n+i] != 0 {
				kept = append(kept, pruned[j*n+i])
				minKept = math.Min(minKept, pruned[j*n+i])
				if pruned[j*n+i] != full[j*n+i] {
					t.Fatalf("W[%d,%d] pruned %v, unpruned %v", j, i, pruned[j*n+i], full[j*n+i])
				}
			}
		}
		for j := range n {
			if pruned[j*n+i] == 0 && full[j*n+i] > minKept {
				t.Fatalf("column %d dropped W[%d,%d] = %v above a kept %v", i, j, i, full[j*n+i], minKept)
			}
		}
	}
}

func TestScoringAndRoundTrip(t *testing.T) {
	X := algotest.XSmall()
	m, _ := New(algo.Params{"top_k": 3, "beta": 0.5}, algo.Options{})
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	n := X.Cols
	w := dense(m.Weights())
	dst := make([]float32, n)
	m.ScoreUsers(X, []int32{0}, dst)
	cols, vals := X.Row(0)
	for i := range n {
		var want float64
		for t, j := range cols {
			want += float64(vals[t]) * w[int(j)*n+i]
		}
		if math.Abs(float64(dst[i])-want) > 1e-6 {
			t.Errorf("item %d: %v, want %v (raw X, not P)", i, dst[i], want)
		}
	}
	algotest.CheckRoundTrip(t, Spec, m, X)
}

func TestNewValidates(t *testing.T) {
	for _, p := range []algo.Params{
		{"alpha": -1.0},
		{"beta": -0.1},
		{"top_k": -3},
		{"top_k": 2.5},
		{"normalize_weight": 1},
		{"shrinkage": 1.0},
	} {
		if _, err := New(p, algo.Options{}); err == nil {
			t.Errorf("New(%v) succeeded, want an error", p)
		}
	}
	m, err := New(algo.Params{"top_k": nil}, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Params()["top_k"] != nil {
		t.Errorf("top_k = %v, want nil (no pruning)", m.Params()["top_k"])
	}
	if got := fmt.Sprint(m.Params()); got != fmt.Sprint(Spec.Defaults) {
		t.Errorf("default params %s, want %s", got, fmt.Sprint(Spec.Defaults))
	}
}

func TestCancel(t *testing.T) {
	m, _ := New(algo.Params{"top_k": 100}, algo.Options{Threads: 2})
	algotest.CheckCancel(t, m, algotest.Synthetic(20000, 5000, 1), 2*time.Second)
}

// TestMalformed: a broken matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }
