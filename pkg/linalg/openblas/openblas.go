//go:build blas

package openblas

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

// Use routes every gonum BLAS call (blas64, and through it gonum's mat and
// LAPACK) to OpenBLAS, which runs threads threads.
func Use(threads int) {
	blas64.Use(blasnetlib.Implementation{})
	C.openblas_set_num_threads(C.int(threads))
}

// InvertSPD inverts the n×n row-major symmetric positive definite matrix a
// in place with dpotrf + dpotri, filling its upper triangle (column-major
// 'L' on a row-major matrix). It reports false when a is not positive
// definite.
func InvertSPD(a []float64, n int) bool {
	if n > math.MaxInt32 || len(a) < n*n {
		return false
	}
	uplo := C.char('L')
	cn := C.int(n)
	var info C.int
	C.dpotrf_(&uplo, &cn, (*C.double)(&a[0]), &cn, &info)
	if info != 0 {
		return false
	}
	C.dpotri_(&uplo, &cn, (*C.double)(&a[0]), &cn, &info)
	return info == 0
}
