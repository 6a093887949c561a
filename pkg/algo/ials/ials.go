// Package ials implements IALSRecommender: implicit-feedback matrix
// factorisation by alternating least squares with the iALS++ loss of
// irspack 0.5.0 (training.md §2.1).
//
// The loss is
//
//	L = ½Σ_{(u,i)∈S} c_ui(u·v_i − 1)² + ½α0 Σ_{all u,i}(u·v_i)² + ½Σ_u r_u‖u‖² + ½Σ_i r_i‖v_i‖²
//
// with r_u = reg·(α0·I + N_u)^ν (and symmetrically for items); loss_type
// "ORIGINAL" weights the observed term by α0 + c_ui and restricts the α0 term
// to unobserved pairs. An epoch solves every user row with the items fixed,
// then every item row with the users fixed, each row by a few warm-started
// conjugate-gradient steps (solver_type "CG", the default) or exactly
// (solver_type "CHOLESKY"). The matrix A = α0·VᵀV + Σ c v vᵀ + r·I of a row is
// never formed for CG: A·p is α0·(VᵀV)p + r·p + Σ c (v·p) v, with VᵀV
// computed once per half-epoch.
//
// Three exact reformulations keep CG cheap: the predictions v·x of every
// stored pair are carried from one half-epoch to the next (updated with
// the dots each CG step computes anyway), so a warm-started residual needs
// one pass over a row's interactions instead of two; the last CG step
// skips the residual update it would throw away; and when it pays, both
// factor matrices are rotated into the eigenbasis of α0·VᵀV before a
// half-epoch (U·Vᵀ and the loss are invariant), making that term diagonal.
//
// Differences from irspack 0.5.0: the random streams differ (statistical,
// not bitwise, parity); solver_type accepts CG and CHOLESKY only (the
// IALSPP block solver, which recotem never selects, and its parameters
// ialspp_subspace_dimension, prediction_time_ialspp_iteration and nu_star
// are not implemented and are rejected as unknown parameters); a cold
// profile counts each seed item once.
package ials

