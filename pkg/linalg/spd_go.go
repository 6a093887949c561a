//go:build !blas

package linalg

// invertSPD inverts a in place on up to threads goroutines, filling the
// upper triangle: CholInv leaves the upper Cholesky factor R (a = RᵀR) in
// a and X = R⁻¹ beside it, then a⁻¹ = X·Xᵀ is one Gemm64.
func invertSPD(a []float64, n, threads int) error {
	var ws GemmScratch
	x := make([]float64, n*n)
	if !CholInv(&ws, a, n, x, n, n, 0, threads) {
		return errNotSPD
	}
	xt := make([]float64, n*n)
	TransposeTo(xt, x, n, n, threads)
	Gemm64(&ws, a, n, x, n, xt, n, n, n, n, UpperC, threads)
	return nil
}
