package denseslim

import (
	"context"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// BenchmarkFitMLLatestSmall times DenseSLIM reg 300 on the ml-latest-small
// anchor training matrix (610 users × 9724 items) and reports the process's
// peak RSS ("peak-MiB", data and test binary included).
func BenchmarkFitMLLatestSmall(b *testing.B) {
	d := evaltest.Anchor(b, "ml-latest-small")
	algotest.ReportCPU(b, func() {
		m, _ := New(algo.Params{"reg": 300.0}, algo.Options{Threads: 2})
		if err := m.Fit(context.Background(), d.Train); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(algotest.PeakRSS())/(1<<20), "peak-MiB")
}

// TestAnchorMLLatestSmall runs the ml-latest-small DenseSLIM row of the
// anchor table (reg 300). The Woodbury route makes it cheap enough to test.
func TestAnchorMLLatestSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("ml-latest-small anchor skipped in -short mode")
	}
	d := evaltest.Anchor(t, "ml-latest-small")
	m, err := New(algo.Params{"reg": 300.0}, algo.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), d.Train); err != nil {
		t.Fatal(err)
	}
	r := evaltest.EvalAt10(t, d, m)
	t.Logf("ml-latest-small reg=300: ndcg %.5f recall %.5f map %.5f hit %.5f", r.NDCG, r.Recall, r.MAP, r.Hit)
	evaltest.Check(t, "DenseSLIM ml-latest-small reg=300", r, evaltest.Want{NDCG: .4445, Recall: .1737, MAP: .1141, Hit: .8770}, 0.0002)
}