import (
	"context"
	"fmt"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Spec describes IALSRecommender: defaults are irspack 0.5.0's constructor
// defaults (alpha0 0, not IALSConfig's 1.0), the search space is
// training.md §2.1.
var Spec = algo.Spec{
	Class:    algo.IALS,
	Defaults: defaults,
	Space: []algo.Param{
		{Name: "n_components", Kind: algo.Int, Low: 4, High: 300},
		{Name: "alpha0", Kind: algo.Float, Low: 3e-3, High: 1, Log: true},
		{Name: "reg", Kind: algo.Float, Low: 1e-4, High: 1e-1, Log: true},
	},
	Iterative: true,
	New: func(p algo.Params, opt algo.Options) (algo.Recommender, error) {
		return New(p, opt)
	},
	Load: func(d algo.Decoder, opt algo.Options) (algo.Recommender, error) {
		return Load(d, opt)
	},
}

var defaults = algo.Params{
	"n_components":                 20,
	"alpha0":                       0.0,
	"reg":                          1e-3,
	"nu":                           1.0,
	"confidence_scaling":           "none",
	"epsilon":                      1.0,
	"init_std":                     0.1,
	"solver_type":                  "CG",
	"max_cg_steps":                 3,
	"loss_type":                    "IALSPP",
	"random_seed":                  42,
	"train_epochs":                 16,
	"prediction_time_max_cg_steps": 5,
}

// Solver and loss names (values of solver_type and loss_type).
const (
	SolverCG       = "CG"
	SolverCholesky = "CHOLESKY"
	LossIALSPP     = "IALSPP"
	LossOriginal   = "ORIGINAL"
)

// config is the validated hyperparameter set.
type config struct {
	K          int     `json:"n_components"`
	Alpha0     float64 `json:"alpha0"`
	Reg        float64 `json:"reg"`
	Nu         float64 `json:"nu"`
	Scaling    string  `json:"confidence_scaling"`
	Epsilon    float64 `json:"epsilon"`
	InitStd    float64 `json:"init_std"`
	Solver     string  `json:"solver_type"`
	MaxCG      int     `json:"max_cg_steps"`
	Loss       string  `json:"loss_type"`
	Seed       int64   `json:"random_seed"`
	Epochs     int     `json:"train_epochs"`
	PredictCG  int     `json:"prediction_time_max_cg_steps"`
	Users      int     `json:"n_users"`
	Items      int     `json:"n_items"`
	EpochsDone int     `json:"epochs_done"`
}

func parseConfig(p algo.Params) (config, error) {
	r := algo.NewParamReader(algo.IALS, defaults, p)
	c := config{
		K:         r.Int("n_components", 1),
		Alpha0:    r.Float("alpha0", false),
		Reg:       r.Float("reg", false),
		Nu:        r.Float("nu", false),
		Scaling:   r.Choice("confidence_scaling", "none", "log"),
		Epsilon:   r.Float("epsilon", true),
		InitStd:   r.Float("init_std", false),
		Solver:    r.Choice("solver_type", SolverCG, SolverCholesky),
		MaxCG:     r.Int("max_cg_steps", 0),
		Loss:      r.Choice("loss_type", LossIALSPP, LossOriginal),
		Seed:      int64(r.Int("random_seed", math.MinInt)),
		Epochs:    r.Int("train_epochs", 0),
		PredictCG: r.Int("prediction_time_max_cg_steps", 0),
	}
	if err := r.Err(); err != nil {
		return config{}, err
	}
	return c, nil
}

func (c config) params() algo.Params {
	return algo.Params{
		"n_components":                 c.K,
		"alpha0":                       c.Alpha0,
		"reg":                          c.Reg,
		"nu":                           c.Nu,
		"confidence_scaling":           c.Scaling,
		"epsilon":                      c.Epsilon,
		"init_std":                     c.InitStd,
		"solver_type":                  c.Solver,
		"max_cg_steps":                 c.MaxCG,
		"loss_type":                    c.Loss,
		"random_seed":                  int(c.Seed),
		"train_epochs":                 c.Epochs,
		"prediction_time_max_cg_steps": c.PredictCG,
	}
}

// rows is one side of the training data: a CSR of confidences. For the
// item side, pos maps each entry to its position in the user side.
type rows struct {
	indptr []int64
	idx    []int32
	conf   []float32
	pos    []int32
}

func (r rows) row(i int) ([]int32, []float32) {
	lo, hi := r.indptr[i], r.indptr[i+1]
	return r.idx[lo:hi], r.conf[lo:hi]
}

// Model is an IALSRecommender. Build it with New (or Spec.New), then Fit, or
// Start and Epoch.
type Model struct {
	cfg     config
	threads int

	u, v  []float32 // user (Users×K) and item (Items×K) factors, row-major
	gramV []float32 // α0·VᵀV (K×K), kept in step with v

	byUser, byItem *rows // training data between Start and the end of Fit
	// pred holds u·v_i for every stored (u, i), in user-side order, as left
	// by the last completed half-epoch (valid when predOK): the next
	// half-epoch's residuals start from it instead of recomputing the dots.
	pred   []float32
	predOK bool
}

var _ algo.Iterative = (*Model)(nil)

// New returns an untrained model with the hyperparameters p (missing ones
// take Spec.Defaults).
func New(p algo.Params, opt algo.Options) (*Model, error) {
	c, err := parseConfig(p)
	if err != nil {
		return nil, err
	}
	return &Model{cfg: c, threads: max(opt.Threads, 1)}, nil
}

// Class returns "IALSRecommender".
func (m *Model) Class() string { return algo.IALS }

// NumItems returns the number of items the model scores.
func (m *Model) NumItems() int { return m.cfg.Items }

// Params returns the hyperparameters, with train_epochs as set by SetEpochs.
func (m *Model) Params() algo.Params { return m.cfg.params() }

// SetEpochs sets train_epochs.
func (m *Model) SetEpochs(n int) { m.cfg.Epochs = n }

// UserFactors returns the user factor matrix (users×K, row-major). The slice
// aliases the model.
func (m *Model) UserFactors() []float32 { return m.u }

// ItemFactors returns the item factor matrix (items×K, row-major). The slice
// aliases the model.
func (m *Model) ItemFactors() []float32 { return m.v }

// Fit trains on X: Start, then train_epochs epochs. The training data is
// released afterwards.
func (m *Model) Fit(ctx context.Context, X *sparse.CSR) error {
	if err := m.Start(ctx, X); err != nil {
		return err
	}
	defer func() { m.byUser, m.byItem, m.pred = nil, nil, nil }()
	for e := 0; e < m.cfg.Epochs; e++ {
		if err := m.Epoch(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Start validates X, prepares the confidence matrix and its transpose and
// initialises both factor matrices with Normal(0, init_std/√K) entries, each
// from its own generator seeded with random_seed.
func (m *Model) Start(ctx context.Context, X *sparse.CSR) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := X.Validate(); err != nil {
		return fmt.Errorf("%s: %w", algo.IALS, err)
	}
	m.cfg.Users, m.cfg.Items, m.cfg.EpochsDone = X.Rows, X.Cols, 0
	conf := X.Data
	if m.cfg.Scaling == "log" {
		conf = make([]float32, len(X.Data))
		for i, x := range X.Data {
			conf[i] = float32(math.Log1p(float64(x) / m.cfg.Epsilon))
		}
	}
	m.byUser = &rows{indptr: X.Indptr, idx: X.Indices, conf: conf}
	m.byItem = transpose(m.byUser, X.Rows, X.Cols, m.cfg.Solver == SolverCG)
	m.pred, m.predOK = nil, false
	if m.cfg.Solver == SolverCG && m.byItem.pos != nil {
		m.pred = make([]float32, len(X.Indices))
	}
	k := m.cfg.K
	m.u = initFactors(X.Rows*k, m.cfg.InitStd/math.Sqrt(float64(k)), m.cfg.Seed)
	m.v = initFactors(X.Cols*k, m.cfg.InitStd/math.Sqrt(float64(k)), m.cfg.Seed)
	m.gramV = m.gram(m.v)
	return nil
}

func initFactors(n int, std float64, seed int64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1a15))
	f := make([]float32, n)
	for i := range f {
		f[i] = float32(rng.NormFloat64() * std)
	}
	return f
}

// transpose returns the column-major view of r (a rows×cols CSR) as a
// cols×rows CSR with sorted indices, with positions into r when withPos
// (and the positions fit in int32).
func transpose(r *rows, nRows, nCols int, withPos bool) *rows {
	t := &rows{indptr: make([]int64, nCols+1), idx: make([]int32, len(r.idx)), conf: make([]float32, len(r.idx))}
	if withPos && len(r.idx) <= math.MaxInt32 {
		t.pos = make([]int32, len(r.idx))
	}
	for _, j := range r.idx {
		t.indptr[j+1]++
	}
	for j := 0; j < nCols; j++ {
		t.indptr[j+1] += t.indptr[j]
	}
	next := slices.Clone(t.indptr[:nCols])
	for i := 0; i < nRows; i++ {
		for p := r.indptr[i]; p < r.indptr[i+1]; p++ {
			j := r.idx[p]
			q := next[j]
			t.idx[q] = int32(i)
			t.conf[q] = r.conf[p]
			if t.pos != nil {
				t.pos[q] = int32(p)
			}
			next[j]++
		}
	}
	return t
}

// Epoch updates every user row, then every item row.
func (m *Model) Epoch(ctx context.Context) error {
	if m.byUser == nil {
		return fmt.Errorf("%s: epoch before start: %w", algo.IALS, algo.ErrNotFitted)
	}
	pv, diag := m.gramV, m.diagonalize(m.gramV, m.cfg.Users, m.cfg.Items)
	if err := m.half(ctx, m.u, m.v, pv, diag, m.byUser, m.cfg.Items); err != nil {
		return err
	}
	m.predOK = m.pred != nil
	pu := m.gram(m.u)
	diag = m.diagonalize(pu, m.cfg.Items, m.cfg.Users)
	if err := m.half(ctx, m.v, m.u, pu, diag, m.byItem, m.cfg.Users); err != nil {
		return err
	}
	m.gramV = m.gram(m.v)
	m.cfg.EpochsDone++
	return nil
}

// Snapshot copies the factors (and the tracked predictions); the returned
// function restores them.
func (m *Model) Snapshot() (restore func()) {
	u, v, g := slices.Clone(m.u), slices.Clone(m.v), slices.Clone(m.gramV)
	done := m.cfg.EpochsDone
	pred, predOK := slices.Clone(m.pred), m.predOK
	return func() {
		m.u, m.v, m.gramV = slices.Clone(u), slices.Clone(v), slices.Clone(g)
		m.cfg.EpochsDone = done
		if m.pred != nil && len(pred) == len(m.pred) {
			copy(m.pred, pred)
			m.predOK = predOK
		} else {
			m.predOK = false
		}
	}
}

// gram returns α0·FᵀF for the row-major factor matrix f (nil when α0 is 0).
func (m *Model) gram(f []float32) []float32 {
	k := m.cfg.K
	if m.cfg.Alpha0 == 0 {
		return nil
	}
	p := make([]float32, k*k)
	linalg.Gram(p, f, len(f)/k, k, m.cfg.Alpha0, m.threads)
	return p
}

// half solves every row of x (nRows×K) against the fixed factors y, with
// p = α0·yᵀy.
func (m *Model) half(ctx context.Context, x, y, p, diag []float32, data *rows, nOther int) error {
	k := m.cfg.K
	nRows := len(x) / k
	workers := make([]*solver, m.threads)
	for w := range workers {
		workers[w] = m.newSolver()
		workers[w].diag = diag
	}
	// CG solves four rows at a time (see cg), a dense P with its rows
	// padded to a multiple of 8 for MulRows4.
	var padded []float32
	ld := (k + 7) &^ 7
	if m.cfg.Solver == SolverCG && diag == nil && p != nil {
		padded = make([]float32, k*ld)
		for c := 0; c < k; c++ {
			copy(padded[c*ld:c*ld+k], p[c*k:(c+1)*k])
		}
	}
	have := m.predOK
	return linalg.ParallelForErr(ctx, nRows, 32, m.threads, func(w, lo, hi int) error {
		s := workers[w]
		var block []blockRow
		solve := func() error {
			if err := s.cg(block, y, padded, ld, have, true, m.cfg.MaxCG); err != nil {
				return err
			}
			for _, b := range block {
				m.storePred(data, b.r, b.d)
			}
			block = block[:0]
			return nil
		}
		for r := lo; r < hi; r++ {
			idx, c := data.row(r)
			xr := x[r*k : (r+1)*k]
			if len(idx) == 0 {
				clear(xr)
				continue
			}
			reg := m.rowReg(len(idx), nOther)
			if m.cfg.Solver == SolverCholesky {
				if err := s.cholesky(xr, y, p, idx, c, reg); err != nil {
					return fmt.Errorf("%s: row %d: %w", algo.IALS, r, err)
				}
				continue
			}
			block = append(block, blockRow{r: r, x: xr, idx: idx, c: c, d: m.loadPred(s, len(block), data, r, have), reg: reg})
			if len(block) == 4 {
				if err := solve(); err != nil {
					return err
				}
			}
		}
		if len(block) > 0 {
			return solve()
		}
		return nil
	})
}

// loadPred returns the tracked predictions of row r's interactions, in
// the order of its entries: a slice of m.pred itself when the entries are
// stored in prediction order, else a copy in solver slot's scratch (left
// unset when they are not known, !have).
func (m *Model) loadPred(s *solver, slot int, data *rows, r int, have bool) []float32 {
	b, e := data.indptr[r], data.indptr[r+1]
	if m.pred != nil && data.pos == nil {
		return m.pred[b:e]
	}
	s.dd[slot] = grow(s.dd[slot], int(e-b))
	d := s.dd[slot]
	if m.pred != nil && have {
		for j, q := range data.pos[b:e] {
			d[j] = m.pred[q]
		}
	}
	return d
}

// storePred writes back the predictions loadPred copied out of m.pred.
func (m *Model) storePred(data *rows, r int, d []float32) {
	if m.pred != nil && data.pos != nil {
		for j, q := range data.pos[data.indptr[r]:data.indptr[r+1]] {
			m.pred[q] = d[j]
		}
	}
}

// diagonalize prepares a half-epoch that solves nRows rows against nOther
// fixed ones with the Gram matrix p = α0·YᵀY. When it clearly pays (CG
// solver and nRows > nOther + 20·K: it saves about 4·nRows·K² of CG
// matrix-vector products and costs (nRows+nOther)·K² of rotation plus a
// single-threaded eigendecomposition worth about 20·K rows of K² work,
// measured on ml-100k, where it never pays, and on 100k×20k synthetic
// data, where the user half gains a quarter), it eigendecomposes p = QΛQᵀ,
// rotates both factor matrices by Q (U·Vᵀ, the loss and the CG iterates are
// invariant under a common orthogonal change of basis) and returns Λ, so
// the CG steps multiply by a diagonal; the tracked predictions stay valid.
// Otherwise it returns nil. It only changes the factors' basis.
func (m *Model) diagonalize(p []float32, nRows, nOther int) []float32 {
	k := m.cfg.K
	if p == nil || m.cfg.Solver != SolverCG || nRows <= nOther+20*k || k < 2 {
		return nil
	}
	sym := mat.NewSymDense(k, nil)
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			sym.SetSym(a, b, float64(p[a*k+b]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil
	}
	var vec mat.Dense
	eig.VectorsTo(&vec)
	vals := eig.Values(nil)
	q := make([]float32, k*k)
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			q[a*k+b] = float32(vec.At(a, b))
		}
	}
	rotate(m.u, q, k, m.threads)
	rotate(m.v, q, k, m.threads)
	diag := make([]float32, k)
	for a, v := range vals {
		diag[a] = float32(max(v, 0))
	}
	// The Gram matrix of the rotated factors is Λ; keep gramV in step when
	// p was it (the user half), so cold scoring and the next epoch use the
	// same basis as the factors.
	if &p[0] == &m.gramV[0] {
		clear(m.gramV)
		for a := 0; a < k; a++ {
			m.gramV[a*k+a] = diag[a]
		}
	}
	return diag
}

