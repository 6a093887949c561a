package toppop

import (
	"context"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// TestAnchor checks the exact anchor figures of evaluation-protocol.md.
func TestAnchor(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want evaltest.Want
	}{
		{"ml-100k", evaltest.Want{NDCG: .2048, Recall: .1096, MAP: .0487, Hit: .7819}},
		{"ml-latest-small", evaltest.Want{NDCG: .2088, Recall: .0602, MAP: .0328, Hit: .6148}},
	} {
		t.Run(tc.set, func(t *testing.T) {
			if testing.Short() && tc.set == "ml-latest-small" {
				t.Skip("ml-latest-small anchor skipped in -short mode")
			}
			d := evaltest.Anchor(t, tc.set)
			m, err := New(nil, algo.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), d.Train); err != nil {
				t.Fatal(err)
			}
			r := evaltest.EvalAt10(t, d, m)
			t.Logf("%s: ndcg %.5f recall %.5f map %.5f hit %.5f", tc.set, r.NDCG, r.Recall, r.MAP, r.Hit)
			evaltest.Check(t, "TopPop", r, tc.want, 0.0002)
		})
	}
}

// BenchmarkFitML100K times a fit on the ml-100k anchor training matrix.
func BenchmarkFitML100K(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	algotest.ReportCPU(b, func() {
		m, _ := New(nil, algo.Options{Threads: 2})
		if err := m.Fit(context.Background(), d.Train); err != nil {
			b.Fatal(err)
		}
	})
}
