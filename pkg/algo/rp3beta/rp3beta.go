// Package rp3beta implements RP3betaRecommender, the popularity-penalised
// two-step random walk item-item model of irspack (training.md §2.4).
//
// Fit computes each destination column of W as one sparse co-occurrence
// row in parallel (one dense float64 accumulator per worker, a bounded
// heap for the per-column top-k), then transposes the kept entries into
// the source-row matrix used for scoring.
package rp3beta

import (
	"context"
	"fmt"
	"math"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/knn"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Spec describes RP3betaRecommender. The default top_k is nil (Python's
// None): no pruning. A top_k of nil or 0 in Params means the same.
var Spec = algo.Spec{
	Class:    algo.RP3beta,
	Defaults: defaults(),
	Space: []algo.Param{
		{Name: "top_k", Kind: algo.Int, Low: 2, High: 1000},
		{Name: "beta", Kind: algo.Float, Low: 1e-5, High: 0.5, Log: true},
		{Name: "normalize_weight", Kind: algo.Categorical, Choices: []any{true, false}},
	},
	New:  func(p algo.Params, opt algo.Options) (algo.Recommender, error) { return New(p, opt) },
	Load: func(d algo.Decoder, opt algo.Options) (algo.Recommender, error) { return Load(d, opt) },
}

// defaults returns the constructor defaults (training.md §2.4).
func defaults() algo.Params {
	return algo.Params{"alpha": 1.0, "beta": 0.6, "top_k": nil, "normalize_weight": false}
}

// config is the validated hyperparameter set. TopK 0 means no pruning.
type config struct {
	Alpha           float64 `json:"alpha"`
	Beta            float64 `json:"beta"`
	TopK            int     `json:"top_k"`
	NormalizeWeight bool    `json:"normalize_weight"`
}

func (c config) params() algo.Params {
	var k any
	if c.TopK > 0 {
		k = c.TopK
	}
	return algo.Params{"alpha": c.Alpha, "beta": c.Beta, "top_k": k, "normalize_weight": c.NormalizeWeight}
}

func parse(p algo.Params) (config, error) {
	for name := range p {
		if _, ok := defaults()[name]; !ok {
			return config{}, fmt.Errorf("%s: unknown parameter %q", algo.RP3beta, name)
		}
	}
	q := defaults().Merge(p)
	var c config
	var err error
	if c.Alpha, err = q.Float("alpha"); err != nil {
		return c, err
	}
	if c.Beta, err = q.Float("beta"); err != nil {
		return c, err
	}
	if q["top_k"] != nil {
		if c.TopK, err = q.Int("top_k"); err != nil {
			return c, err
		}
	}
	if c.NormalizeWeight, err = q.Bool("normalize_weight"); err != nil {
		return c, err
	}
	switch {
	case !(c.Alpha >= 0) || math.IsInf(c.Alpha, 0):
		return c, fmt.Errorf("parameter \"alpha\": %v is not a finite number >= 0", c.Alpha)
	case !(c.Beta >= 0) || math.IsInf(c.Beta, 0):
		return c, fmt.Errorf("parameter \"beta\": %v is not a finite number >= 0", c.Beta)
	case c.TopK < 0:
		return c, fmt.Errorf("parameter \"top_k\": %d is negative", c.TopK)
	}
	return c, nil
}

// Recommender is an RP3betaRecommender.
type Recommender struct {
	cfg     config
	threads int
	w       *knn.Weights
}

// New returns an untrained RP3beta model; params missing from p take
// Spec.Defaults.
func New(p algo.Params, opt algo.Options) (*Recommender, error) {
	c, err := parse(p)
	if err != nil {
		return nil, err
	}
	return &Recommender{cfg: c, threads: max(opt.Threads, 1)}, nil
}

// Class returns "RP3betaRecommender".
func (r *Recommender) Class() string { return algo.RP3beta }

// Params returns the hyperparameters (top_k nil when unpruned).
func (r *Recommender) Params() algo.Params { return r.cfg.params() }

// NumItems returns the number of items; 0 before Fit.
func (r *Recommender) NumItems() int { return r.w.NumItems() }

// Weights returns the learnt item-item matrix (nil before Fit).
func (r *Recommender) Weights() *knn.Weights { return r.w }

// Fit computes W[j,i] = Σ_u P_ju·P_ui / pop_i^β with
// P_ui = x_ui^α / Σ_i' x_ui'^α, P_ju = x_uj^α / Σ_u' x_u'j^α and
// pop_i = Σ_u x_ui (0 treated as 1); keeps, per destination column i, the
// top_k source entries by (value desc, index asc), diagonal included; and
// with normalize_weight divides each source row by its sum.
func (r *Recommender) Fit(ctx context.Context, X *sparse.CSR) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := X.Validate(); err != nil {
		return fmt.Errorf("%s: %w", algo.RP3beta, err)
	}
	c := r.cfg
	pow := func(x float64) float64 {
		if c.Alpha == 1 {
			return x
		}
		return math.Pow(x, c.Alpha)
	}
	rowSum := make([]float64, X.Rows)
	colSum := make([]float64, X.Cols)
	pop := make([]float64, X.Cols)
	for u := range X.Rows {
		cols, vals := X.Row(u)
		for t, i := range cols {
			x := float64(vals[t])
			p := pow(x)
			rowSum[u] += p
			colSum[i] += p
			pop[i] += x
		}
	}
	// B[u,j] = P_ju (item→user step, normalised over the users of j).
	b := linalg.To64(X, r.threads, func(_ int, j int32, x float64) float64 { return ratio(pow(x), colSum[j]) })
	// A[i,u] = P_ui (user→item step, normalised over the items of u).
	a := linalg.Transpose64(linalg.To64(X, r.threads, func(u int, _ int32, x float64) float64 { return ratio(pow(x), rowSum[u]) }), r.threads)
	penalty := make([]float64, X.Cols)
	for i, p := range pop {
		if p == 0 {
			p = 1
		}
		penalty[i] = math.Pow(p, c.Beta)
	}
	// The popularity penalty is one positive factor per destination row, so
	// it is applied after the selection.
	prod := &linalg.ProductTopK{A: a, B: b, TopK: c.TopK, Positive: positive(X)}
	if err := ctx.Err(); err != nil {
		return err
	}
	indptr, indices, data, err := prod.Run(ctx, r.threads)
	if err != nil {
		return err
	}
	for i := range X.Cols {
		for q := indptr[i]; q < indptr[i+1]; q++ {
			data[q] /= penalty[i]
		}
	}
	// The product rows are destination columns: transpose to source rows.
	w := linalg.Transpose64(&linalg.Sparse64{Rows: X.Cols, Cols: X.Cols, Indptr: indptr, Indices: indices, Data: data}, r.threads)
	if c.NormalizeWeight {
		for j := range w.Rows {
			vals := w.Data[w.Indptr[j]:w.Indptr[j+1]]
			var s float64
			for _, v := range vals {
				s += v
			}
			if s != 0 {
				for t := range vals {
					vals[t] /= s
				}
			}
		}
	}
	r.w = knn.NewWeights(X.Cols, w)
	return nil
}