// rotate replaces every row f_r of the row-major matrix f by f_r·Q.
func rotate(f, q []float32, k, threads int) {
	n := len(f) / k
	linalg.ParallelForWorker(n, 256, threads, func(_, lo, hi int) {
		out := make([]float32, k)
		for r := lo; r < hi; r++ {
			row := f[r*k : (r+1)*k]
			clear(out)
			linalg.VecMatAdd(out, row, q, k, k)
			copy(row, out)
		}
	})
}

// rowReg returns reg·(α0·nOther + n)^ν.
func (m *Model) rowReg(n, nOther int) float32 {
	return float32(m.cfg.Reg * math.Pow(m.cfg.Alpha0*float64(nOther)+float64(n), m.cfg.Nu))
}

func (m *Model) newSolver() *solver {
	k := m.cfg.K
	s := &solver{k: k}
	if m.cfg.Loss == LossOriginal {
		s.beta = float32(m.cfg.Alpha0)
	}
	return s
}

// ScoreUsers writes U_u·Vᵀ for each listed user; rows beyond the fitted
// users score 0.
func (m *Model) ScoreUsers(_ *sparse.CSR, users []int32, dst []float32) {
	k, n := m.cfg.K, m.cfg.Items
	if m.u == nil || m.v == nil {
		clear(dst[:len(users)*n])
		return
	}
	block := make([]float32, len(users)*k)
	for j, u := range users {
		if u >= 0 && int(u) < m.cfg.Users {
			copy(block[j*k:(j+1)*k], m.u[int(u)*k:int(u+1)*k])
		}
	}
	linalg.ScoreBlock(dst, block, len(users), m.v, n, k)
}

