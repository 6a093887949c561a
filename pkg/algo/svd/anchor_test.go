package svd

import (
	"context"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// TestAnchorML100K checks nDCG@10 on the ml-100k seed-42 split against the
// 5-seed bands of irspack: k=64 .3806 ± .0097, k=16 .4425 ± .0154. The
// default random_seed must land inside the band, and so must the mean over
// random seeds 0-3: with 5 power iterations and 10 oversamples the
// randomized SVD is not converged at k=64, and single seeds spread by about
// ±0.008 (the converged top-64 SVD scores .3842).
func TestAnchorML100K(t *testing.T) {
	if testing.Short() {
		t.Skip("anchor fits are skipped in -short mode")
	}
	d := evaltest.Anchor(t, "ml-100k")
	for _, tc := range []struct {
		k        int
		mean, sd float64
	}{
		{64, .3806, .0097},
		{16, .4425, .0154},
	} {
		sum := 0.0
		for seed := 0; seed < 4; seed++ {
			m, err := New(algo.Params{"n_components": tc.k, "random_seed": seed}, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), d.Train); err != nil {
				t.Fatal(err)
			}
			r := evaltest.EvalAt10(t, d, m)
			t.Logf("k %d seed %d: ndcg %.4f recall %.4f map %.4f hit %.4f", tc.k, seed, r.NDCG, r.Recall, r.MAP, r.Hit)
			if seed == 0 && (r.NDCG < tc.mean-tc.sd || r.NDCG > tc.mean+tc.sd) {
				t.Errorf("k %d, default seed: ndcg@10 = %.4f, outside the band %.4f ± %.4f", tc.k, r.NDCG, tc.mean, tc.sd)
			}
			sum += r.NDCG
		}
		if avg := sum / 4; avg < tc.mean-tc.sd || avg > tc.mean+tc.sd {
			t.Errorf("k %d: mean ndcg@10 over seeds 0-3 = %.4f, outside the band %.4f ± %.4f", tc.k, avg, tc.mean, tc.sd)
		}
	}
}
