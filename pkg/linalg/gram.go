package linalg

// gramBlock is the fixed number of rows a Gram partial sum covers.
const gramBlock = 256

// Gram sets dst (k×k, row-major, fully symmetric) to scale·VᵀV for the
// row-major n×k matrix v, using up to threads goroutines. Rows are summed in
// float32 blocks of gramBlock rows (keeping partial sums short) and the
// blocks in float64, in block order, so the result does not depend on the
// thread count.
func Gram(dst, v []float32, n, k int, scale float64, threads int) {
	dst = dst[:k*k]
	v = v[:n*k]
	nb := max((n+gramBlock-1)/gramBlock, 1)
	parts := make([]float32, nb*k*k)
	ParallelForWorker(nb, 1, threads, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			GramRowsAdd(parts[b*k*k:(b+1)*k*k], k, v[min(b*gramBlock, n)*k:min((b+1)*gramBlock, n)*k], nil, nil)
		}
	})
	for a := 0; a < k; a++ {
		for c := a; c < k; c++ {
			var s float64
			for b := 0; b < nb; b++ {
				s += float64(parts[b*k*k+a*k+c])
			}
			dst[a*k+c] = float32(scale * s)
		}
	}
	SymmetrizeUpper(dst, k)
}

// GramRowsAdd adds Σ_r w_r·v_r·v_rᵀ to the k×k symmetric matrix a, where v_r
// is row rows[j] of the row-major matrix v (k columns; rows nil means every
// row of v, in order) and w_r = weights[j] (weights nil means every weight
// is 1). a must be symmetric on entry and is fully symmetric on return.
func GramRowsAdd(a []float32, k int, v []float32, rows []int32, weights []float32) {
	a = a[:k*k]
	n := len(rows)
	if rows == nil && k > 0 {
		n = len(v) / k
	}
	row := func(j int) []float32 {
		r := j
		if rows != nil {
			r = int(rows[j])
		}
		return v[r*k : (r+1)*k]
	}
	w := func(j int) float32 {
		if weights == nil {
			return 1
		}
		return weights[j]
	}
	j := 0
	for ; j+4 <= n; j += 4 {
		syr4Upper(a, k, w(j), w(j+1), w(j+2), w(j+3), row(j), row(j+1), row(j+2), row(j+3))
	}
	for ; j < n; j++ {
		SyrUpper(a, k, w(j), row(j))
	}
	SymmetrizeUpper(a, k)
}

// SyrUpper adds alpha·x·xᵀ to the upper triangle (j ≥ i) of the k×k
// row-major matrix a. Call SymmetrizeUpper once after a series of updates.
func SyrUpper(a []float32, k int, alpha float32, x []float32) {
	x = x[:k]
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		Axpy(alpha*xi, x[i:], a[i*k+i:(i+1)*k])
	}
}

// SymmetrizeUpper copies the upper triangle of the k×k row-major matrix a
// onto its lower triangle.
func SymmetrizeUpper(a []float32, k int) {
	for i := 1; i < k; i++ {
		row := a[i*k : i*k+i]
		for j := range row {
			row[j] = a[j*k+i]
		}
	}
}

// syr4Upper adds Σ_q w_q·x_q·x_qᵀ for four vectors to the upper triangle of
// a, touching each element of a once.
func syr4Upper(a []float32, k int, w0, w1, w2, w3 float32, x0, x1, x2, x3 []float32) {
	x0 = x0[:k]
	x1 = x1[:k]
	x2 = x2[:k]
	x3 = x3[:k]
	for i := 0; i < k; i++ {
		a0, a1, a2, a3 := w0*x0[i], w1*x1[i], w2*x2[i], w3*x3[i]
		row := a[i*k+i : (i+1)*k]
		y0 := x0[i:]
		y1 := x1[i : len(y0)+i]
		y2 := x2[i : len(y0)+i]
		y3 := x3[i : len(y0)+i]
		Axpy4(row, a0, a1, a2, a3, y0, y1, y2, y3)
	}
}

// axpy4Go computes row[j] += a0·y0[j] + a1·y1[j] + a2·y2[j] + a3·y3[j].
func axpy4Go(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32) {
	y0 = y0[:len(row)]
	y1 = y1[:len(row)]
	y2 = y2[:len(row)]
	y3 = y3[:len(row)]
	for j := range row {
		row[j] += a0*y0[j] + a1*y1[j] + a2*y2[j] + a3*y3[j]
	}
}
