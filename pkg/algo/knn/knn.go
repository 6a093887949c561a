// Package knn implements CosineKNNRecommender, the item-item cosine
// nearest-neighbour model of irspack (training.md §2.2), and the sparse
// item-item weight matrix it shares with RP3beta.
//
// Fit computes the co-occurrence product per source item in parallel (one
// dense float64 accumulator per worker), never a dense items×items matrix.
//
// Ties in the per-row top-k: training.md §2.2 says "ties to the lower
// index", but irspack 0.5.0 cuts each row with GNU libstdc++'s unstable
// std::sort over the row's entries in column order (cpp_source/knn/knn.hpp),
// and co-occurrence counts (normalize=false) tie massively. Fit reproduces
// that sort exactly (linalg.ProductTopK.StdSortTies); on the ml-100k anchor
// split the resulting W is identical, entry for entry, to the one irspack's
// C++ kernel computes.
package knn

import (
	"context"
	"fmt"
	"math"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// The feature weightings of CosineKNN.
const (
	WeightNone  = "NONE"
	WeightTFIDF = "TF_IDF"
	WeightBM25  = "BM_25"
)

// Spec describes CosineKNNRecommender.
var Spec = algo.Spec{
	Class:    algo.CosineKNN,
	Defaults: defaults(),
	Space: []algo.Param{
		{Name: "top_k", Kind: algo.Int, Low: 4, High: 1000},
		{Name: "shrinkage", Kind: algo.Float, Low: 0, High: 1000},
		{Name: "feature_weighting", Kind: algo.Categorical, Choices: []any{WeightNone, WeightTFIDF, WeightBM25}},
		{Name: "normalize", Kind: algo.Categorical, Choices: []any{false, true}},
	},
	New:  func(p algo.Params, opt algo.Options) (algo.Recommender, error) { return New(p, opt) },
	Load: func(d algo.Decoder, opt algo.Options) (algo.Recommender, error) { return Load(d, opt) },
}

// defaults returns the constructor defaults (training.md §2.2).
func defaults() algo.Params {
	return algo.Params{
		"shrinkage":         0.0,
		"normalize":         false,
		"top_k":             100,
		"feature_weighting": WeightNone,
		"bm25_k1":           1.2,
		"bm25_b":            0.75,
	}
}

// config is the validated hyperparameter set.
type config struct {
	Shrinkage        float64 `json:"shrinkage"`
	Normalize        bool    `json:"normalize"`
	TopK             int     `json:"top_k"`
	FeatureWeighting string  `json:"feature_weighting"`
	BM25K1           float64 `json:"bm25_k1"`
	BM25B            float64 `json:"bm25_b"`
}

func (c config) params() algo.Params {
	return algo.Params{
		"shrinkage": c.Shrinkage, "normalize": c.Normalize, "top_k": c.TopK,
		"feature_weighting": c.FeatureWeighting, "bm25_k1": c.BM25K1, "bm25_b": c.BM25B,
	}
}

func parse(p algo.Params) (config, error) {
	for name := range p {
		if _, ok := defaults()[name]; !ok {
			return config{}, fmt.Errorf("%s: unknown parameter %q", algo.CosineKNN, name)
		}
	}
	q := defaults().Merge(p)
	var c config
	var err error
	if c.Shrinkage, err = q.Float("shrinkage"); err != nil {
		return c, err
	}
	if c.Normalize, err = q.Bool("normalize"); err != nil {
		return c, err
	}
	if c.TopK, err = q.Int("top_k"); err != nil {
		return c, err
	}
	if c.FeatureWeighting, err = q.String("feature_weighting"); err != nil {
		return c, err
	}
	if c.BM25K1, err = q.Float("bm25_k1"); err != nil {
		return c, err
	}
	if c.BM25B, err = q.Float("bm25_b"); err != nil {
		return c, err
	}
	switch {
	case !(c.Shrinkage >= 0) || math.IsInf(c.Shrinkage, 0):
		return c, fmt.Errorf("parameter \"shrinkage\": %v is not a finite number >= 0", c.Shrinkage)
	case c.TopK < 1:
		return c, fmt.Errorf("parameter \"top_k\": %d is not >= 1", c.TopK)
	case c.FeatureWeighting != WeightNone && c.FeatureWeighting != WeightTFIDF && c.FeatureWeighting != WeightBM25:
		return c, fmt.Errorf("parameter \"feature_weighting\": %q is not one of NONE, TF_IDF, BM_25", c.FeatureWeighting)
	case !(c.BM25K1 >= 0) || math.IsInf(c.BM25K1, 0):
		return c, fmt.Errorf("parameter \"bm25_k1\": %v is not a finite number >= 0", c.BM25K1)
	case !(c.BM25B >= 0 && c.BM25B <= 1):
		return c, fmt.Errorf("parameter \"bm25_b\": %v is not in [0, 1]", c.BM25B)
	}
	return c, nil
}

// Recommender is a CosineKNNRecommender.
type Recommender struct {
	cfg     config
	threads int
	w       *Weights
}

// New returns an untrained CosineKNN model; params missing from p take
// Spec.Defaults.
func New(p algo.Params, opt algo.Options) (*Recommender, error) {
	c, err := parse(p)
	if err != nil {
		return nil, err
	}
	return &Recommender{cfg: c, threads: max(opt.Threads, 1)}, nil
}

// Class returns "CosineKNNRecommender".
func (r *Recommender) Class() string { return algo.CosineKNN }

// Params returns the hyperparameters.
func (r *Recommender) Params() algo.Params { return r.cfg.params() }

// NumItems returns the number of items; 0 before Fit.
func (r *Recommender) NumItems() int { return r.w.NumItems() }

// Weights returns the learnt item-item matrix (nil before Fit).
func (r *Recommender) Weights() *Weights { return r.w }

// Fit computes W (training.md §2.2): for each source item j,
// raw(j,i) = Σ_u x_uj·Xw[u,i] over co-occurring pairs; with normalize,
// sim = raw / (‖Xw[:,i]‖·‖X[:,j]‖ + shrinkage + 1e-6); the top_k entries
// of each row by value, self included, are kept (equal values ordered as
// irspack's std::sort orders them, see the package comment) and the
// diagonal is then removed.
func (r *Recommender) Fit(ctx context.Context, X *sparse.CSR) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := X.Validate(); err != nil {
		return fmt.Errorf("%s: %w", algo.CosineKNN, err)
	}
	c := r.cfg
	// B = Xw (users × items), A = Xᵀ (items × users, unweighted).
	var xw *linalg.Sparse64
	switch c.FeatureWeighting {
	case WeightNone:
		xw = linalg.To64(X, r.threads, nil)
	case WeightTFIDF:
		df := columnCounts(X)
		n := float64(X.Rows)
		xw = linalg.To64(X, r.threads, func(_ int, i int32, x float64) float64 {
			return x * math.Log(n/(float64(df[i])+1))
		})
	case WeightBM25:
		df := columnCounts(X)
		n := float64(X.Rows)
		dl := make([]float64, X.Rows)
		var total float64
		for u := range X.Rows {
			_, vals := X.Row(u)
			for _, v := range vals {
				dl[u] += float64(v)
			}
			total += dl[u]
		}
		avgdl := total / math.Max(n, 1)
		xw = linalg.To64(X, r.threads, func(u int, i int32, x float64) float64 {
			idf := math.Log(n/(float64(df[i])+1) + 1)
			return idf * x * (c.BM25K1 + 1) / (x + c.BM25K1*(1-c.BM25B+c.BM25B*dl[u]/avgdl))
		})
	}
	xt := linalg.Transpose64(linalg.To64(X, r.threads, nil), r.threads)
	prod := &linalg.ProductTopK{A: xt, B: xw, TopK: c.TopK, StdSortTies: true,
		Positive: allPositive(xt.Data) && allPositive(xw.Data)}
	if c.Normalize {
		normA := columnNorms(xt.Indptr, xt.Data, X.Cols)
		xwt := linalg.Transpose64(xw, r.threads)
		normB := columnNorms(xwt.Indptr, xwt.Data, X.Cols)
		shrink := c.Shrinkage
		prod.Value = func(j int, i int32, raw float64) float64 {
			return raw / (normB[i]*normA[j] + shrink + 1e-6)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	indptr, indices, data, err := prod.Run(ctx, r.threads)
	if err != nil {
		return err
	}
	// Drop the diagonal after the top-k (the self entry used a slot).
	w := &linalg.Sparse64{Rows: X.Cols, Cols: X.Cols, Indptr: make([]int64, X.Cols+1)}
	w.Indices = indices[:0]
	w.Data = data[:0]
	for j := range X.Cols {
		for q := indptr[j]; q < indptr[j+1]; q++ {
			if int(indices[q]) != j {
				w.Indices = append(w.Indices, indices[q])
				w.Data = append(w.Data, data[q])
			}
		}
		w.Indptr[j+1] = int64(len(w.Indices))
	}
	r.w = NewWeights(X.Cols, w)
	return nil
}

// allPositive reports whether every value of v is > 0.
func allPositive(v []float64) bool {
	for _, x := range v {
		if !(x > 0) {
			return false
		}
	}
	return true
}

// columnCounts returns the number of stored entries of each column.
func columnCounts(X *sparse.CSR) []int {
	df := make([]int, X.Cols)
	for _, i := range X.Indices {
		df[i]++
	}
	return df
}

// columnNorms returns the Euclidean norm of each row of a transposed
// matrix given by its row pointers and values.
func columnNorms(indptr []int64, data []float64, n int) []float64 {
	norms := make([]float64, n)
	for i := range n {
		var s float64
		for _, v := range data[indptr[i]:indptr[i+1]] {
			s += v * v
		}
		norms[i] = math.Sqrt(s)
	}
	return norms
}

// ScoreUsers writes Σ_j x_uj·W[j,:] for each listed user.
func (r *Recommender) ScoreUsers(X *sparse.CSR, users []int32, dst []float32) {
	if r.w != nil {
		r.w.ScoreUsers(X, users, dst)
	}
}

// ScoreProfile writes the sum of the seeds' rows of W: the seeds'
// neighbour similarities.
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

// Encode writes the sections knn.config (JSON) and knn.indptr,
// knn.indices, knn.data (W as CSR).
func (r *Recommender) Encode(enc algo.Encoder) error {
	if r.w == nil {
		return algo.ErrNotFitted
	}
	if err := enc.JSON("knn.config", state{r.cfg, r.w.NumItems()}); err != nil {
		return fmt.Errorf("knn.config: %w", err)
	}
	r.w.Encode(enc, "knn")
	return nil
}

// Load rebuilds a fitted model from the sections Encode wrote.
func Load(d algo.Decoder, opt algo.Options) (*Recommender, error) {
	obj, err := d.Object("knn.config")
	if err != nil {
		return nil, fmt.Errorf("knn.config: %w", err)
	}
	f := algo.NewFieldReader("knn.config", obj)
	s := state{config: config{
		Shrinkage: f.Float("shrinkage"), Normalize: f.Bool("normalize"), TopK: f.Int("top_k"),
		FeatureWeighting: f.String("feature_weighting"), BM25K1: f.Float("bm25_k1"), BM25B: f.Float("bm25_b"),
	}, Items: f.Int("items")}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r, err := New(s.config.params(), opt)
	if err != nil {
		return nil, fmt.Errorf("knn.config: %w", err)
	}
	if r.w, err = DecodeWeights(d, "knn", s.Items); err != nil {
		return nil, err
	}
	return r, nil
}
