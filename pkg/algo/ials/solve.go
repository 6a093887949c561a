package ials

import (
	"errors"
	"fmt"
	"math"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/linalg"
)

// errSingular reports a row system that is not positive definite.
var errSingular = errors.New("singular system")

// solver holds one worker's scratch vectors for the row solves.
type solver struct {
	k    int
	beta float32      // b = Σ (c + beta) v: 0 for IALSPP, α0 for ORIGINAL
	diag []float32    // CG: P is diag(diag) in the current basis (nil: dense)
	dd   [4][]float32 // gathered predictions (item half), per block slot
	// cg: per-row vectors, and the packed operands and results of P·v
	r4, p4, ap4, e4, w4 [4][]float32
	pk, out             []float32
	a                   []float32 // Cholesky: the row matrix (float32)
	l                   []float64 // Cholesky: its factor
	b                   []float64
}

// grow returns s resized to n, reallocating when its capacity is short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n, n+n/4)
	}
	return s[:n]
}

// blockRow is one row system A x = b of cg: its factor row x (solved in
// place), interactions idx with confidences c, tracked predictions d and
// regularisation reg, with A·p = P·p + reg·p + Σ c (v·p) v and
// b = Σ (c+β) v.
type blockRow struct {
	r    int // row number, for errors
	x    []float32
	idx  []int32
	c, d []float32
	reg  float32
}

// cg runs up to steps conjugate-gradient iterations (K when steps is 0) on
// up to four row systems in step, each starting from its x (warm) or from
// 0 (!warm). P is s.diag when set (diagonal in the current basis), else
// pm: row-padded (k×ld, ld a multiple of 8) when ld > 0, so that the P·v
// products of the four rows are one MulRows4, which loads P once instead
// of four times; k×k when ld is 0 (MatVec per row); nil for P = 0. Each
// row stops on its own residual, exactly as if solved alone.
//
// d tracks the predictions d_j = v_j·x. On entry it holds them for the
// starting x when known (have), and on return it holds them for the final
// x: they are updated as d += α·(v_j·p) from the dots each step computes
// anyway, so the next half-epoch's residual needs no pass of its own. For
// the same reason the last step skips the residual update (its A·p needs
// only the dots, not the accumulation).
func (s *solver) cg(rows []blockRow, y, pm []float32, ld int, have, warm bool, steps int) error {
	k := s.k
	if steps <= 0 {
		steps = k
	}
	if s.pk == nil {
		s.pk, s.out = make([]float32, 4*k), make([]float32, 4*max(k, ld))
		for b := range s.r4 {
			s.r4[b], s.p4[b], s.ap4[b] = make([]float32, k), make([]float32, k), make([]float32, k)
		}
	}
	var rr [4]float32
	var active [4]bool
	for b, row := range rows {
		active[b] = true
		n := len(row.idx)
		s.e4[b], s.w4[b] = grow(s.e4[b], n), grow(s.w4[b], n)
		if !warm {
			clear(row.x)
			clear(row.d[:n])
		} else if !have {
			linalg.DotRows(row.d, row.x, y, row.idx)
		}
	}
	// r = Σ_j ((c_j+β) − c_j d_j) v_j − P·x − reg·x.
	var px [4][]float32
	if warm {
		px = s.applyP(rows, active, func(b int) []float32 { return rows[b].x }, pm, ld)
	}
	for b, row := range rows {
		n := len(row.idx)
		r, w, c, d := s.r4[b], s.w4[b], row.c[:n], row.d[:n]
		for a := range r {
			r[a] = -row.reg * row.x[a]
		}
		if px[b] != nil {
			linalg.Axpy(-1, px[b], r)
		}
		for j := range w {
			w[j] = c[j] + s.beta - c[j]*d[j]
		}
		linalg.AxpyRows(r, w, y, row.idx)
		copy(s.p4[b], r)
		rr[b] = linalg.Dot(r, r)
	}
	for it := 0; it < steps; it++ {
		live := false
		for b, row := range rows {
			if active[b] && rr[b] <= 1e-20 {
				active[b] = false
			}
			if active[b] {
				live = true
				linalg.DotRows(s.e4[b], s.p4[b], y, row.idx)
			}
		}
		if !live {
			break
		}
		pp := s.applyP(rows, active, func(b int) []float32 { return s.p4[b] }, pm, ld)
		for b, row := range rows {
			if !active[b] {
				continue
			}
			r, p, ap, e, w, c := s.r4[b], s.p4[b], s.ap4[b], s.e4[b], s.w4[b], row.c[:len(row.idx)]
			// pᵀAp = pᵀPp + reg‖p‖² + Σ c_j (v_j·p)².
			if pp[b] != nil {
				copy(ap, pp[b])
			} else {
				clear(ap)
			}
			linalg.Axpy(row.reg, p, ap)
			pap := linalg.Dot(p, ap)
			for j, ej := range e {
				pap += c[j] * ej * ej
			}
			if !(pap > 0) || math.IsInf(float64(pap), 0) {
				return fmt.Errorf("%s: row %d: %w", algo.IALS, row.r, errSingular)
			}
			alpha := rr[b] / pap
			linalg.Axpy(alpha, p, row.x)
			linalg.Axpy(alpha, e, row.d)
			if it == steps-1 {
				continue
			}
			// r −= α·A·p.
			linalg.Axpy(-alpha, ap, r)
			for j, ej := range e {
				w[j] = -alpha * c[j] * ej
			}
			linalg.AxpyRows(r, w, y, row.idx)
			rrNew := linalg.Dot(r, r)
			if rrNew <= 1e-20 {
				active[b] = false
				continue
			}
			beta := rrNew / rr[b]
			for a := range p {
				p[a] = r[a] + beta*p[a]
			}
			rr[b] = rrNew
		}
	}
	return nil
}

