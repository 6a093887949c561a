//go:build amd64 && !purego

package linalg

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels of kernels_amd64.s (AVX2 + FMA, 8
// float32 lanes) when the CPU and OS support them; otherwise the pure-Go
// kernels run. The build tag purego leaves the assembly out.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if useAVX2 {
		asmKernels = "+avx2-asm"
	}
}

// Dot returns Σ x[i]·y[i] over the first len(x) elements. y must be at least
// as long as x.
func Dot(x, y []float32) float32 {
	y = y[:len(x)]
	if useAVX2 && len(x) >= 16 {
		return dotAVX2(x, y)
	}
	return dotGo(x, y)
}

// Axpy computes y[i] += a·x[i] over the first len(x) elements. y must be at
// least as long as x.
func Axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	if useAVX2 && len(x) >= 8 {
		axpyAVX2(a, x, y)
		return
	}
	axpyGo(a, x, y)
}

// DotDiff returns Σ p[i]·(a[i] − b[i]) over the first len(p) elements,
// p·a − p·b in one pass (a pairwise ranking step's score difference). a
// and b must be at least as long as p.
func DotDiff(p, a, b []float32) float32 {
	a, b = a[:len(p)], b[:len(p)]
	if useAVX2 {
		return dotDiffAVX2(p, a, b)
	}
	return dotDiffGo(p, a, b)
}

// Axpy64 computes y[i] += a·x[i] over the first len(x) elements, in
// float64. y must be at least as long as x.
func Axpy64(a float64, x, y []float64) {
	y = y[:len(x)]
	if useAVX2 && len(x) >= 8 {
		axpy64AVX2(len(x), a, &x[0], &y[0])
		return
	}
	axpy64Go(a, x, y)
}

// Dot4 returns the dot products of x with y0..y3, loading x once. Each y
// must be at least as long as x.
func Dot4(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) {
	n := len(x)
	y0, y1, y2, y3 = y0[:n], y1[:n], y2[:n], y3[:n]
	if useAVX2 {
		return dot4AVX2(x, y0, y1, y2, y3)
	}
	return dot4Go(x, y0, y1, y2, y3)
}

func dot1(x, y []float32) float32 {
	y = y[:len(x)]
	if useAVX2 {
		return dot1AVX2(x, y)
	}
	return dot1Go(x, y)
}

// Axpy4 computes row[j] += a0·y0[j] + a1·y1[j] + a2·y2[j] + a3·y3[j]. Each y
// must be at least as long as row.
func Axpy4(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32) {
	n := len(row)
	y0, y1, y2, y3 = y0[:n], y1[:n], y2[:n], y3[:n]
	if useAVX2 && n >= 8 {
		axpy4AVX2(row, a0, a1, a2, a3, y0, y1, y2, y3)
		return
	}
	axpy4Go(row, a0, a1, a2, a3, y0, y1, y2, y3)
}

// The assembly kernels; lengths are checked by the wrappers above.

//go:noescape
func dotAVX2(x, y []float32) float32

//go:noescape
func dotDiffAVX2(p, a, b []float32) float32

//go:noescape
func axpy64AVX2(n int, s float64, x *float64, y *float64)

//go:noescape
func axpyAVX2(a float32, x, y []float32)

//go:noescape
func dot4AVX2(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32)

//go:noescape
func dot1AVX2(x, y []float32) float32

//go:noescape
func axpy4AVX2(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32)

// bprStepVec runs BPRStep on the leading multiple of 8 components with
// AVX2 and returns how many it did.
func bprStepVec(p, qi, qj, gp, gqi, gqj []float32, g, lr, ia, ua float32) int {
	n := len(p) &^ 7
	if !useAVX2 || n == 0 {
		return 0
	}
	bprStepAVX2(p[:n], qi, qj, gp, gqi, gqj, g, lr, ia, ua)
	return n
}

//go:noescape
func bprStepAVX2(p, qi, qj, gp, gqi, gqj []float32, grad, lr, ia, ua float32)

