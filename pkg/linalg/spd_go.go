//go:build !blas

package linalg

// invertSPD inverts a in place on up to threads goroutines, filling the
// upper triangle: CholInv leaves the upper Cholesky factor R (a = RᵀR) in
// a and X = R⁻¹ beside it; then a takes Xᵀ and X becomes a⁻¹ = X·Xᵀ in
// place (one Gemm64), copied back into a. Peak memory: two n×n float64
// matrices.
func invertSPD(a []float64, n, threads int) error {
	var ws GemmScratch
	x := make([]float64, n*n)
	if !CholInv(&ws, a, n, x, n, n, 0, threads) {
		return errNotSPD
	}
	TransposeTo(a, x, n, n, threads)
	Gemm64(&ws, x, n, x, n, a, n, n, n, n, InPlace|UpperC, threads)
	copy(a, x)
	return nil
}
