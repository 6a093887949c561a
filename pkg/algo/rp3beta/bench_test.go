package rp3beta

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

var synth = sync.OnceValue(func() *sparse.CSR { return algotest.Synthetic(100000, 20000, 42) })

// BenchmarkFitSynth5M times RP3beta (beta 0.5, top_k 300) on the synthetic
// 5M-interaction set at 1 and 2 threads (run with -benchtime=1x).
func BenchmarkFitSynth5M(b *testing.B) {
	X := synth()
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			algotest.ReportCPU(b, func() {
				m, _ := New(algo.Params{"beta": 0.5, "top_k": 300}, algo.Options{Threads: threads})
				if err := m.Fit(context.Background(), X); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkFitMLLatestSmall times RP3beta (beta 0.5, top_k 300) on the
// ml-latest-small anchor training matrix.
func BenchmarkFitMLLatestSmall(b *testing.B) {
	d := evaltest.Anchor(b, "ml-latest-small")
	algotest.ReportCPU(b, func() {
		m, _ := New(algo.Params{"beta": 0.5, "top_k": 300}, algo.Options{Threads: 2})
		if err := m.Fit(context.Background(), d.Train); err != nil {
			b.Fatal(err)
		}
	})
}
