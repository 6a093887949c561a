package linalg

import "fmt"

// InvertSPD replaces the n×n row-major symmetric positive definite matrix a
// with its inverse (both triangles filled). The default build runs CholInv
// and one Gemm64 on up to threads goroutines; the blas build runs
// OpenBLAS's dpotrf/dpotri (on the threads OpenBLAS was given). It fails
// when a is not positive definite.
func InvertSPD(a []float64, n, threads int) error {
	if len(a) < n*n {
		return fmt.Errorf("invert: %d values for a %dx%d matrix", len(a), n, n)
	}
	if n == 0 {
		return nil
	}
	if err := invertSPD(a[:n*n], n, max(threads, 1)); err != nil {
		return err
	}
	// The implementations fill the upper triangle (row-major).
	for i := 1; i < n; i++ {
		row := a[i*n : i*n+i]
		for j := range row {
			row[j] = a[j*n+i]
		}
	}
	return nil
}

// errNotSPD is returned when a factorisation meets a non-positive pivot.
var errNotSPD = fmt.Errorf("invert: matrix is not positive definite")
