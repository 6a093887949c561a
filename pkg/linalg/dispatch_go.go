//go:build !amd64 || purego

package linalg

// Dot returns Σ x[i]·y[i] over the first len(x) elements. y must be at least
// as long as x.
func Dot(x, y []float32) float32 { return dotGo(x, y) }

// Axpy computes y[i] += a·x[i] over the first len(x) elements. y must be at
// least as long as x.
func Axpy(a float32, x, y []float32) { axpyGo(a, x, y) }

// DotDiff returns Σ p[i]·(a[i] − b[i]) over the first len(p) elements,
// p·a − p·b in one pass. a and b must be at least as long as p.
func DotDiff(p, a, b []float32) float32 { return dotDiffGo(p, a[:len(p)], b[:len(p)]) }

// Axpy64 computes y[i] += a·x[i] over the first len(x) elements, in
// float64. y must be at least as long as x.
func Axpy64(a float64, x, y []float64) { axpy64Go(a, x, y) }

// Dot4 returns the dot products of x with y0..y3, loading x once. Each y
// must be at least as long as x.
func Dot4(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) { return dot4Go(x, y0, y1, y2, y3) }

func dot1(x, y []float32) float32 { return dot1Go(x, y) }

// Axpy4 computes row[j] += a0·y0[j] + a1·y1[j] + a2·y2[j] + a3·y3[j]. Each y
// must be at least as long as row.
func Axpy4(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32) {
	axpy4Go(row, a0, a1, a2, a3, y0, y1, y2, y3)
}

// bprStepVec runs the vector part of BPRStep; without assembly there is none.
func bprStepVec(_, _, _, _, _, _ []float32, _, _, _, _ float32) int { return 0 }

// mulRows4Vec: without assembly the pure-Go loop runs.
func mulRows4Vec(_, _, _ []float32, _, _ int) bool { return false }

// dot4Items sets d_b[i] = Dot4(v_i, y0, y1, y2, y3)_b for the n rows v_i
// of the row-major n×k matrix v.
func dot4Items(v []float32, n, k int, y0, y1, y2, y3, d0, d1, d2, d3 []float32) {
	for i := range n {
		d0[i], d1[i], d2[i], d3[i] = Dot4(v[i*k:(i+1)*k], y0, y1, y2, y3)
	}
}

// dotRowsVec and axpyRowsVec: without assembly the Go loops run.
func dotRowsVec(_, _, _ []float32, _ []int32, _ int) bool  { return false }
func axpyRowsVec(_, _, _ []float32, _ []int32, _ int) bool { return false }

// firstAbove returns the first index i ≥ from with s[i] > thr, or len(s).
func firstAbove(s []float32, from int, thr float32) int { return firstAboveGo(s, from, thr) }

// kernel4x8 sets the 4×8 tile c to Σ_{p<k} a[i·lda+p]·b[p·8+j].
func kernel4x8(k int, a []float64, lda int, b []float64, c []float64) {
	kernel4x8Go(k, a, lda, b, c)
}

// kernel4x8T sets the 4×8 tile c to Σ_{p<k} a[p·lda+i]·b[p·8+j].
func kernel4x8T(k int, a []float64, lda int, b []float64, c []float64) {
	kernel4x8TGo(k, a, lda, b, c)
}
