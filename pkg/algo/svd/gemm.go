package svd

import "github.com/codelibs/recotem-go/pkg/linalg"

// Dense float64 products for the randomized SVD. gemm packs B into panels
// of tileN columns and computes C tile by tile (tileM × tileN) with
// kernel4x8 (or kernel4x8T for a transposed A), which the assembly of
// gemm_amd64.s provides on AVX2 + FMA machines, as it does the vector
// kernels axpy64, axpy64x4, dot64 and rot; the *Go functions are the
// portable versions (build tag purego, other architectures, CPUs without
// FMA). Every element of C is summed by one kernel call in a fixed order,
// so the result does not depend on the thread count.

const (
	tileM = 4
	tileN = 8
	// chunkRows is the number of rows of A a worker takes at a time: 32 rows
	// of ~450-1700 values stay in the L2 cache while the panels of B pass.
	chunkRows = 32
	// gramRows is the number of rows gramUpper hands to one gemm.
	gramRows = 4096
)

// gemmOpt selects the structured variants of gemm.
type gemmOpt int

const (
	// triB: B is upper triangular, so the sum for column j stops at p = j.
	triB gemmOpt = 1 << iota
	// transA: a holds Aᵀ (k×m, stride lda).
	transA
	// inPlace: c is a (same rows, ldc = lda, k = n); each chunk of rows is
	// computed into a buffer before it replaces its rows of a.
	inPlace
	// upperC: only the upper triangle (j ≥ i) of C is wanted; tiles wholly
	// below the diagonal are skipped and the entries below it are
	// unspecified.
	upperC
)

// scratch holds the large temporary buffers of one fit, reused across the
// power iterations instead of allocated (and cleared) each time.
type scratch struct {
	pack, part []float64
}

// buf returns (*b)[:n], reallocating when the capacity is short; the
// contents are unspecified.
func (ws *scratch) buf(b *[]float64, n int) []float64 {
	if cap(*b) < n {
		*b = make([]float64, n)
	}
	return (*b)[:n]
}

// gemm sets the row-major m×n matrix c (row stride ldc) to a·b, where a is
// m×k (stride lda; with transA, a holds Aᵀ, k×m) and b is k×n (stride
// ldb). c must not overlap ws.pack.
func gemm(ws *scratch, c []float64, ldc int, a []float64, lda int, b []float64, ldb int, m, n, k int, opt gemmOpt, threads int) {
	if m == 0 || n == 0 {
		return
	}
	panels := (n + tileN - 1) / tileN
	bp := ws.buf(&ws.pack, panels*k*tileN)
	linalg.ParallelFor(panels, threads, func(lo, hi int) {
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
	linalg.ParallelForWorker(chunks, 1, threads, func(wk, lo, hi int) {
		var tile [tileM * tileN]float64
		var pad []float64
		cb := cbs[wk]
		if opt&inPlace != 0 && cb == nil {
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
				if opt&triB != 0 {
					kk = min(k, j0+tileN)
				}
				panel := bp[jp*k*tileN:]
				for i0 := r0; i0 < r1; i0 += tileM {
					if opt&upperC != 0 && j0+tileN <= i0 {
						continue
					}
					h := min(tileM, r1-i0)
					switch {
					case h == tileM && opt&transA != 0:
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
								if opt&transA != 0 {
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

// gramUpper sets the upper triangle of g (l×l) to aᵀa for the row-major
// m×l matrix a; the lower triangle is unspecified.
//
// Blocks of gramRows rows are summed in order, which bounds the packing
// buffer of gemm.
func gramUpper(ws *scratch, g, a []float64, m, l, threads int) {
	for r0 := 0; r0 < m; r0 += gramRows {
		r1 := min(r0+gramRows, m)
		blk := a[r0*l : r1*l]
		if r0 == 0 {
			gemm(ws, g, l, blk, l, blk, l, l, l, r1-r0, transA|upperC, threads)
			continue
		}
		part := ws.buf(&ws.part, l*l)
		gemm(ws, part, l, blk, l, blk, l, l, l, r1-r0, transA|upperC, threads)
		for i := 0; i < l; i++ {
			axpy64(g[i*l+i:(i+1)*l], 1, part[i*l+i:(i+1)*l])
		}
	}
}

// transposeTo sets dst (cols×rows) to the transpose of the row-major
// rows×cols matrix src.
func transposeTo(dst, src []float64, rows, cols, threads int) {
	const bs = 32
	blocks := (cols + bs - 1) / bs
	linalg.ParallelFor(blocks, threads, func(lo, hi int) {
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

// axpy64 computes y += s·x; len(x) must be at least len(y).
func axpy64(y []float64, s float64, x []float64) { linalg.Axpy64(s, x[:len(y)], y) }

// axpy64x4Go computes y += w[0]·x0 + w[1]·x1 + w[2]·x2 + w[3]·x3.
func axpy64x4Go(y []float64, w *[4]float64, x0, x1, x2, x3 []float64) {
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	for i := range y {
		y[i] += w[0]*x0[i] + w[1]*x1[i] + w[2]*x2[i] + w[3]*x3[i]
	}
}

// dot64Go returns Σ x[i]·y[i]; len(y) must be at least len(x).
func dot64Go(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	s := (s0 + s2) + (s1 + s3)
	for ; i < len(x); i++ {
		s += x[i] * y[i]
	}
	return s
}
