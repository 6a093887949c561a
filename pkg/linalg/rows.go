package linalg

import "fmt"

// DotRows sets e[j] = p·y_{idx[j]} for every j, where y_i is row i of the
// row-major matrix y with len(p) columns: the dot products of a vector
// with gathered rows (the residual and search-direction products of a
// conjugate-gradient row solve). Rows go four at a time as Dot4 computes
// them; the assembly walks all of them in one call.
func DotRows(e, p, y []float32, idx []int32) {
	k := len(p)
	e = e[:len(idx)]
	checkRows(y, k, idx)
	q := len(idx) / 4
	if q > 0 && k > 0 && dotRowsVec(e, p, y, idx, q) {
		idx, e = idx[4*q:], e[4*q:]
	}
	j := 0
	for ; j+4 <= len(idx); j += 4 {
		i0, i1, i2, i3 := int(idx[j]), int(idx[j+1]), int(idx[j+2]), int(idx[j+3])
		e[j], e[j+1], e[j+2], e[j+3] = Dot4(p, y[i0*k:i0*k+k], y[i1*k:i1*k+k], y[i2*k:i2*k+k], y[i3*k:i3*k+k])
	}
	for ; j < len(idx); j++ {
		i := int(idx[j])
		e[j] = Dot(p, y[i*k:i*k+k])
	}
}

// AxpyRows adds Σ_j w[j]·y_{idx[j]} to out, where y_i is row i of the
// row-major matrix y with len(out) columns, four rows at a time as Axpy4
// adds them; the assembly walks all of them in one call.
func AxpyRows(out, w, y []float32, idx []int32) {
	k := len(out)
	w = w[:len(idx)]
	checkRows(y, k, idx)
	q := len(idx) / 4
	if q > 0 && k > 0 && axpyRowsVec(out, w, y, idx, q) {
		idx, w = idx[4*q:], w[4*q:]
	}
	j := 0
	for ; j+4 <= len(idx); j += 4 {
		i0, i1, i2, i3 := int(idx[j]), int(idx[j+1]), int(idx[j+2]), int(idx[j+3])
		Axpy4(out, w[j], w[j+1], w[j+2], w[j+3], y[i0*k:i0*k+k], y[i1*k:i1*k+k], y[i2*k:i2*k+k], y[i3*k:i3*k+k])
	}
	for ; j < len(idx); j++ {
		i := int(idx[j])
		Axpy(w[j], y[i*k:i*k+k], out)
	}
}

// checkRows panics unless every idx names a row of y (k columns), which
// the assembly then reads without bounds checks.
func checkRows(y []float32, k int, idx []int32) {
	if k == 0 {
		return
	}
	rows := len(y) / k
	for _, i := range idx {
		if uint(i) >= uint(rows) {
			panic(fmt.Sprintf("linalg: row %d out of range [0, %d)", i, rows))
		}
	}
}
