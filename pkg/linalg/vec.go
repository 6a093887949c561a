package linalg

// dotGo is the pure-Go Dot.
func dotGo(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i <= n-8; i += 8 {
		xs := x[i : i+8 : i+8]
		ys := y[i : i+8 : i+8]
		s0 += xs[0]*ys[0] + xs[4]*ys[4]
		s1 += xs[1]*ys[1] + xs[5]*ys[5]
		s2 += xs[2]*ys[2] + xs[6]*ys[6]
		s3 += xs[3]*ys[3] + xs[7]*ys[7]
	}
	for ; i < n; i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGo is the pure-Go Axpy.
func axpyGo(a float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	i := 0
	for ; i <= n-8; i += 8 {
		xs := x[i : i+8 : i+8]
		ys := y[i : i+8 : i+8]
		ys[0] += a * xs[0]
		ys[1] += a * xs[1]
		ys[2] += a * xs[2]
		ys[3] += a * xs[3]
		ys[4] += a * xs[4]
		ys[5] += a * xs[5]
		ys[6] += a * xs[6]
		ys[7] += a * xs[7]
	}
	for ; i < n; i++ {
		y[i] += a * x[i]
	}
}

// Scale multiplies every element of x by a.
func Scale(a float32, x []float32) {
	n := len(x)
	i := 0
	for ; i <= n-8; i += 8 {
		xs := x[i : i+8 : i+8]
		xs[0] *= a
		xs[1] *= a
		xs[2] *= a
		xs[3] *= a
		xs[4] *= a
		xs[5] *= a
		xs[6] *= a
		xs[7] *= a
	}
	for ; i < n; i++ {
		x[i] *= a
	}
}

// Fill sets every element of x to v.
func Fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}

// Sum returns the sum of x, accumulated in float64.
func Sum(x []float32) float64 {
	var s0, s1, s2, s3 float64
	n := len(x)
	i := 0
	for ; i <= n-4; i += 4 {
		xs := x[i : i+4 : i+4]
		s0 += float64(xs[0])
		s1 += float64(xs[1])
		s2 += float64(xs[2])
		s3 += float64(xs[3])
	}
	for ; i < n; i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// Dot64 returns Σ x[i]·y[i] for float64 vectors; y must be at least as long
// as x.
func Dot64(x, y []float64) float64 {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i <= n-4; i += 4 {
		xs := x[i : i+4 : i+4]
		ys := y[i : i+4 : i+4]
		s0 += xs[0] * ys[0]
		s1 += xs[1] * ys[1]
		s2 += xs[2] * ys[2]
		s3 += xs[3] * ys[3]
	}
	for ; i < n; i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// MatVec computes dst[r] = M[r,:]·x for a row-major rows×cols matrix M,
// four rows per pass over x.
func MatVec(dst, m []float32, rows, cols int, x []float32) {
	dst = dst[:rows]
	x = x[:cols]
	m = m[:rows*cols]
	r := 0
	for ; r+4 <= rows; r += 4 {
		b := m[r*cols : (r+4)*cols]
		dst[r], dst[r+1], dst[r+2], dst[r+3] = Dot4(x, b[:cols], b[cols:2*cols], b[2*cols:3*cols], b[3*cols:])
	}
	for ; r < rows; r++ {
		dst[r] = Dot(x, m[r*cols:(r+1)*cols])
	}
}

// VecMatAdd computes dst[j] += Σ_r x[r]·M[r,j] for a row-major rows×cols
// matrix M (a row vector times a matrix, accumulated into dst), four rows
// of M per pass over dst.
func VecMatAdd(dst, x, m []float32, rows, cols int) {
	dst = dst[:cols]
	x = x[:rows]
	m = m[:rows*cols]
	r := 0
	for ; r+4 <= rows; r += 4 {
		b := m[r*cols : (r+4)*cols]
		Axpy4(dst, x[r], x[r+1], x[r+2], x[r+3], b[:cols], b[cols:2*cols], b[2*cols:3*cols], b[3*cols:])
	}
	for ; r < rows; r++ {
		Axpy(x[r], m[r*cols:(r+1)*cols], dst)
	}
}

// dotDiffGo is DotDiff in pure Go.
func dotDiffGo(p, a, b []float32) float32 {
	a, b = a[:len(p)], b[:len(p)]
	var s float32
	for i, v := range p {
		s += v * (a[i] - b[i])
	}
	return s
}

// axpy64Go is Axpy64 in pure Go.
func axpy64Go(a float64, x, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}
