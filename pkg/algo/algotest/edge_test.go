package algotest_test

import (
	"context"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/algo/denseslim"
	"github.com/codelibs/recotem-go/pkg/algo/knn"
	"github.com/codelibs/recotem-go/pkg/algo/rp3beta"
	"github.com/codelibs/recotem-go/pkg/algo/toppop"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// TestDegenerateMatrices fits the deterministic algorithms on empty and
// tiny matrices: no panic, the right item count, finite scores, and a
// payload that loads back.
func TestDegenerateMatrices(t *testing.T) {
	specs := []algo.Spec{toppop.Spec, knn.Spec, rp3beta.Spec, denseslim.Spec}
	mats := map[string]*sparse.CSR{
		"0x0":        algotest.FromDense(0, 0, nil),
		"3x0":        algotest.FromDense(3, 0, nil),
		"0x4":        algotest.FromDense(0, 4, nil),
		"empty 2x3":  algotest.FromDense(2, 3, make([]float32, 6)),
		"one 1x1":    algotest.FromDense(1, 1, []float32{1}),
		"row 1x4":    algotest.FromDense(1, 4, []float32{1, 0, 1, 1}),
		"column 4x1": algotest.FromDense(4, 1, []float32{1, 1, 0, 1}),
	}
	for _, spec := range specs {
		for name, X := range mats {
			t.Run(algo.Alias(spec.Class)+"/"+name, func(t *testing.T) {
				m, err := spec.New(nil, algo.Options{Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Fit(context.Background(), X); err != nil {
					t.Fatalf("Fit: %v", err)
				}
				if m.NumItems() != X.Cols {
					t.Fatalf("NumItems = %d, want %d", m.NumItems(), X.Cols)
				}
				users := make([]int32, X.Rows)
				for u := range users {
					users[u] = int32(u)
				}
				dst := make([]float32, X.Rows*X.Cols)
				m.ScoreUsers(X, users, dst)
				for i, v := range dst {
					if v != v {
						t.Fatalf("score %d is NaN", i)
					}
				}
				algotest.CheckRoundTrip(t, spec, m, X)
			})
		}
	}
}
