package rp3beta

import (
	"context"
	"fmt"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// TestAnchor checks the exact anchor figures of evaluation-protocol.md
// (alpha 1, beta 0.5, normalize_weight false).
func TestAnchor(t *testing.T) {
	for _, tc := range []struct {
		set  string
		topK int
		want evaltest.Want
	}{
		{"ml-100k", 300, evaltest.Want{NDCG: .4001, Recall: .2107, MAP: .1336, Hit: .9043}},
		{"ml-100k", 100, evaltest.Want{NDCG: .4059, Recall: .2238, MAP: .1369, Hit: .9202}},
		{"ml-latest-small", 300, evaltest.Want{NDCG: .1408, Recall: .0838, MAP: .0450, Hit: .5246}},
	} {
		name := fmt.Sprintf("%s/top_k=%d", tc.set, tc.topK)
		t.Run(name, func(t *testing.T) {
			if testing.Short() && tc.set == "ml-latest-small" {
				t.Skip("ml-latest-small anchor skipped in -short mode")
			}
			d := evaltest.Anchor(t, tc.set)
			m, err := New(algo.Params{"alpha": 1.0, "beta": 0.5, "top_k": tc.topK, "normalize_weight": false}, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), d.Train); err != nil {
				t.Fatal(err)
			}
			r := evaltest.EvalAt10(t, d, m)
			t.Logf("%s: ndcg %.5f recall %.5f map %.5f hit %.5f", name, r.NDCG, r.Recall, r.MAP, r.Hit)
			evaltest.Check(t, "RP3beta "+name, r, tc.want, 0.0002)
		})
	}
}

// BenchmarkFitML100K times fits on the ml-100k anchor training matrix.
func BenchmarkFitML100K(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	for _, k := range []int{300, 100} {
		b.Run(fmt.Sprintf("top_k=%d", k), func(b *testing.B) {
			algotest.ReportCPU(b, func() {
				m, _ := New(algo.Params{"beta": 0.5, "top_k": k}, algo.Options{Threads: 2})
				if err := m.Fit(context.Background(), d.Train); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
