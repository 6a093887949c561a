package linalg

// gramBlock is the fixed number of rows a Gram partial sum covers. Partial
// sums are reduced in block order, so the result does not depend on the
// thread count.
const gramBlock = 2048

// Gram sets dst (k×k, row-major, fully symmetric) to VᵀV for the row-major
// n×k matrix v, using up to threads goroutines.
func Gram(dst, v []float32, n, k, threads int) {
	dst = dst[:k*k]
	v = v[:n*k]
	clear(dst)
	blocks := (n + gramBlock - 1) / gramBlock
	if blocks <= 1 {
		for b := 0; b < blocks; b++ {
			lo := b * gramBlock
			hi := min(lo+gramBlock, n)
			gramUpperAdd(dst, k, v[lo*k:hi*k], nil)
		}
		SymmetrizeUpper(dst, k)
		return
	}
	partial := make([]float32, blocks*k*k)
	ParallelForWorker(blocks, 1, threads, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			r0 := b * gramBlock
			r1 := min(r0+gramBlock, n)
			gramUpperAdd(partial[b*k*k:(b+1)*k*k], k, v[r0*k:r1*k], nil)
		}
	})
	for b := 0; b < blocks; b++ {
		p := partial[b*k*k : (b+1)*k*k]
		for i := 0; i < k; i++ {
			row := dst[i*k+i : (i+1)*k]
			Axpy(1, p[i*k+i:(i+1)*k], row)
		}
	}
	SymmetrizeUpper(dst, k)
}

// GramRowsAdd adds Σ_r w_r·v_r·v_rᵀ to the k×k symmetric matrix a, where v_r
// is row rows[j] of the row-major matrix v (k columns) and w_r = weights[j]
// (weights nil means every weight is 1). a must be symmetric on entry and
// is fully symmetric on return.
func GramRowsAdd(a []float32, k int, v []float32, rows []int32, weights []float32) {
	a = a[:k*k]
	var x0, x1, x2, x3 []float32
	j := 0
	w := func(j int) float32 {
		if weights == nil {
			return 1
		}
		return weights[j]
	}
	for ; j+4 <= len(rows); j += 4 {
		x0 = v[int(rows[j])*k : int(rows[j]+1)*k]
		x1 = v[int(rows[j+1])*k : int(rows[j+1]+1)*k]
		x2 = v[int(rows[j+2])*k : int(rows[j+2]+1)*k]
		x3 = v[int(rows[j+3])*k : int(rows[j+3]+1)*k]
		syr4Upper(a, k, w(j), w(j+1), w(j+2), w(j+3), x0, x1, x2, x3)
	}
	for ; j < len(rows); j++ {
		SyrUpper(a, k, w(j), v[int(rows[j])*k:int(rows[j]+1)*k])
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

// gramUpperAdd adds the upper triangle of (scaled) VᵀV for the rows of v
// (row-major, k columns) to a. scale nil means 1.
func gramUpperAdd(a []float32, k int, v []float32, scale []float32) {
	n := len(v) / k
	r := 0
	for ; r+4 <= n; r += 4 {
		syr4Upper(a, k, 1, 1, 1, 1, v[r*k:(r+1)*k], v[(r+1)*k:(r+2)*k], v[(r+2)*k:(r+3)*k], v[(r+3)*k:(r+4)*k])
	}
	for ; r < n; r++ {
		SyrUpper(a, k, 1, v[r*k:(r+1)*k])
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
