// Package svd implements TruncatedSVDRecommender: a rank-k reconstruction
// of the interaction matrix from its top-k right singular vectors, found by
// the randomized SVD of scikit-learn's TruncatedSVD (training.md §2.6):
// k+10 Gaussian test vectors (seeded with random_seed), 5 power iterations,
// an orthonormal range basis Q, and the exact SVD of the small Qᵀ·X.
//
// Scores are z_u·V_kᵀ with z = X·V_k; a cold profile p scores (p·V_k)·V_kᵀ.
//
// Deviation from scikit-learn: the power iterations are normalised with a
// Cholesky QR (falling back to Householder QR when the block is
// rank-deficient) instead of an LU factorisation. Both span the same
// subspace; the reference's Gaussian stream cannot be reproduced anyway, so
// the results agree statistically, not bit for bit.
package svd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Spec describes TruncatedSVDRecommender.
var Spec = algo.Spec{
	Class:    algo.TruncatedSVD,
	Defaults: defaults,
	Space: []algo.Param{
		{Name: "n_components", Kind: algo.Int, Low: 4, High: 512},
	},
	New: func(p algo.Params, opt algo.Options) (algo.Recommender, error) {
		return New(p, opt)
	},
	Load: func(d algo.Decoder, opt algo.Options) (algo.Recommender, error) {
		return Load(d, opt)
	},
}

var defaults = algo.Params{"n_components": 4, "random_seed": 0}

const (
	powerIterations = 5
	oversamples     = 10
)

type config struct {
	K     int   `json:"n_components"`
	Seed  int64 `json:"random_seed"`
	Users int   `json:"n_users"`
	Items int   `json:"n_items"`
	// Rank is the number of components actually kept (n_components clamped
	// to items−1 and to the users).
	Rank int `json:"rank"`
}

func parseConfig(p algo.Params) (config, error) {
	r := algo.NewParamReader(algo.TruncatedSVD, defaults, p)
	c := config{K: r.Int("n_components", 1), Seed: int64(r.Int("random_seed", math.MinInt))}
	if err := r.Err(); err != nil {
		return config{}, err
	}
	return c, nil
}

// Model is a TruncatedSVDRecommender.
type Model struct {
	cfg     config
	threads int
	z       []float32 // Users × Rank: X·V_k
	v       []float32 // Items × Rank: V_k
}

var _ algo.Recommender = (*Model)(nil)

// New returns an untrained model.
func New(p algo.Params, opt algo.Options) (*Model, error) {
	c, err := parseConfig(p)
	if err != nil {
		return nil, err
	}
	return &Model{cfg: c, threads: max(opt.Threads, 1)}, nil
}

// Class returns "TruncatedSVDRecommender".
func (m *Model) Class() string { return algo.TruncatedSVD }

// NumItems returns the number of items.
func (m *Model) NumItems() int { return m.cfg.Items }

// Params returns n_components (as requested) and random_seed.
func (m *Model) Params() algo.Params {
	return algo.Params{"n_components": m.cfg.K, "random_seed": int(m.cfg.Seed)}
}

// Rank returns the number of components kept by Fit: n_components, clamped
// to items−1 (as the reference does) and to the number of users.
func (m *Model) Rank() int { return m.cfg.Rank }

// Components returns V_k (items × Rank, row-major); it aliases the model.
func (m *Model) Components() []float32 { return m.v }

