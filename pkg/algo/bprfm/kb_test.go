package bprfm

import (
	"context"
	"fmt"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

func BenchmarkEpochK(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	for _, k := range []int{55, 203} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("k%d/t%d", k, th), func(b *testing.B) {
				m, _ := New(algo.Params{"n_components": k}, algo.Options{Threads: th})
				m.Start(context.Background(), d.Train)
				b.ReportMetric(float64(d.Train.NNZ()), "nnz")
				for b.Loop() {
					m.Epoch(context.Background())
				}
			})
		}
	}
}
