package svd

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
)

// BenchmarkFitML100K: k 64 and 16 on the ml-100k anchor training matrix
// (irspack at 2 threads: 50-110 ms and 18-26 ms), and the large k a
// hyperparameter search samples from [4, 512].
func BenchmarkFitML100K(b *testing.B) {
	d := evaltest.Anchor(b, "ml-100k")
	for _, k := range []int{64, 16, 168, 326, 436, 512} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("k=%d/threads=%d", k, threads), func(b *testing.B) {
				b.ReportAllocs()
				c0 := cpuTime()
				for b.Loop() {
					m, _ := New(algo.Params{"n_components": k}, algo.Options{Threads: threads})
					if err := m.Fit(context.Background(), d.Train); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric((cpuTime()-c0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// cpuTime returns the process CPU time: on a machine shared with other jobs
// wall time overstates the work, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
