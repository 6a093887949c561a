package linalg

import (
	"fmt"
	"math"
)

// Cholesky factors the symmetric positive definite n×n row-major matrix a
// in place: on return its lower triangle (diagonal included) holds L with
// a = L·Lᵀ. The strict upper triangle is left untouched. It fails when a is
// not (numerically) positive definite.
func Cholesky(a []float64, n int) error {
	a = a[:n*n]
	for j := 0; j < n; j++ {
		rj := a[j*n : j*n+j]
		d := a[j*n+j] - Dot64(rj, rj)
		if !(d > 0) {
			return fmt.Errorf("cholesky: matrix is not positive definite (pivot %d is %g)", j, d)
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		inv := 1 / d
		for i := j + 1; i < n; i++ {
			ri := a[i*n : i*n+j]
			a[i*n+j] = (a[i*n+j] - Dot64(ri, rj)) * inv
		}
	}
	return nil
}

// CholeskySolve solves L·Lᵀ·x = b in place (b becomes x), with L the lower
// triangle left in l by Cholesky.
func CholeskySolve(l []float64, n int, b []float64) {
	l = l[:n*n]
	b = b[:n]
	for i := 0; i < n; i++ {
		b[i] = (b[i] - Dot64(l[i*n:i*n+i], b[:i])) / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < n; j++ {
			s -= l[j*n+i] * b[j]
		}
		b[i] = s / l[i*n+i]
	}
}

// SolveSPD solves a·x = b for a symmetric positive definite a, overwriting
// a with its Cholesky factor and b with x.
func SolveSPD(a []float64, n int, b []float64) error {
	if err := Cholesky(a, n); err != nil {
		return err
	}
	CholeskySolve(a, n, b)
	return nil
}

// SolveSPD32 solves a·x = b for a float32 symmetric positive definite a in
// float64 precision, writing x into b. a is not modified. work must hold at
// least n·n+n float64 values (it is grown when nil or short) and is
// returned for reuse.
func SolveSPD32(a []float32, n int, b []float32, work []float64) ([]float64, error) {
	if len(work) < n*n+n {
		work = make([]float64, n*n+n)
	}
	m := work[:n*n]
	x := work[n*n : n*n+n]
	for i, v := range a[:n*n] {
		m[i] = float64(v)
	}
	for i, v := range b[:n] {
		x[i] = float64(v)
	}
	if err := SolveSPD(m, n, x); err != nil {
		return work, err
	}
	for i, v := range x {
		b[i] = float32(v)
	}
	return work, nil
}