// applyP returns P·v(b) for the active rows, in s.out (nil entries for
// inactive rows and for P = 0); see cg for the forms of P.
func (s *solver) applyP(rows []blockRow, active [4]bool, v func(b int) []float32, pm []float32, ld int) [4][]float32 {
	k := s.k
	var out [4][]float32
	switch {
	case s.diag != nil:
		for b := range rows {
			if active[b] {
				o, vb := s.out[b*k:(b+1)*k], v(b)
				for a, l := range s.diag[:k] {
					o[a] = l * vb[a]
				}
				out[b] = o
			}
		}
	case pm != nil && ld > 0:
		clear(s.pk)
		for b := range rows {
			if active[b] {
				copy(s.pk[b*k:(b+1)*k], v(b))
			}
		}
		linalg.MulRows4(s.out, s.pk, pm, k, ld)
		for b := range rows {
			if active[b] {
				out[b] = s.out[b*ld : b*ld+k]
			}
		}
	case pm != nil:
		for b := range rows {
			if active[b] {
				out[b] = s.out[b*k : (b+1)*k]
				linalg.MatVec(out[b], pm, k, k, v(b))
			}
		}
	}
	return out
}

// cholesky solves A x = b exactly, with A = P + reg·I + Σ c v vᵀ and
// b = Σ (c+β) v, in float64.
func (s *solver) cholesky(x, y, pm []float32, idx []int32, c []float32, reg float32) error {
	k := s.k
	if s.a == nil {
		s.a = make([]float32, k*k)
		s.l = make([]float64, k*k)
		s.b = make([]float64, k)
	}
	a, l, b := s.a, s.l, s.b
	if pm != nil {
		copy(a, pm)
	} else {
		clear(a)
	}
	linalg.GramRowsAdd(a, k, y, idx, c)
	clear(b)
	for j, i := range idx {
		w := float64(c[j] + s.beta)
		for q, v := range y[int(i)*k : int(i)*k+k] {
			b[q] += w * float64(v)
		}
	}
	for i, v := range a {
		l[i] = float64(v)
	}
	for i := 0; i < k; i++ {
		l[i*k+i] += float64(reg)
	}
	if err := linalg.SolveSPD(l, k, b); err != nil {
		return errSingular
	}
	for q := range x {
		x[q] = float32(b[q])
	}
	return nil
}
