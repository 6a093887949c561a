package ials

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

var (
	synthOnce sync.Once
	synth     *sparse.CSR
)

// synth5M returns the synthetic 5M-interaction matrix of the protocol
// ("Scale": 100000 users × 20000 items).
func synth5M() *sparse.CSR {
	synthOnce.Do(func() { synth = algotest.Synthetic(100000, 20000, 42) })
	return synth
}

var anchorParams = algo.Params{"n_components": 64, "alpha0": 0.3, "reg": 0.01, "train_epochs": 16}

func benchFit(b *testing.B, x *sparse.CSR, p algo.Params, threads int) {
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		m, err := New(p, algo.Options{Threads: threads})
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Fit(context.Background(), x); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
}

// reportCPU reports the process CPU time per op since c0: on a machine
// shared with other jobs wall time overstates the work, CPU time does not.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkFitML100K: k64, α0 .3, reg .01, 16 epochs on the ml-100k anchor
// training matrix (irspack: 166-251 ms CG, 399-976 ms Cholesky at 2 threads).
func BenchmarkFitML100K(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	for _, solver := range []string{SolverCG, SolverCholesky} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", solver, threads), func(b *testing.B) {
				benchFit(b, d.Train, anchorParams.Merge(algo.Params{"solver_type": solver}), threads)
			})
		}
	}
}

// BenchmarkFitSynth5M: k64, 16 epochs, CG 3 steps on the synthetic 5M set
// (irspack: 10.5 s at 2 threads with its release flags).
func BenchmarkFitSynth5M(b *testing.B) {
	x := synth5M()
	b.Logf("synthetic matrix: %d×%d, %d interactions", x.Rows, x.Cols, x.NNZ())
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			benchFit(b, x, anchorParams, threads)
		})
	}
}

// BenchmarkEpochSynth5M times one epoch on the synthetic set (for
// profiling without the 16-epoch wait).
func BenchmarkEpochSynth5M(b *testing.B) {
	x := synth5M()
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			m, _ := New(anchorParams, algo.Options{Threads: threads})
			if err := m.Start(context.Background(), x); err != nil {
				b.Fatal(err)
			}
			c0 := cpuTime()
			for b.Loop() {
				if err := m.Epoch(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// cpuTime returns the process CPU time: on a machine shared with other jobs
// wall time overstates the work, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
