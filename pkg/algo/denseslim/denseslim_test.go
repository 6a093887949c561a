package denseslim

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

func fit(t *testing.T, X *sparse.CSR, reg float64, direct bool) *Recommender {
	t.Helper()
	m, err := New(algo.Params{"reg": reg}, algo.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	m.forceDirect = direct
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	return m
}

// gram returns G = XᵀX + reg·I densely.
func gram(X *sparse.CSR, reg float64) []float64 {
	n := X.Cols
	g := make([]float64, n*n)
	for u := range X.Rows {
		cols, vals := X.Row(u)
		for a, i := range cols {
			for b, j := range cols {
				g[int(i)*n+int(j)] += float64(vals[a]) * float64(vals[b])
			}
		}
	}
	for i := range n {
		g[i*n+i] += reg
	}
	return g
}

// TestNormalEquations checks that W solves EASE's defining equations:
// with B = G⁻¹ and D = diag(B), W = I − B·D⁻¹, so G·(I − W) = D⁻¹ is
// diagonal with a positive diagonal, and W has a zero diagonal. Both
// routes (Woodbury when users < items, the direct inverse otherwise) are
// checked.
func TestNormalEquations(t *testing.T) {
	for _, tc := range []struct {
		name string
		X    *sparse.CSR
		reg  float64
	}{
		{"X_small", algotest.XSmall(), 1},
		{"X_small reg 300", algotest.XSmall(), 300},
		{"synthetic 60x150", algotest.Synthetic(60, 150, 2), 10},
		{"synthetic 400x90", algotest.Synthetic(400, 90, 3), 10},
	} {
		for _, direct := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/direct=%v", tc.name, direct), func(t *testing.T) {
				m := fit(t, tc.X, tc.reg, direct)
				n := tc.X.Cols
				g := gram(tc.X, tc.reg)
				var scale float64
				for _, v := range g {
					scale = math.Max(scale, math.Abs(v))
				}
				for i := range n {
					if m.w[i*n+i] != 0 {
						t.Fatalf("W[%d,%d] = %v, want 0", i, i, m.w[i*n+i])
					}
					for j := range n {
						// (G·(I−W))[i,j] = G[i,j] − Σ_k G[i,k]·W[k,j]
						s := g[i*n+j]
						for k := range n {
							s -= g[i*n+k] * float64(m.w[k*n+j])
						}
						if i != j && math.Abs(s) > 1e-5*scale {
							t.Fatalf("(G(I−W))[%d,%d] = %v, want 0", i, j, s)
						}
						if i == j && !(s > 0) {
							t.Fatalf("(G(I−W))[%d,%d] = %v, want > 0", i, j, s)
						}
					}
				}
			})
		}
	}
}

// TestRoutesAgree compares the Woodbury and direct routes entry by entry.
func TestRoutesAgree(t *testing.T) {
	X := algotest.Synthetic(80, 200, 4)
	a, b := fit(t, X, 50, false), fit(t, X, 50, true)
	for k := range a.w {
		if math.Abs(float64(a.w[k]-b.w[k])) > 1e-5 {
			t.Fatalf("W[%d]: woodbury %v, direct %v", k, a.w[k], b.w[k])
		}
	}
}

func TestScoringAndRoundTrip(t *testing.T) {
	X := algotest.XSmall()
	m := fit(t, X, 2, false)
	n := X.Cols
	dst := make([]float32, n)
	m.ScoreUsers(X, []int32{1}, dst)
	for i := range n {
		want := m.w[1*n+i] + m.w[3*n+i] // user 1 has items 1 and 3
		if math.Abs(float64(dst[i]-want)) > 1e-6 {
			t.Errorf("item %d: %v, want %v", i, dst[i], want)
		}
	}
	prof := make([]float32, n)
	m.ScoreProfile([]int32{3, 3, 1, 7}, prof)
	for i := range n {
		if prof[i] != dst[i] {
			t.Errorf("profile item %d: %v, want %v (seeds deduplicated)", i, prof[i], dst[i])
		}
	}
	algotest.CheckRoundTrip(t, Spec, m, X)
}

func TestSingular(t *testing.T) {
	// reg 0 with rank(XᵀX) < items: G is singular.
	m, _ := New(algo.Params{"reg": 0.0}, algo.Options{})
	if err := m.Fit(context.Background(), algotest.XSmall()); err == nil {
		t.Error("Fit with reg 0 on a rank-deficient Gram matrix succeeded, want an error")
	}
}

func TestNewValidates(t *testing.T) {
	for _, p := range []algo.Params{{"reg": -1.0}, {"reg": math.Inf(1)}, {"reg": "x"}, {"top_k": 3}} {
		if _, err := New(p, algo.Options{}); err == nil {
			t.Errorf("New(%v) succeeded, want an error", p)
		}
	}
}

func TestCancel(t *testing.T) {
	m, _ := New(algo.Params{"reg": 10.0}, algo.Options{Threads: 2})
	algotest.CheckCancel(t, m, algotest.Synthetic(1000, 3000, 1), 5*time.Second)
}

// TestMalformed: a broken matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }
