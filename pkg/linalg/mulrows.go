package linalg

// MulRows4 sets dst[b·ld+j] = Σ_c x[b·k+c]·m[c·ld+j] for b < 4 and
// j < ld: four row vectors of length k (packed in x) times the row-major
// k×ld matrix m, into the four rows of dst (row stride ld). ld must be a
// multiple of 8 (pad m's rows with zeros). Each element of m is loaded
// once for the four vectors, where four MatVec calls would stream m four
// times: it is the kernel of solvers that advance several systems with
// the same matrix in step.
func MulRows4(dst, x, m []float32, k, ld int) {
	if ld%8 != 0 {
		panic("linalg: MulRows4: ld is not a multiple of 8")
	}
	dst = dst[:4*ld]
	if k == 0 {
		clear(dst)
		return
	}
	x = x[:4*k]
	m = m[:k*ld]
	if mulRows4Vec(dst, x, m, k, ld) {
		return
	}
	mulRows4Go(dst, x, m, k, ld)
}

// mulRows4Go is MulRows4 in pure Go.
func mulRows4Go(dst, x, m []float32, k, ld int) {
	clear(dst)
	for b := 0; b < 4; b++ {
		row := dst[b*ld : (b+1)*ld]
		for c, v := range x[b*k : (b+1)*k] {
			Axpy(v, m[c*ld:(c+1)*ld], row)
		}
	}
}
