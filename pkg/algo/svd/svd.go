// Package svd implements TruncatedSVDRecommender: a rank-k reconstruction
// of the interaction matrix from its top-k right singular vectors, found by
// the randomized SVD of scikit-learn's TruncatedSVD (training.md §2.6):
// k+10 Gaussian test vectors (seeded with random_seed), 5 power iterations,
// an orthonormal range basis Q, and the exact SVD of the small B = Qᵀ·X.
//
// The SVD of B comes from the eigendecomposition of the l×l matrix BBᵀ
// (l = k+10), V = Bᵀ·W·Λ^(-1/2), unless BBᵀ is too ill-conditioned for
// that, when a QR of Bᵀ and the SVD of its R factor are used instead. The
// dense float64 work (Gram matrices, Cholesky QR, products) runs in blocked
// kernels, in AVX2 + FMA assembly where available (gemm_amd64.s); each
// output element is summed in a fixed order, so a fit does not depend on
// the thread count.
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

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
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
	if err := X.Validate(); err != nil {
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
	xt := X.Transpose()
	t := m.threads
	ws := new(scratch)
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
			if _, err := orthonormalize(ws, y, X.Rows, l, 1, false, t); err != nil {
				return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
			}
		}
		spmm(q, xt, y, l, t)
		if X.Rows >= X.Cols {
			if _, err := orthonormalize(ws, q, X.Cols, l, 1, false, t); err != nil {
				return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Range basis Q of X (users × l), then Bᵀ = XᵀQ (items × l).
	spmm(y, X, q, l, t)
	if _, err := orthonormalize(ws, y, X.Rows, l, 2, false, t); err != nil {
		return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
	}
	bt := q
	spmm(bt, xt, y, l, t)
	if err := ctx.Err(); err != nil {
		return err
	}
	v64, ok := ritzGram(ws, bt, X.Cols, l, k, t)
	if !ok {
		var err error
		if v64, err = ritzQR(ws, bt, X.Cols, l, k, t); err != nil {
			return fmt.Errorf("%s: %w", algo.TruncatedSVD, err)
		}
	}
	v := make([]float32, X.Cols*k)
	for i, x := range v64 {
		v[i] = float32(x)
	}
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

// minRitzRatio is the smallest λ_k/λ₁ of BBᵀ for which ritzGram divides by
// σ_k: below it (a numerically rank-deficient B) ritzQR runs instead.
const minRitzRatio = 1e-8

// ritzGram returns the top-k right singular vectors of B (n×k, row-major)
// from Bᵀ (n×l, row-major) through the eigendecomposition BBᵀ = WΛWᵀ:
// V = Bᵀ·W_k·Λ_k^(-1/2). Forming BBᵀ squares the condition number, so it
// reports false when λ_k/λ₁ < minRitzRatio.
func ritzGram(ws *scratch, bt []float64, n, l, k, threads int) ([]float64, bool) {
	g := make([]float64, l*l)
	gramUpper(ws, g, bt, n, l, threads)
	vals, vecs, ok := eigenSym(g, l)
	if !ok || !(vals[k-1] > minRitzRatio*vals[0]) {
		return nil, false
	}
	w := make([]float64, l*k)
	for c := 0; c < k; c++ {
		s := 1 / math.Sqrt(vals[c])
		for j := 0; j < l; j++ {
			w[j*k+c] = vecs[j*l+c] * s
		}
	}
	v := make([]float64, n*k)
	linalg.Gemm64(&ws.gemm, v, k, bt, l, w, k, n, k, l, 0, threads)
	return v, true
}

// ritzQR returns the top-k right singular vectors of B from Bᵀ (n×l) by
// Bᵀ = Q₂R and R = U_R S V_Rᵀ: they are Q₂·U_R. It overwrites bt with Q₂.
func ritzQR(ws *scratch, bt []float64, n, l, k, threads int) ([]float64, error) {
	r, err := orthonormalize(ws, bt, n, l, 2, true, threads)
	if err != nil {
		return nil, err
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(l, l, r), mat.SVDFull) {
		return nil, errors.New("the SVD of the projected matrix did not converge")
	}
	var urm mat.Dense
	svd.UTo(&urm)
	ur := make([]float64, l*k) // the first k columns of U_R, row-major
	for j := 0; j < l; j++ {
		for c := 0; c < k; c++ {
			ur[j*k+c] = urm.At(j, c)
		}
	}
	v := make([]float64, n*k)
	linalg.Gemm64(&ws.gemm, v, k, bt, l, ur, k, n, k, l, 0, threads)
	return v, nil
}

// spmm sets dst = a·b for the CSR a (rows × cols) and the row-major
// cols × l matrix b; dst is rows × l. Each row sums its nonzeros in order,
// four at a time.
func spmm(dst []float64, a *sparse.CSR, b []float64, l, threads int) {
	linalg.ParallelFor(a.Rows, threads, func(lo, hi int) {
		var w [4]float64
		for r := lo; r < hi; r++ {
			out := dst[r*l : (r+1)*l]
			clear(out)
			idx, val := a.Row(r)
			j := 0
			for ; j+4 <= len(idx); j += 4 {
				w = [4]float64{float64(val[j]), float64(val[j+1]), float64(val[j+2]), float64(val[j+3])}
				axpy64x4(out, &w, b[int(idx[j])*l:], b[int(idx[j+1])*l:], b[int(idx[j+2])*l:], b[int(idx[j+3])*l:])
			}
			for ; j < len(idx); j++ {
				axpy64(out, float64(val[j]), b[int(idx[j])*l:])
			}
		}
	})
}

// orthonormalize replaces the columns of the row-major m×l matrix a by an
// orthonormal basis of their span. With wantR it returns R (l×l,
// row-major) with a_old = a_new·R. It runs passes rounds of Cholesky QR
// (two give orthogonality to working precision) and falls back to
// Householder QR when the Gram matrix is not numerically positive definite
// (a rank-deficient block).
func orthonormalize(ws *scratch, a []float64, m, l, passes int, wantR bool, threads int) ([]float64, error) {
	var r []float64
	if wantR {
		r = identity(l)
	}
	for p := 0; p < passes; p++ {
		ri, ok := choleskyQR(ws, a, m, l, threads)
		if !ok {
			if r == nil {
				r = identity(l)
			}
			return householder(a, m, l, r)
		}
		if wantR {
			r = mulUpper(ri, r, l)
		}
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
func choleskyQR(ws *scratch, a []float64, m, l, threads int) ([]float64, bool) {
	r := make([]float64, l*l)
	gramUpper(ws, r, a, m, l, threads)
	maxDiag := 0.0
	for p := 0; p < l; p++ {
		maxDiag = math.Max(maxDiag, r[p*l+p])
	}
	inv := make([]float64, l*l)
	if !linalg.CholInv(&ws.gemm, r, l, inv, l, l, 1e-12*maxDiag, threads) {
		return nil, false
	}
	for i := 1; i < l; i++ {
		clear(r[i*l : i*l+i])
	}
	linalg.Gemm64(&ws.gemm, a, l, a, l, inv, l, m, l, l, linalg.TriB|linalg.InPlace, threads)
	return r, true
}

// mulUpper returns the l×l product a·b of upper triangular matrices.
func mulUpper(a, b []float64, l int) []float64 {
	c := make([]float64, l*l)
	for i := 0; i < l; i++ {
		for q := i; q < l; q++ {
			if x := a[i*l+q]; x != 0 {
				axpy64(c[i*l+q:(i+1)*l], x, b[q*l+q:(q+1)*l])
			}
		}
	}
	return c
}

// householder orthonormalises the m×l matrix a (m ≥ l) with LAPACK's
// Householder QR (Geqrf, then Orgqr for the thin m×l factor Q) and returns
// R·prev.
func householder(a []float64, m, l int, prev []float64) ([]float64, error) {
	g := blas64.General{Rows: m, Cols: l, Stride: l, Data: a}
	tau := make([]float64, l)
	query := []float64{0}
	lapack64.Geqrf(g, tau, query, -1)
	lwork := int(query[0])
	lapack64.Orgqr(g, tau, query, -1)
	lwork = max(lwork, int(query[0]), m, l)
	work := make([]float64, lwork)
	lapack64.Geqrf(g, tau, work, lwork)
	rr := make([]float64, l*l)
	for i := 0; i < l; i++ {
		copy(rr[i*l+i:(i+1)*l], a[i*l+i:(i+1)*l])
	}
	lapack64.Orgqr(g, tau, work, lwork)
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
	obj, err := d.Object("svd.config")
	if err != nil {
		return nil, fmt.Errorf("%s: decode config: %w", algo.TruncatedSVD, err)
	}
	f := algo.NewFieldReader("svd.config", obj)
	c := config{K: f.Int("n_components"), Seed: f.Int64("random_seed"),
		Users: f.Int("n_users"), Items: f.Int("n_items"), Rank: f.Int("rank")}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("%s: decode config: %w", algo.TruncatedSVD, err)
	}
	if c.Users < 0 || c.Items < 1 || c.Rank < 0 {
		return nil, fmt.Errorf("%s: decode config: shape %dx%d, rank %d (a model has at least one item)", algo.TruncatedSVD, c.Users, c.Items, c.Rank)
	}
	v, err := d.Float32("svd.components")
	if err != nil {
		return nil, fmt.Errorf("%s: decode components: %w", algo.TruncatedSVD, err)
	}
	z, err := d.Float32("svd.user_embeddings")
	if err != nil {
		return nil, fmt.Errorf("%s: decode user embeddings: %w", algo.TruncatedSVD, err)
	}
	if !algo.ShapeOK(len(v), c.Items, c.Rank) || !algo.ShapeOK(len(z), c.Users, c.Rank) {
		return nil, fmt.Errorf("%s: decode: got %d component and %d embedding values, want %d×%d and %d×%d",
			algo.TruncatedSVD, len(v), len(z), c.Items, c.Rank, c.Users, c.Rank)
	}
	return &Model{cfg: c, threads: max(opt.Threads, 1), v: v, z: z}, nil
}
