package svd

import "github.com/codelibs/recotem-go/pkg/linalg"

// The dense float64 products of the randomized SVD are linalg.Gemm64's; the
// vector kernels axpy64x4, dot64 and rot have assembly versions in
// gemm_amd64.s on AVX2 + FMA machines, the *Go functions being the portable
// ones (build tag purego, other architectures, CPUs without FMA).

// gramRows is the number of rows gramUpper hands to one product.
const gramRows = 4096

// scratch holds the large temporary buffers of one fit, reused across the
// power iterations instead of allocated (and cleared) each time.
type scratch struct {
	gemm linalg.GemmScratch
	part []float64
}

// gramUpper sets the upper triangle of g (l×l) to aᵀa for the row-major
// m×l matrix a; the lower triangle is unspecified.
//
// Blocks of gramRows rows are summed in order, which bounds the packing
// buffer of linalg.Gemm64.
func gramUpper(ws *scratch, g, a []float64, m, l, threads int) {
	for r0 := 0; r0 < m; r0 += gramRows {
		r1 := min(r0+gramRows, m)
		blk := a[r0*l : r1*l]
		if r0 == 0 {
			linalg.Gemm64(&ws.gemm, g, l, blk, l, blk, l, l, l, r1-r0, linalg.TransA|linalg.UpperC, threads)
			continue
		}
		part := linalg.Buf(&ws.part, l*l)
		linalg.Gemm64(&ws.gemm, part, l, blk, l, blk, l, l, l, r1-r0, linalg.TransA|linalg.UpperC, threads)
		for i := 0; i < l; i++ {
			axpy64(g[i*l+i:(i+1)*l], 1, part[i*l+i:(i+1)*l])
		}
	}
}

// axpy64 computes y += s·x; len(x) must be at least len(y).
func axpy64(y []float64, s float64, x []float64) { linalg.Axpy64(s, x[:len(y)], y) }

// axpy64x4Go computes y += w[0]·x0 + w[1]·x1 + w[2]·x2 + w[3]·x3.
func axpy64x4Go(y []float64, w *[4]float64, x0, x1, x2, x3 []float64) {
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	for i := range y {
		y[i] += w[0]*x0[i] + w[1]*x1[i] + w[2]*x2[i] + w[3]*x3[i]
	}
}

// dot64Go returns Σ x[i]·y[i]; len(y) must be at least len(x).
func dot64Go(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	s := (s0 + s2) + (s1 + s3)
	for ; i < len(x); i++ {
		s += x[i] * y[i]
	}
	return s
}
