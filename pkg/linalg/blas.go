//go:build blas

package linalg

import "github.com/codelibs/recotem-go/pkg/linalg/openblas"

// The blas build routes gonum's BLAS and InvertSPD to OpenBLAS (see package
// openblas), which runs Threads() threads.
func init() {
	openblas.Use(Threads())
	blasKernels = "+openblas"
}

// invertSPD inverts a with OpenBLAS, filling the upper triangle; OpenBLAS
// runs the threads given to it at start-up.
func invertSPD(a []float64, n, _ int) error {
	if !openblas.InvertSPD(a, n) {
		return errNotSPD
	}
	return nil
}
