package bprfm

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// BenchmarkFitML100K: the default model (K 64, 64 epochs, BPR) on the
// ml-100k anchor training matrix. Training is sequential.
func BenchmarkFitML100K(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		m, _ := New(nil, algo.Options{Threads: 1})
		if err := m.Fit(context.Background(), d.Train); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime returns the process CPU time: on a machine shared with other jobs
// wall time overstates the work, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