// Fit computes the top-k right singular vectors of X. X needs at least two
// items; n_components ≥ items is clamped to items−1.
func (m *Model) Fit(ctx context.Context, X *sparse.CSR) error {
	if err := checkCSR(X); err != nil {
		return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
	}
	if X.Cols < 2 {
		return fmt.Errorf("%s: needs at least 2 items, got %d", algo.TruncatedSVD, X.Cols)
	}
	if X.Rows < 1 {
		return fmt.Errorf("%s: needs at least 1 user", algo.TruncatedSVD)
	}
	k := min(m.cfg.K, X.Cols-1)
	l := min(k+oversamples, X.Rows, X.Cols)
	k = min(k, l)
	xt := transpose(X)
	t := m.threads
	rng := rand.New(rand.NewPCG(uint64(m.cfg.Seed), 0x5bd1))
	q := make([]float64, X.Cols*l) // items × l
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	y := make([]float64, X.Rows*l) // users × l
	// Each power iteration q ← Xᵀ(X q) is normalised once, on the smaller
	// side: one step of X·Xᵀ grows the condition number of the block by at
	// most (σ₁/σ_l)², which float64 Cholesky QR absorbs.
	for it := 0; it < powerIterations; it++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		spmm(y, X, q, l, t)
		if X.Rows < X.Cols {
			if _, err := orthonormalize(y, X.Rows, l, 1, t); err != nil {
				return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
			}
		}
		spmm(q, xt, y, l, t)
		if X.Rows >= X.Cols {
			if _, err := orthonormalize(q, X.Cols, l, 1, t); err != nil {
				return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Range basis Q of X (users × l), then Bᵀ = XᵀQ (items × l).
	spmm(y, X, q, l, t)
	if _, err := orthonormalize(y, X.Rows, l, 2, t); err != nil {
		return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
	}
	bt := q
	spmm(bt, xt, y, l, t)
	// Bᵀ = Q₂R and R = U_R S V_Rᵀ, so B's right singular vectors are Q₂U_R.
	r, err := orthonormalize(bt, X.Cols, l, 2, t)
	if err != nil {
		return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(l, l, r), mat.SVDFull) {
		return fmt.Errorf("%s: the SVD of the projected matrix did not converge", algo.TruncatedSVD)
	}
	var urm mat.Dense
	svd.UTo(&urm)
	ur := make([]float64, l*k) // the first k columns of U_R, row-major
	for j := 0; j < l; j++ {
		for c := 0; c < k; c++ {
			ur[j*k+c] = urm.At(j, c)
		}
	}
	v := make([]float32, X.Cols*k)
	linalg.ParallelFor(X.Cols, t, func(lo, hi int) {
		acc := make([]float64, k)
		for i := lo; i < hi; i++ {
			clear(acc)
			for j, x := range bt[i*l : (i+1)*l] {
				axpy64(acc, x, ur[j*k:(j+1)*k])
			}
			for c, a := range acc {
				v[i*k+c] = float32(a)
			}
		}
	})
	z := make([]float32, X.Rows*k)
	linalg.ParallelFor(X.Rows, t, func(lo, hi int) {
		for u := lo; u < hi; u++ {
			idx, val := X.Row(u)
			zu := z[u*k : (u+1)*k]
			for j, i := range idx {
				linalg.Axpy(val[j], v[int(i)*k:int(i+1)*k], zu)
			}
		}
	})
	m.cfg.Users, m.cfg.Items, m.cfg.Rank = X.Rows, X.Cols, k
	m.z, m.v = z, v
	return nil
}

// transpose returns Xᵀ as a CSR.
func transpose(x *sparse.CSR) *sparse.CSR {
	t := &sparse.CSR{Rows: x.Cols, Cols: x.Rows, Indptr: make([]int64, x.Cols+1),
		Indices: make([]int32, len(x.Indices)), Data: make([]float32, len(x.Indices))}
	for _, j := range x.Indices {
		t.Indptr[j+1]++
	}
	for j := 0; j < x.Cols; j++ {
		t.Indptr[j+1] += t.Indptr[j]
	}
	next := slices.Clone(t.Indptr[:x.Cols])
	for i := 0; i < x.Rows; i++ {
		for p := x.Indptr[i]; p < x.Indptr[i+1]; p++ {
			j := x.Indices[p]
			t.Indices[next[j]] = int32(i)
			t.Data[next[j]] = x.Data[p]
			next[j]++
		}
	}
	return t
}

// spmm sets dst = a·b for the CSR a (rows × cols) and the row-major
// cols × l matrix b; dst is rows × l.
func spmm(dst []float64, a *sparse.CSR, b []float64, l, threads int) {
	linalg.ParallelFor(a.Rows, threads, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			out := dst[r*l : (r+1)*l]
			clear(out)
			idx, val := a.Row(r)
			for j, c := range idx {
				w := float64(val[j])
				src := b[int(c)*l : int(c+1)*l]
				src = src[:len(out)]
				for q := range out {
					out[q] += w * src[q]
				}
			}
		}
	})
}

// orthonormalize replaces the columns of the row-major m×l matrix a by an
// orthonormal basis of their span and returns R (l×l, row-major) with
// a_old = a_new·R. It runs passes rounds of Cholesky QR (two give
// orthogonality to working precision) and falls back to Householder QR
// when the Gram matrix is not numerically positive definite (a
// rank-deficient block).
func orthonormalize(a []float64, m, l, passes, threads int) ([]float64, error) {
	r := identity(l)
	for p := 0; p < passes; p++ {
		ri, ok := choleskyQR(a, m, l, threads)
		if !ok {
			return householder(a, m, l, r)
		}
		r = mulUpper(ri, r, l)
	}
	return r, nil
}