// ScoreProfile scores a cold user whose row holds the seed items with value
// 1 (confidence-scaled like the training data): the user system is solved
// from x = 0 with prediction_time_max_cg_steps CG steps (exactly with the
// Cholesky solver), then x·Vᵀ. An empty profile scores 0 everywhere.
func (m *Model) ScoreProfile(items []int32, dst []float32) {
	dst = dst[:m.cfg.Items]
	clear(dst)
	x := m.FoldIn(items)
	if x == nil {
		return
	}
	linalg.MatVec(dst, m.v, m.cfg.Items, m.cfg.K, x)
}

// FoldIn returns the embedding of a cold user holding the given seed items
// (duplicates and unknown ids ignored), or nil for an empty profile.
func (m *Model) FoldIn(items []int32) []float32 {
	if m.v == nil {
		return nil
	}
	idx := make([]int32, 0, len(items))
	for _, i := range items {
		if i >= 0 && int(i) < m.cfg.Items {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	if len(idx) == 0 {
		return nil
	}
	c := make([]float32, len(idx))
	one := float32(1)
	if m.cfg.Scaling == "log" {
		one = float32(math.Log1p(1 / m.cfg.Epsilon))
	}
	for j := range c {
		c[j] = one
	}
	s := m.newSolver()
	x := make([]float32, m.cfg.K)
	reg := m.rowReg(len(idx), m.cfg.Items)
	if m.cfg.Solver == SolverCholesky {
		if s.cholesky(x, m.v, m.gramV, idx, c, reg) != nil {
			clear(x)
		}
	} else {
		// On a singular system x keeps the last finite iterate.
		row := blockRow{x: x, idx: idx, c: c, d: make([]float32, len(idx)), reg: reg}
		_ = s.cg([]blockRow{row}, m.v, m.gramV, 0, false, false, m.cfg.PredictCG)
	}
	return x
}

// Encode writes the configuration and both factor matrices.
func (m *Model) Encode(enc algo.Encoder) error {
	if m.u == nil {
		return fmt.Errorf("%s: encode: %w", algo.IALS, algo.ErrNotFitted)
	}
	if err := enc.JSON("ials.config", m.cfg); err != nil {
		return fmt.Errorf("%s: encode config: %w", algo.IALS, err)
	}
	enc.Float32("ials.user_factors", m.u)
	enc.Float32("ials.item_factors", m.v)
	return nil
}

// Load rebuilds a trained model from the sections Encode wrote.
func Load(d algo.Decoder, opt algo.Options) (*Model, error) {
	obj, err := d.Object("ials.config")
	if err != nil {
		return nil, fmt.Errorf("%s: decode config: %w", algo.IALS, err)
	}
	f := algo.NewFieldReader("ials.config", obj)
	c := config{
		K: f.Int("n_components"), Alpha0: f.Float("alpha0"), Reg: f.Float("reg"), Nu: f.Float("nu"),
		Scaling: f.String("confidence_scaling"), Epsilon: f.Float("epsilon"), InitStd: f.Float("init_std"),
		Solver: f.String("solver_type"), MaxCG: f.Int("max_cg_steps"), Loss: f.String("loss_type"),
		Seed: f.Int64("random_seed"), Epochs: f.Int("train_epochs"), PredictCG: f.Int("prediction_time_max_cg_steps"),
		Users: f.Int("n_users"), Items: f.Int("n_items"), EpochsDone: f.Int("epochs_done"),
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("%s: decode config: %w", algo.IALS, err)
	}
	if _, err := parseConfig(c.params()); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	if c.Users < 0 || c.Items < 1 {
		return nil, fmt.Errorf("%s: decode config: shape %dx%d (a model has at least one item)", algo.IALS, c.Users, c.Items)
	}
	u, err := d.Float32("ials.user_factors")
	if err != nil {
		return nil, fmt.Errorf("%s: decode user factors: %w", algo.IALS, err)
	}
	v, err := d.Float32("ials.item_factors")
	if err != nil {
		return nil, fmt.Errorf("%s: decode item factors: %w", algo.IALS, err)
	}
	if !algo.ShapeOK(len(u), c.Users, c.K) || !algo.ShapeOK(len(v), c.Items, c.K) {
		return nil, fmt.Errorf("%s: decode factors: got %d user and %d item values, want %d×%d and %d×%d",
			algo.IALS, len(u), len(v), c.Users, c.K, c.Items, c.K)
	}
	m := &Model{cfg: c, threads: max(opt.Threads, 1), u: u, v: v}
	m.gramV = m.gram(v)
	return m, nil
}
