//go:build blas

package linalg

/*
#cgo LDFLAGS: -lopenblas
extern void dpotrf_(char* uplo, int* n, double* a, int* lda, int* info);
extern void dpotri_(char* uplo, int* n, double* a, int* lda, int* info);
extern void openblas_set_num_threads(int n);
*/
import "C"

import (
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	blasnetlib "gonum.org/v1/netlib/blas/netlib"
)

// The blas build (go build -tags blas, CGO_ENABLED=1, Debian's
// libopenblas-dev) routes every gonum BLAS call (blas64, and through it
// gonum's mat and LAPACK) to OpenBLAS, and InvertSPD to OpenBLAS's LAPACK.
// OpenBLAS runs Threads() threads.
func init() {
	blas64.Use(blasnetlib.Implementation{})
	C.openblas_set_num_threads(C.int(Threads()))
	blasKernels = "+openblas"
}

// invertSPD inverts a with OpenBLAS dpotrf + dpotri. Column-major 'L' on a
// row-major matrix is its upper triangle.
func invertSPD(a []float64, n int) error {
	if n > math.MaxInt32 {
		return errNotSPD
	}
	uplo := C.char('L')
	cn := C.int(n)
	var info C.int
	C.dpotrf_(&uplo, &cn, (*C.double)(&a[0]), &cn, &info)
	if info != 0 {
		return errNotSPD
	}
	C.dpotri_(&uplo, &cn, (*C.double)(&a[0]), &cn, &info)
	if info != 0 {
		return errNotSPD
	}
	return nil
}
