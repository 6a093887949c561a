package linalg

// Dense float64 products. Gemm64 packs B into panels of tileN columns and
// computes C tile by tile (tileM × tileN) with kernel4x8 (or kernel4x8T for
// a transposed A), which gemm64_amd64.s provides on AVX2 + FMA machines;
// the *Go functions are the portable versions (build tag purego, other
// architectures, CPUs without FMA). Every element of C is summed by one
// kernel call in a fixed order, so the result does not depend on the thread
// count.

import "math"

const (
	tileM = 4
	tileN = 8
	// chunkRows is the number of rows of A a worker takes at a time: 32 rows
	// of ~450-1700 values stay in the L2 cache while the panels of B pass.
	chunkRows = 32
	// gramRows is the number of rows gramUpper hands to one gemm.
	gramRows = 4096
)

// GemmOpt selects the structured variants of Gemm64.
type GemmOpt int

const (
	// TriB: B is upper triangular, so the sum for column j stops at p = j.
	TriB GemmOpt = 1 << iota
	// TransA: a holds Aᵀ (k×m, stride lda).
	TransA
	// InPlace: c is a (same rows, ldc = lda, k = n); each chunk of rows is
	// computed into a buffer before it replaces its rows of a.
	InPlace
	// UpperC: only the upper triangle (j ≥ i) of C is wanted; tiles wholly
	// below the diagonal are skipped and the entries below it are
	// unspecified.
	UpperC
)

// GemmScratch holds the packing buffer of Gemm64, reused across calls
// instead of allocated each time. The zero value is ready to use; a
// GemmScratch serves one call at a time.
type GemmScratch struct {
	pack []float64
}

// Buf returns (*b)[:n], reallocating when the capacity is short; the
// contents are unspecified.
func Buf(b *[]float64, n int) []float64 {
	if cap(*b) < n {
		*b = make([]float64, n)
	}
	return (*b)[:n]
}

// Gemm64 sets the row-major m×n matrix c (row stride ldc) to a·b, where a
// is m×k (stride lda; with TransA, a holds Aᵀ, k×m) and b is k×n (stride
// ldb), on up to threads goroutines.
func Gemm64(ws *GemmScratch, c []float64, ldc int, a []float64, lda int, b []float64, ldb int, m, n, k int, opt GemmOpt, threads int) {
	if m == 0 || n == 0 {
		return
	}
	panels := (n + tileN - 1) / tileN
	bp := Buf(&ws.pack, panels*k*tileN)
	ParallelFor(panels, threads, func(lo, hi int) {
		for jp := lo; jp < hi; jp++ {
			j0 := jp * tileN
			w := min(tileN, n-j0)
			dst := bp[jp*k*tileN : (jp+1)*k*tileN]
			if w < tileN {
				clear(dst)
				for p := 0; p < k; p++ {
					copy(dst[p*tileN:p*tileN+w], b[p*ldb+j0:p*ldb+j0+w])
				}
				continue
			}
			for p := 0; p < k; p++ {
				src := b[p*ldb+j0 : p*ldb+j0+tileN]
				d := dst[p*tileN : p*tileN+tileN]
				d[0], d[1], d[2], d[3] = src[0], src[1], src[2], src[3]
				d[4], d[5], d[6], d[7] = src[4], src[5], src[6], src[7]
			}
		}
	})
	chunks := (m + chunkRows - 1) / chunkRows
	cbs := make([][]float64, max(threads, 1)) // per worker, for inPlace
	ParallelForWorker(chunks, 1, threads, func(wk, lo, hi int) {
		var tile [tileM * tileN]float64
		var pad []float64
		cb := cbs[wk]
		if opt&InPlace != 0 && cb == nil {
			cb = make([]float64, chunkRows*n)
			cbs[wk] = cb
		}
		for ch := lo; ch < hi; ch++ {
			r0, r1 := ch*chunkRows, min((ch+1)*chunkRows, m)
			out, ldo, o0 := c, ldc, 0
			if cb != nil {
				out, ldo, o0 = cb, n, r0
			}
			for jp := 0; jp < panels; jp++ {
				j0 := jp * tileN
				w := min(tileN, n-j0)
				kk := k
				if opt&TriB != 0 {
					kk = min(k, j0+tileN)
				}
				panel := bp[jp*k*tileN:]
				for i0 := r0; i0 < r1; i0 += tileM {
					if opt&UpperC != 0 && j0+tileN <= i0 {
						continue
					}
					h := min(tileM, r1-i0)
					switch {
					case h == tileM && opt&TransA != 0:
						kernel4x8T(kk, a[i0:], lda, panel, tile[:])
					case h == tileM:
						kernel4x8(kk, a[i0*lda:], lda, panel, tile[:])
					default:
						if pad == nil {
							pad = make([]float64, tileM*k)
						}
						clear(pad)
						for r := 0; r < h; r++ {
							for p := 0; p < kk; p++ {
								if opt&TransA != 0 {
									pad[r*k+p] = a[p*lda+i0+r]
								} else {
									pad[r*k+p] = a[(i0+r)*lda+p]
								}
							}
						}
						kernel4x8(kk, pad, k, panel, tile[:])
					}
					for r := 0; r < h; r++ {
						dst := out[(i0-o0+r)*ldo+j0 : (i0-o0+r)*ldo+j0+w]
						for j := range dst {
							dst[j] = tile[r*tileN+j]
						}
					}
				}
			}
			if cb != nil {
				for r := r0; r < r1; r++ {
					copy(c[r*ldc:r*ldc+n], cb[(r-r0)*n:(r-r0+1)*n])
				}
			}
		}
	})
}

