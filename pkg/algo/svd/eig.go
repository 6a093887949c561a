package svd

import (
	"cmp"
	"math"
	"slices"
)

// eigenSym returns the eigenvalues of the symmetric l×l matrix whose upper
// triangle g holds, in decreasing order, and the matching eigenvectors as
// the columns of a row-major l×l matrix; g is overwritten. It reports false
// when the QL iteration does not converge.
//
// It is LAPACK's dsyev in outline: a Householder reduction to tridiagonal
// form (tridiagonalize), then the implicit QL iteration of EISPACK's tql2.
// Both keep vectors as contiguous rows, so every reflector and Givens
// rotation is a dot or axpy over rows; gonum's Dsytrd/Dsteqr pair rotates
// columns of a row-major matrix and costs about three times more at
// l ≈ 450.
func eigenSym(g []float64, l int) (vals, vecs []float64, ok bool) {
	for i := 1; i < l; i++ {
		for j := 0; j < i; j++ {
			g[i*l+j] = g[j*l+i]
		}
	}
	d, e, zt := tridiagonalize(g, l)
	if !tql2(d, e, zt, l) {
		return nil, nil, false
	}
	order := make([]int, l)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(d[b], d[a]) })
	vals = make([]float64, l)
	vecs = make([]float64, l*l)
	for c, i := range order {
		vals[c] = d[i]
		for j, x := range zt[i*l : (i+1)*l] {
			vecs[j*l+c] = x
		}
	}
	return vals, vecs, true
}

// tridiagonalize reduces the symmetric n×n matrix a (full storage,
// row-major; overwritten) to the tridiagonal T = QᵀAQ with diagonal d and
// off-diagonal e (e[i] couples i and i+1, e[n−1] = 0), and returns Qᵀ. As
// LAPACK's dsytd2, step i applies the reflector H_i = I − τ·v·vᵀ that maps
// row i beyond the diagonal to β·e₁: A₂₂ ← A₂₂ − v·wᵀ − w·vᵀ with
// p = τ·A₂₂·v and w = p − (τ/2)(pᵀv)·v. Row i keeps v. Then
// Qᵀ = H_{n−3}⋯H₀ is accumulated from the right, last reflector first, so
// each step touches only the trailing block.
//
// It runs on one goroutine: splitting each of its ~l steps across threads
// was slower on a machine shared with other jobs.
func tridiagonalize(a []float64, n int) (d, e, qt []float64) {
	d, e = make([]float64, n), make([]float64, n)
	tau := make([]float64, n)
	p := make([]float64, n)
	for i := 0; i+2 < n; i++ {
		d[i] = a[i*n+i]
		v := a[i*n+i+1 : (i+1)*n]
		alpha := v[0]
		xnorm := math.Sqrt(dot64(v[1:], v[1:]))
		if xnorm == 0 {
			e[i] = alpha
			continue
		}
		beta := -math.Copysign(math.Hypot(alpha, xnorm), alpha)
		t := (beta - alpha) / beta
		scale := 1 / (alpha - beta)
		v[0] = 1
		for j := 1; j < len(v); j++ {
			v[j] *= scale
		}
		e[i], tau[i] = beta, t
		off, m := i+1, len(v)
		pp := p[:m]
		for r := range pp {
			pp[r] = t * dot64(a[(off+r)*n+off:(off+r+1)*n], v)
		}
		k := -0.5 * t * dot64(pp, v)
		axpy64(pp, k, v)
		for r := 0; r < m; r++ {
			row := a[(off+r)*n+off : (off+r+1)*n]
			axpy64(row, -v[r], pp)
			axpy64(row, -pp[r], v)
		}
	}
	if n >= 2 {
		d[n-2] = a[(n-2)*n+n-2]
		e[n-2] = a[(n-2)*n+n-1]
	}
	d[n-1] = a[n*n-1]
	qt = make([]float64, n*n)
	for i := 0; i < n; i++ {
		qt[i*n+i] = 1
	}
	for i := n - 3; i >= 0; i-- {
		if tau[i] == 0 {
			continue
		}
		v := a[i*n+i+1 : (i+1)*n]
		off, t := i+1, tau[i]
		for r := range v {
			row := qt[(off+r)*n+off : (off+r+1)*n]
			axpy64(row, -t*dot64(row, v), v)
		}
	}
	return d, e, qt
}

// tql2 diagonalises the symmetric tridiagonal matrix with diagonal d and
// off-diagonal e (e[i] couples i and i+1; e[n−1] is ignored) by implicit QL
// with Wilkinson-like shifts, leaving the eigenvalues in d (unsorted) and
// applying every rotation to the rows of zt (n×n), which on return hold the
// eigenvectors. It reports false after 30·n iterations without
// convergence.
func tql2(d, e, zt []float64, n int) bool {
	e[n-1] = 0
	budget := 30 * n
	for l := 0; l < n; l++ {
		for {
			m := l
			for ; m < n-1; m++ {
				dd := math.Abs(d[m]) + math.Abs(d[m+1])
				if math.Abs(e[m])+dd == dd {
					break
				}
			}
			if m == l {
				break
			}
			if budget--; budget < 0 {
				return false
			}
			g := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + e[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			i := m - 1
			for ; i >= l; i-- {
				f, b := s*e[i], c*e[i]
				r = math.Hypot(f, g)
				e[i+1] = r
				if r == 0 {
					d[i+1] -= p
					e[m] = 0
					break
				}
				s, c = f/r, g/r
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				rot(zt[i*n:(i+1)*n], zt[(i+1)*n:(i+2)*n], c, s)
			}
			if r == 0 && i >= l {
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	return true
}

// rotGo applies the rotation x' = c·x − s·y, y' = s·x + c·y.
func rotGo(x, y []float64, c, s float64) {
	y = y[:len(x)]
	for k, xv := range x {
		yv := y[k]
		x[k] = c*xv - s*yv
		y[k] = s*xv + c*yv
	}
}
