package knn

import (
	"context"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// BenchmarkFitMLLatestSmall times CosineKNN (top_k 100, normalize) on the
// ml-latest-small anchor training matrix.
func BenchmarkFitMLLatestSmall(b *testing.B) {
	d := evaltest.Anchor(b, "ml-latest-small")
	algotest.ReportCPU(b, func() {
		m, _ := New(algo.Params{"top_k": 100, "normalize": true}, algo.Options{Threads: 2})
		if err := m.Fit(context.Background(), d.Train); err != nil {
			b.Fatal(err)
		}
	})
}