// dot4Items sets d_b[i] = Dot4(v_i, y0, y1, y2, y3)_b for the n rows v_i
// of the row-major n×k matrix v, bit for bit as Dot4 would, in one call.
func dot4Items(v []float32, n, k int, y0, y1, y2, y3, d0, d1, d2, d3 []float32) {
	v = v[:n*k]
	y0, y1, y2, y3 = y0[:k], y1[:k], y2[:k], y3[:k]
	d0, d1, d2, d3 = d0[:n], d1[:n], d2[:n], d3[:n]
	if !useAVX2 || n == 0 || k == 0 {
		for i := range n {
			d0[i], d1[i], d2[i], d3[i] = Dot4(v[i*k:(i+1)*k], y0, y1, y2, y3)
		}
		return
	}
	dot4ItemsAVX2(&v[0], n, k, &y0[0], &y1[0], &y2[0], &y3[0], &d0[0], &d1[0], &d2[0], &d3[0])
}

//go:noescape
func dot4ItemsAVX2(v *float32, n, k int, y0, y1, y2, y3, d0, d1, d2, d3 *float32)

// dotRowsVec runs the first q quads of DotRows in assembly when the CPU
// has AVX2 (rows checked by the caller).
func dotRowsVec(e, p, y []float32, idx []int32, q int) bool {
	if !useAVX2 {
		return false
	}
	dot4GatherAVX2(&p[0], len(p), &y[0], &idx[0], &e[0], q)
	return true
}

// axpyRowsVec runs the first q quads of AxpyRows in assembly when Axpy4
// would (AVX2, at least 8 columns).
func axpyRowsVec(out, w, y []float32, idx []int32, q int) bool {
	if !useAVX2 || len(out) < 8 {
		return false
	}
	axpy4GatherAVX2(&out[0], len(out), &y[0], &idx[0], &w[0], q)
	return true
}

//go:noescape
func dot4GatherAVX2(p *float32, k int, y *float32, idx *int32, e *float32, nq int)

//go:noescape
func axpy4GatherAVX2(out *float32, k int, y *float32, idx *int32, w *float32, nq int)

// firstAbove returns the first index i ≥ from with s[i] > thr, or len(s).
func firstAbove(s []float32, from int, thr float32) int {
	if !useAVX2 || from >= len(s) {
		return firstAboveGo(s, from, thr)
	}
	return firstAboveAVX2(s, from, thr)
}

//go:noescape
func firstAboveAVX2(s []float32, from int, thr float32) int

// mulRows4Vec runs MulRows4 in assembly when the CPU has AVX2 (lengths
// checked by the caller).
func mulRows4Vec(dst, x, m []float32, k, ld int) bool {
	if !useAVX2 {
		return false
	}
	mulRows4AVX2(&dst[0], &x[0], &m[0], k, ld)
	return true
}

//go:noescape
func mulRows4AVX2(dst, x, m *float32, k, ld int)

// kernel4x8 sets the 4×8 tile c to Σ_{p<k} a[i·lda+p]·b[p·8+j].
func kernel4x8(k int, a []float64, lda int, b []float64, c []float64) {
	if k == 0 {
		clear(c[:tileM*tileN])
		return
	}
	if !useAVX2 {
		kernel4x8Go(k, a, lda, b, c)
		return
	}
	// Bounds the assembly trusts.
	_ = a[3*lda+k-1]
	_ = b[k*tileN-1]
	_ = c[tileM*tileN-1]
	kernel4x8AVX2(k, &a[0], lda, &b[0], &c[0])
}

// kernel4x8T sets the 4×8 tile c to Σ_{p<k} a[p·lda+i]·b[p·8+j].
func kernel4x8T(k int, a []float64, lda int, b []float64, c []float64) {
	if k == 0 {
		clear(c[:tileM*tileN])
		return
	}
	if !useAVX2 {
		kernel4x8TGo(k, a, lda, b, c)
		return
	}
	_ = a[(k-1)*lda+tileM-1]
	_ = b[k*tileN-1]
	_ = c[tileM*tileN-1]
	kernel4x8TAVX2(k, &a[0], lda, &b[0], &c[0])
}

//go:noescape
func kernel4x8TAVX2(k int, a *float64, lda int, b *float64, c *float64)

//go:noescape
func kernel4x8AVX2(k int, a *float64, lda int, b *float64, c *float64)
