//go:build amd64 && !purego

package svd

import "golang.org/x/sys/cpu"

// useFMA selects the assembly kernels of gemm_amd64.s (AVX2 + FMA) when the
// CPU and OS support them. The build tag purego leaves the assembly out.
var useFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// axpy64x4 computes y += w[0]·x0 + w[1]·x1 + w[2]·x2 + w[3]·x3; every x
// must be at least as long as y.
func axpy64x4(y []float64, w *[4]float64, x0, x1, x2, x3 []float64) {
	if !useFMA || len(y) == 0 {
		axpy64x4Go(y, w, x0, x1, x2, x3)
		return
	}
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	axpy4AVX2(n, &w[0], &x0[0], &x1[0], &x2[0], &x3[0], &y[0])
}

//go:noescape
func axpy4AVX2(n int, w *float64, x0, x1, x2, x3 *float64, y *float64)

// rot applies the rotation x' = c·x − s·y, y' = s·x + c·y.
func rot(x, y []float64, c, s float64) {
	if !useFMA || len(x) == 0 {
		rotGo(x, y, c, s)
		return
	}
	y = y[:len(x)]
	rotAVX2(len(x), c, s, &x[0], &y[0])
}

//go:noescape
func rotAVX2(n int, c, s float64, x, y *float64)

// dot64 returns Σ x[i]·y[i]; len(y) must be at least len(x).
func dot64(x, y []float64) float64 {
	if !useFMA || len(x) < 8 {
		return dot64Go(x, y)
	}
	y = y[:len(x)]
	return dotAVX2(len(x), &x[0], &y[0])
}

//go:noescape
func dotAVX2(n int, x, y *float64) float64
