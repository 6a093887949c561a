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
	k        int
	beta     float32   // b = Σ (c + beta) v: 0 for IALSPP, α0 for ORIGINAL
	diag     []float32 // CG: P is diag(diag) in the current basis (nil: dense)
	r, p, ap []float32
	e, w     []float32    // per-interaction scratch: dots with p, weights
	dd       [4][]float32 // gathered predictions (item half), per block slot
	// cgBlock: per-slot vectors and the packed operands of MulRows4
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

// cg runs up to steps conjugate-gradient iterations (K when steps is 0) on
// the row system A x = b, starting from x (warm) or from 0 (!warm), with
// A·p = P·p + reg·p + Σ c (v·p) v.
//
// d tracks the predictions d_j = v_j·x. On entry it holds them for the
// starting x when known (have), and on return it holds them for the final
// x: they are updated as d += α·(v_j·p) from the dots each step computes
// anyway, so the next half-epoch's residual needs no pass of its own. For
// the same reason the last step skips the residual update (its A·p needs
// only the dots, not the accumulation).
func (s *solver) cg(x, y, pm []float32, idx []int32, c, d []float32, have bool, reg float32, steps int, warm bool) error {
	k, n := s.k, len(idx)
	if steps <= 0 {
		steps = k
	}
	r, p, ap := s.r, s.p, s.ap
	s.e = grow(s.e, n)
	s.w = grow(s.w, n)
	e, w := s.e, s.w
	c, d = c[:n], d[:n]
	if !warm {
		clear(x)
		clear(d)
	} else if !have {
		linalg.DotRows(d, x, y, idx)
	}
	// r = Σ_j ((c_j+β) − c_j d_j) v_j − P·x − reg·x.
	if warm && s.diag != nil {
		for a, l := range s.diag[:len(r)] {
			r[a] = -(l + reg) * x[a]
		}
	} else if warm && pm != nil {
		linalg.MatVec(r, pm, k, k, x)
		for a := range r {
			r[a] = -r[a] - reg*x[a]
		}
	} else {
		for a := range r {
			r[a] = -reg * x[a]
		}
	}
	for j := range w {
		w[j] = c[j] + s.beta - c[j]*d[j]
	}
	linalg.AxpyRows(r, w, y, idx)
	copy(p, r)
	rr := linalg.Dot(r, r)
	for it := 0; it < steps; it++ {
		if rr <= 1e-20 {
			break
		}
		// pᵀAp = pᵀPp + reg‖p‖² + Σ c_j (v_j·p)².
		linalg.DotRows(e, p, y, idx)
		if s.diag != nil {
			for a, l := range s.diag[:len(ap)] {
				ap[a] = (l + reg) * p[a]
			}
		} else if pm != nil {
			linalg.MatVec(ap, pm, k, k, p)
			linalg.Axpy(reg, p, ap)
		} else {
			for a := range ap {
				ap[a] = reg * p[a]
			}
		}
		pap := linalg.Dot(p, ap)
		for j, ej := range e {
			pap += c[j] * ej * ej
		}
		if !(pap > 0) || math.IsInf(float64(pap), 0) {
			return errSingular
		}
		alpha := rr / pap
		linalg.Axpy(alpha, p, x)
		linalg.Axpy(alpha, e, d)
		if it == steps-1 {
			break
		}
		// r −= α·A·p.
		linalg.Axpy(-alpha, ap, r)
		for j, ej := range e {
			w[j] = -alpha * c[j] * ej
		}
		linalg.AxpyRows(r, w, y, idx)
		rrNew := linalg.Dot(r, r)
		if rrNew <= 1e-20 {
			break
		}
		beta := rrNew / rr
		for a := range p {
			p[a] = r[a] + beta*p[a]
		}
		rr = rrNew
	}
	return nil
}

// blockRow is one row system of a cgBlock call: its factor row x (solved
// in place), interactions idx with confidences c, tracked predictions d
// (as for cg) and regularisation.
type blockRow struct {
	r    int
	x    []float32
	idx  []int32
	c, d []float32
	reg  float32
}

// cgBlock runs cg (warm start) on up to four row systems in step, with the
// dense matrix P given row-padded (k×ld, ld a multiple of 8): the P·v
// products of the four rows are one MulRows4, which loads P once instead
// of four times. Each row follows exactly cg's iteration, stops where cg
// stops, and differs only by the summation order of P·v.
func (s *solver) cgBlock(rows []blockRow, y, pm []float32, ld int, have bool, steps int) error {
	k := s.k
	if steps <= 0 {
		steps = k
	}
	if s.pk == nil {
		s.pk, s.out = make([]float32, 4*k), make([]float32, 4*ld)
		for b := range s.r4 {
			s.r4[b], s.p4[b], s.ap4[b] = make([]float32, k), make([]float32, k), make([]float32, k)
		}
	}
	pk, out := s.pk, s.out
	var rr [4]float32
	var active [4]bool
	// r = Σ_j ((c_j+β) − c_j d_j) v_j − P·x − reg·x.
	clear(pk)
	for b, row := range rows {
		if !have {
			linalg.DotRows(row.d, row.x, y, row.idx)
		}
		copy(pk[b*k:(b+1)*k], row.x)
	}
	linalg.MulRows4(out, pk, pm, k, ld)
	for b, row := range rows {
		n := len(row.idx)
		s.e4[b], s.w4[b] = grow(s.e4[b], n), grow(s.w4[b], n)
		r, w, c, d := s.r4[b], s.w4[b], row.c[:n], row.d[:n]
		for a := range r {
			r[a] = -out[b*ld+a] - row.reg*row.x[a]
		}
		for j := range w {
			w[j] = c[j] + s.beta - c[j]*d[j]
		}
		linalg.AxpyRows(r, w, y, row.idx)
		copy(s.p4[b], r)
		rr[b] = linalg.Dot(r, r)
		active[b] = true
	}
	for it := 0; it < steps; it++ {
		live := false
		clear(pk)
		for b, row := range rows {
			if active[b] && rr[b] <= 1e-20 {
				active[b] = false
			}
			if active[b] {
				live = true
				linalg.DotRows(s.e4[b], s.p4[b], y, row.idx)
				copy(pk[b*k:(b+1)*k], s.p4[b])
			}
		}
		if !live {
			break
		}
		linalg.MulRows4(out, pk, pm, k, ld)
		for b, row := range rows {
			if !active[b] {
				continue
			}
			r, p, ap, e, w, c := s.r4[b], s.p4[b], s.ap4[b], s.e4[b], s.w4[b], row.c[:len(row.idx)]
			// pᵀAp = pᵀPp + reg‖p‖² + Σ c_j (v_j·p)².
			copy(ap, out[b*ld:b*ld+k])
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