// kernel4x8TGo sets the 4×8 tile c to Σ_{p<k} a[p·lda+i]·b[p·8+j].
func kernel4x8TGo(k int, a []float64, lda int, b []float64, c []float64) {
	var acc [tileM * tileN]float64
	b = b[:k*tileN]
	for p := 0; p < k; p++ {
		bb := b[p*tileN : p*tileN+tileN]
		x := a[p*lda : p*lda+tileM]
		x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
		for j, y := range bb {
			acc[j] += x0 * y
			acc[tileN+j] += x1 * y
			acc[2*tileN+j] += x2 * y
			acc[3*tileN+j] += x3 * y
		}
	}
	copy(c, acc[:])
}

// kernel4x8Go sets the 4×8 tile c to Σ_{p<k} a[i·lda+p]·b[p·8+j].
func kernel4x8Go(k int, a []float64, lda int, b []float64, c []float64) {
	var acc [tileM * tileN]float64
	a0, a1, a2, a3 := a[:k], a[lda:lda+k], a[2*lda:2*lda+k], a[3*lda:3*lda+k]
	b = b[:k*tileN]
	for p := 0; p < k; p++ {
		bb := b[p*tileN : p*tileN+tileN]
		x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
		for j, y := range bb {
			acc[j] += x0 * y
			acc[tileN+j] += x1 * y
			acc[2*tileN+j] += x2 * y
			acc[3*tileN+j] += x3 * y
		}
	}
	copy(c, acc[:])
}

// TransposeTo sets dst (cols×rows) to the transpose of the row-major
// rows×cols matrix src, on up to threads goroutines.
func TransposeTo(dst, src []float64, rows, cols, threads int) {
	const bs = 32
	blocks := (cols + bs - 1) / bs
	ParallelFor(blocks, threads, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			c0, c1 := b*bs, min((b+1)*bs, cols)
			for r0 := 0; r0 < rows; r0 += bs {
				r1 := min(r0+bs, rows)
				for r := r0; r < r1; r++ {
					row := src[r*cols : (r+1)*cols]
					for c := c0; c < c1; c++ {
						dst[c*rows+r] = row[c]
					}
				}
			}
		}
	})
}

// cholLeaf is the order below which CholInv runs unblocked.
const cholLeaf = 64

