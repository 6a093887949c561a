package denseslim

import (
	"context"
	"fmt"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// TestAnchor checks the exact anchor figures of evaluation-protocol.md.
func TestAnchor(t *testing.T) {
	for _, tc := range []struct {
		reg  float64
		want evaltest.Want
	}{
		{300, evaltest.Want{NDCG: .4561, Recall: .2419, MAP: .1588, Hit: .9309}},
		{100, evaltest.Want{NDCG: .4436, Recall: .2435, MAP: .1555, Hit: .9309}},
	} {
		name := fmt.Sprintf("ml-100k/reg=%v", tc.reg)
		t.Run(name, func(t *testing.T) {
			d := evaltest.Anchor(t, "ml-100k")
			m, err := New(algo.Params{"reg": tc.reg}, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), d.Train); err != nil {
				t.Fatal(err)
			}
			r := evaltest.EvalAt10(t, d, m)
			t.Logf("%s: ndcg %.5f recall %.5f map %.5f hit %.5f", name, r.NDCG, r.Recall, r.MAP, r.Hit)
			evaltest.Check(t, "DenseSLIM "+name, r, tc.want, 0.0002)
		})
	}
}

// BenchmarkFitML100K times fits on the ml-100k anchor training matrix.
func BenchmarkFitML100K(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	for _, reg := range []float64{300, 100} {
		b.Run(fmt.Sprintf("reg=%v", reg), func(b *testing.B) {
			algotest.ReportCPU(b, func() {
				m, _ := New(algo.Params{"reg": reg}, algo.Options{Threads: 2})
				if err := m.Fit(context.Background(), d.Train); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
