//go:build !blas

package linalg

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// invertSPD inverts a in place with gonum's LAPACK, filling the upper
// triangle.
func invertSPD(a []float64, n int) error {
	t, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: a})
	if !ok {
		return errNotSPD
	}
	if _, ok := lapack64.Potri(t); !ok {
		return errNotSPD
	}
	return nil
}