// CholInv overwrites the upper triangle of the symmetric n×n matrix g (row
// stride ldg) with its upper Cholesky factor R (g = RᵀR) and sets the upper
// triangle of x (stride ldx, zero on entry) to R⁻¹; the lower triangle of
// g is left unspecified. It works recursively on 2×2 blocks so that most of
// the work is in gemm:
//
//	R₁₂ = R₁₁⁻ᵀG₁₂,  R₂₂ = chol(G₂₂ − R₁₂ᵀR₁₂),  X₁₂ = −X₁₁R₁₂X₂₂.
//
// It reports false when a pivot is not above floor (g not numerically
// positive definite).
func CholInv(ws *GemmScratch, g []float64, ldg int, x []float64, ldx int, n int, floor float64, threads int) bool {
	if n <= cholLeaf {
		return cholInvLeaf(g, ldg, x, ldx, n, floor)
	}
	n1 := (n/2 + tileN - 1) / tileN * tileN
	n2 := n - n1
	if !CholInv(ws, g, ldg, x, ldx, n1, floor, threads) {
		return false
	}
	xt11 := make([]float64, n1*n1) // X₁₁ᵀ
	for i := 0; i < n1; i++ {
		for j := i; j < n1; j++ {
			xt11[j*n1+i] = x[i*ldx+j]
		}
	}
	r12 := make([]float64, n1*n2)
	Gemm64(ws, r12, n2, xt11, n1, g[n1:], ldg, n1, n2, n1, 0, threads)
	r12t := make([]float64, n2*n1)
	TransposeTo(r12t, r12, n1, n2, 1)
	s := make([]float64, n2*n2)
	Gemm64(ws, s, n2, r12t, n1, r12, n2, n2, n2, n1, UpperC, threads)
	for i := 0; i < n1; i++ {
		copy(g[i*ldg+n1:i*ldg+n], r12[i*n2:(i+1)*n2])
	}
	for i := 0; i < n2; i++ {
		row := g[(n1+i)*ldg+n1 : (n1+i)*ldg+n]
		for j := i; j < n2; j++ {
			row[j] -= s[i*n2+j]
		}
	}
	if !CholInv(ws, g[n1*ldg+n1:], ldg, x[n1*ldx+n1:], ldx, n2, floor, threads) {
		return false
	}
	t := make([]float64, n1*n2)
	Gemm64(ws, t, n2, r12, n2, x[n1*ldx+n1:], ldx, n1, n2, n2, TriB, threads)
	Gemm64(ws, x[n1:], ldx, x, ldx, t, n2, n1, n2, n1, 0, threads)
	for i := 0; i < n1; i++ {
		row := x[i*ldx+n1 : i*ldx+n]
		for j := range row {
			row[j] = -row[j]
		}
	}
	return true
}

// cholInvLeaf is CholInv unblocked: a right-looking Cholesky, then R⁻¹ row
// by row from the bottom.
func cholInvLeaf(g []float64, ldg int, x []float64, ldx int, n int, floor float64) bool {
	for p := 0; p < n; p++ {
		s := g[p*ldg+p]
		if !(s > floor) {
			return false
		}
		d := math.Sqrt(s)
		row := g[p*ldg+p : p*ldg+n]
		row[0] = d
		inv := 1 / d
		for c := 1; c < len(row); c++ {
			row[c] *= inv
		}
		for i := p + 1; i < n; i++ {
			Axpy64(-row[i-p], row[i-p:], g[i*ldg+i:i*ldg+n])
		}
	}
	for c := n - 1; c >= 0; c-- {
		row := x[c*ldx : c*ldx+n]
		for q := c + 1; q < n; q++ {
			if v := g[c*ldg+q]; v != 0 {
				Axpy64(v, x[q*ldx+q:q*ldx+n], row[q:])
			}
		}
		d := 1 / g[c*ldg+c]
		for j := c + 1; j < n; j++ {
			row[j] *= -d
		}
		row[c] = d
	}
	return true
}