func identity(l int) []float64 {
	r := make([]float64, l*l)
	for i := 0; i < l; i++ {
		r[i*l+i] = 1
	}
	return r
}

// choleskyQR factors a = Q·R with R the Cholesky factor of aᵀa, overwriting a
// with Q. It reports false (leaving a unchanged) when aᵀa is not
// numerically positive definite.
func choleskyQR(a []float64, m, l, threads int) ([]float64, bool) {
	// Gram matrix, upper triangle: static row ranges per worker, summed in
	// order so the result does not depend on scheduling.
	parts := make([][]float64, max(min(threads, m/64), 1))
	linalg.ParallelForWorker(len(parts), 1, len(parts), func(_, lo, hi int) {
		for w := lo; w < hi; w++ {
			g := make([]float64, l*l)
			i, end := m*w/len(parts), m*(w+1)/len(parts)
			for ; i+2 <= end; i += 2 {
				r0, r1 := a[i*l:(i+1)*l], a[(i+1)*l:(i+2)*l]
				for p := 0; p < l; p++ {
					axpy64x2(g[p*l+p:(p+1)*l], r0[p], r0[p:], r1[p], r1[p:])
				}
			}
			for ; i < end; i++ {
				row := a[i*l : (i+1)*l]
				for p, x := range row {
					axpy64(g[p*l+p:(p+1)*l], x, row[p:])
				}
			}
			parts[w] = g
		}
	})
	g := parts[0]
	for _, p := range parts[1:] {
		axpy64(g, 1, p)
	}
	// Upper Cholesky g = RᵀR.
	r := make([]float64, l*l)
	maxDiag := 0.0
	for p := 0; p < l; p++ {
		maxDiag = math.Max(maxDiag, g[p*l+p])
	}
	for p := 0; p < l; p++ {
		s := g[p*l+p]
		for q := 0; q < p; q++ {
			s -= r[q*l+p] * r[q*l+p]
		}
		if !(s > 1e-12*maxDiag) {
			return nil, false
		}
		d := math.Sqrt(s)
		r[p*l+p] = d
		for c := p + 1; c < l; c++ {
			s := g[p*l+c]
			for q := 0; q < p; q++ {
				s -= r[q*l+p] * r[q*l+c]
			}
			r[p*l+c] = s / d
		}
	}
	// R⁻¹ (upper), then a ← a·R⁻¹ row by row in axpy form.
	inv := make([]float64, l*l)
	for c := l - 1; c >= 0; c-- {
		inv[c*l+c] = 1 / r[c*l+c]
		for j := c + 1; j < l; j++ {
			var s float64
			for q := c + 1; q <= j; q++ {
				s += r[c*l+q] * inv[q*l+j]
			}
			inv[c*l+j] = -s / r[c*l+c]
		}
	}
	linalg.ParallelFor(m, threads, func(lo, hi int) {
		out := make([]float64, l)
		for i := lo; i < hi; i++ {
			row := a[i*l : (i+1)*l]
			clear(out)
			for q, x := range row {
				axpy64(out[q:], x, inv[q*l+q:(q+1)*l])
			}
			copy(row, out)
		}
	})
	return r, true
}

// axpy64 computes y += s·x; len(x) must be at least len(y).
func axpy64(y []float64, s float64, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += s * x[i]
	}
}

// axpy64x2 computes y += s0·x0 + s1·x1.
func axpy64x2(y []float64, s0 float64, x0 []float64, s1 float64, x1 []float64) {
	x0, x1 = x0[:len(y)], x1[:len(y)]
	for i := range y {
		y[i] += s0*x0[i] + s1*x1[i]
	}
}

// mulUpper returns the l×l product a·b.
func mulUpper(a, b []float64, l int) []float64 {
	c := make([]float64, l*l)
	for i := 0; i < l; i++ {
		for q := 0; q < l; q++ {
			x := a[i*l+q]
			if x == 0 {
				continue
			}
			for j := 0; j < l; j++ {
				c[i*l+j] += x * b[q*l+j]
			}
		}
	}
	return c
}