// positive reports whether every stored value of X is > 0, which makes
// every term P_ui·P_ju of the product positive.
func positive(X *sparse.CSR) bool {
	for _, v := range X.Data {
		if !(v > 0) {
			return false
		}
	}
	return true
}

// ratio returns p/s, or 0 when s is 0 (a row or column of explicit zeros).
func ratio(p, s float64) float64 {
	if s == 0 {
		return 0
	}
	return p / s
}

// ScoreUsers writes Σ_j x_uj·W[j,:] (the raw X, not the normalised P).
func (r *Recommender) ScoreUsers(X *sparse.CSR, users []int32, dst []float32) {
	if r.w != nil {
		r.w.ScoreUsers(X, users, dst)
	}
}

// ScoreProfile writes Σ_{j∈seeds} W[j,:].
func (r *Recommender) ScoreProfile(items []int32, dst []float32) {
	if r.w != nil {
		r.w.ScoreProfile(items, dst)
	}
}

// state is the configuration section of the payload.
type state struct {
	config
	Items int `json:"items"`
}

// Encode writes the sections rp3beta.config (JSON) and rp3beta.indptr,
// rp3beta.indices, rp3beta.data (W as CSR, rows = source items).
func (r *Recommender) Encode(enc algo.Encoder) error {
	if r.w == nil {
		return algo.ErrNotFitted
	}
	if err := enc.JSON("rp3beta.config", state{r.cfg, r.w.NumItems()}); err != nil {
		return fmt.Errorf("rp3beta.config: %w", err)
	}
	r.w.Encode(enc, "rp3beta")
	return nil
}

// Load rebuilds a fitted model from the sections Encode wrote.
func Load(d algo.Decoder, opt algo.Options) (*Recommender, error) {
	obj, err := d.Object("rp3beta.config")
	if err != nil {
		return nil, fmt.Errorf("rp3beta.config: %w", err)
	}
	f := algo.NewFieldReader("rp3beta.config", obj)
	s := state{config: config{
		Alpha: f.Float("alpha"), Beta: f.Float("beta"), TopK: f.Int("top_k"), NormalizeWeight: f.Bool("normalize_weight"),
	}, Items: f.Int("items")}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r, err := New(s.config.params(), opt)
	if err != nil {
		return nil, fmt.Errorf("rp3beta.config: %w", err)
	}
	if r.w, err = knn.DecodeWeights(d, "rp3beta", s.Items); err != nil {
		return nil, err
	}
	return r, nil
}
