// Package toppop implements TopPopRecommender (training.md §2.3): every
// user, known or cold, is scored by item popularity, the column sums of the
// training matrix.
package toppop

import (
	"context"
	"fmt"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Spec describes TopPopRecommender: no hyperparameters, an empty search
// space.
var Spec = algo.Spec{
	Class:    algo.TopPop,
	Defaults: algo.Params{},
	New:      func(p algo.Params, opt algo.Options) (algo.Recommender, error) { return New(p, opt) },
	Load:     func(d algo.Decoder, opt algo.Options) (algo.Recommender, error) { return Load(d, opt) },
}

// Recommender is a TopPopRecommender.
type Recommender struct {
	pop []float32
}

// New returns an untrained TopPop model. It takes no parameters.
func New(p algo.Params, _ algo.Options) (*Recommender, error) {
	for name := range p {
		return nil, fmt.Errorf("%s: unknown parameter %q", algo.TopPop, name)
	}
	return &Recommender{}, nil
}

// Class returns "TopPopRecommender".
func (r *Recommender) Class() string { return algo.TopPop }

// Params returns an empty parameter set.
func (r *Recommender) Params() algo.Params { return algo.Params{} }

// NumItems returns the number of items; 0 before Fit.
func (r *Recommender) NumItems() int { return len(r.pop) }

// Popularity returns the learnt column sums (nil before Fit).
func (r *Recommender) Popularity() []float32 { return r.pop }

// Fit computes popularity_i = Σ_u x_ui, counting duplicates' weights.
func (r *Recommender) Fit(ctx context.Context, X *sparse.CSR) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := X.Validate(); err != nil {
		return fmt.Errorf("%s: %w", algo.TopPop, err)
	}
	sum := make([]float64, X.Cols)
	for q, i := range X.Indices {
		sum[i] += float64(X.Data[q])
	}
	pop := make([]float32, X.Cols)
	for i, s := range sum {
		pop[i] = float32(s)
	}
	r.pop = pop
	return nil
}

// ScoreUsers writes the popularity vector once per user.
func (r *Recommender) ScoreUsers(_ *sparse.CSR, users []int32, dst []float32) {
	n := len(r.pop)
	for k := range users {
		copy(dst[k*n:(k+1)*n], r.pop)
	}
}

// ScoreProfile writes the popularity vector; the seeds do not matter.
func (r *Recommender) ScoreProfile(_ []int32, dst []float32) { copy(dst, r.pop) }

// Encode writes the section toppop.popularity (float32, one per item).
func (r *Recommender) Encode(enc algo.Encoder) error {
	if r.pop == nil {
		return algo.ErrNotFitted
	}
	enc.Float32("toppop.popularity", r.pop)
	return nil
}

// Load rebuilds a fitted model from the section Encode wrote.
func Load(d algo.Decoder, _ algo.Options) (*Recommender, error) {
	pop, err := d.Float32("toppop.popularity")
	if err != nil {
		return nil, fmt.Errorf("toppop.popularity: %w", err)
	}
	return &Recommender{pop: pop}, nil
}