// householder orthonormalises a with gonum's QR and returns R·prev.
func householder(a []float64, m, l int, prev []float64) ([]float64, error) {
	d := mat.NewDense(m, l, a)
	var qr mat.QR
	qr.Factorize(d)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	for i := 0; i < m; i++ {
		for j := 0; j < l; j++ {
			a[i*l+j] = q.At(i, j)
		}
	}
	rr := make([]float64, l*l)
	for i := 0; i < l; i++ {
		for j := 0; j < l; j++ {
			rr[i*l+j] = r.At(i, j)
		}
	}
	return mulUpper(rr, prev, l), nil
}

// ScoreUsers writes z_u·V_kᵀ for each listed user (0 for unknown rows).
func (m *Model) ScoreUsers(_ *sparse.CSR, users []int32, dst []float32) {
	k, n := m.cfg.Rank, m.cfg.Items
	block := make([]float32, len(users)*k)
	for j, u := range users {
		if u >= 0 && int(u) < m.cfg.Users {
			copy(block[j*k:(j+1)*k], m.z[int(u)*k:int(u+1)*k])
		}
	}
	linalg.ScoreBlock(dst[:len(users)*n], block, len(users), m.v, n, k)
}

// ScoreProfile writes (p·V_k)·V_kᵀ for the profile p holding the
// deduplicated seed items with weight 1.
func (m *Model) ScoreProfile(items []int32, dst []float32) {
	k, n := m.cfg.Rank, m.cfg.Items
	dst = dst[:n]
	seen := make(map[int32]bool, len(items))
	p := make([]float32, k)
	for _, i := range items {
		if i < 0 || int(i) >= n || seen[i] {
			continue
		}
		seen[i] = true
		linalg.Axpy(1, m.v[int(i)*k:int(i+1)*k], p)
	}
	linalg.ScoreBlock(dst, p, 1, m.v, n, k)
}

// Encode writes the configuration, V_k and z.
func (m *Model) Encode(enc algo.Encoder) error {
	if m.v == nil {
		return fmt.Errorf("%s: encode: %w", algo.TruncatedSVD, algo.ErrNotFitted)
	}
	if err := enc.JSON("svd.config", m.cfg); err != nil {
		return fmt.Errorf("%s: encode config: %w", algo.TruncatedSVD, err)
	}
	enc.Float32("svd.components", m.v)
	enc.Float32("svd.user_embeddings", m.z)
	return nil
}

// Load rebuilds a model from the sections Encode wrote.
func Load(d algo.Decoder, opt algo.Options) (*Model, error) {
	var c config
	if err := d.JSON("svd.config", &c); err != nil {
		return nil, fmt.Errorf("%s: decode config: %w", algo.TruncatedSVD, err)
	}
	if c.Users < 0 || c.Items < 0 || c.Rank < 0 {
		return nil, fmt.Errorf("%s: decode config: negative shape", algo.TruncatedSVD)
	}
	v, err := d.Float32("svd.components")
	if err != nil {
		return nil, fmt.Errorf("%s: decode components: %w", algo.TruncatedSVD, err)
	}
	z, err := d.Float32("svd.user_embeddings")
	if err != nil {
		return nil, fmt.Errorf("%s: decode user embeddings: %w", algo.TruncatedSVD, err)
	}
	if len(v) != c.Items*c.Rank || len(z) != c.Users*c.Rank {
		return nil, fmt.Errorf("%s: decode: got %d component and %d embedding values, want %d and %d",
			algo.TruncatedSVD, len(v), len(z), c.Items*c.Rank, c.Users*c.Rank)
	}
	return &Model{cfg: c, threads: max(opt.Threads, 1), v: v, z: z}, nil
}

// checkCSR reports a matrix whose shape, row pointers or column indices are
// inconsistent, so a malformed input is an error rather than a panic.
func checkCSR(x *sparse.CSR) error {
	if x == nil || x.Rows < 0 || x.Cols < 0 || len(x.Indptr) != x.Rows+1 || len(x.Data) != len(x.Indices) ||
		x.Indptr[0] != 0 || x.Indptr[x.Rows] != int64(len(x.Indices)) {
		return errors.New("malformed interaction matrix")
	}
	for r := 0; r < x.Rows; r++ {
		if x.Indptr[r] > x.Indptr[r+1] {
			return fmt.Errorf("malformed interaction matrix: row %d has a negative length", r)
		}
	}
	for _, j := range x.Indices {
		if j < 0 || int(j) >= x.Cols {
			return fmt.Errorf("malformed interaction matrix: column %d outside [0, %d)", j, x.Cols)
		}
	}
	return nil
}
