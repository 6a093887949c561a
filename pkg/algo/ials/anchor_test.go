package ials

import (
	"context"
	"fmt"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// TestAnchorML100K checks nDCG@10 on the ml-100k seed-42 split against the
// 5-seed band of irspack (.4430 ± .0152) for both solvers and several seeds.
func TestAnchorML100K(t *testing.T) {
	if testing.Short() {
		t.Skip("anchor fits are skipped in -short mode")
	}
	d := evaltest.Anchor(t, "ml-100k")
	const mean, sd = .4430, .0152
	for _, tc := range []struct {
		solver string
		seed   int
	}{
		{SolverCG, 42}, {SolverCG, 0}, {SolverCG, 1}, {SolverCholesky, 42},
	} {
		t.Run(fmt.Sprintf("%s-seed%d", tc.solver, tc.seed), func(t *testing.T) {
			m, err := New(algo.Params{"n_components": 64, "alpha0": 0.3, "reg": 0.01, "train_epochs": 16,
				"solver_type": tc.solver, "random_seed": tc.seed}, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), d.Train); err != nil {
				t.Fatal(err)
			}
			r := evaltest.EvalAt10(t, d, m)
			t.Logf("%s seed %d: ndcg %.4f recall %.4f map %.4f hit %.4f", tc.solver, tc.seed, r.NDCG, r.Recall, r.MAP, r.Hit)
			if r.NDCG < mean-sd || r.NDCG > mean+sd {
				t.Errorf("ndcg@10 = %.4f, outside the band %.4f ± %.4f", r.NDCG, mean, sd)
			}
		})
	}
}
