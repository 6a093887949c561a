package ials

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSparseAp measures the sparse A·p kernel on 64-wide factors:
// reports CPU GFMA/s (2 multiply-adds per element: dot and axpy).
func BenchmarkSparseAp(b *testing.B) {
	const k, items, n = 64, 20000, 50
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float32, items*k)
	for i := range y {
		y[i] = rng.Float32()
	}
	idx := make([]int32, n)
	c := make([]float32, n)
	for j := range idx {
		idx[j] = int32(rng.IntN(items))
		c[j] = 1
	}
	p := make([]float32, k)
	out := make([]float32, k)
	for i := range p {
		p[i] = rng.Float32()
	}
	e := make([]float32, n)
	c0 := cpuTime()
	for b.Loop() {
		for r := 0; r < 100; r++ {
			sparseDots(e, p, y, idx, k)
			for j := range e {
				e[j] *= c[j]
			}
			sparseAxpy(out, e, y, idx, k)
		}
	}
	el := cpuTime() - c0
	b.ReportMetric(float64(b.N)*100*2*n*k/el.Seconds()/1e9, "GFMA/s")
}
