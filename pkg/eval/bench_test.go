package eval

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// constant scores every user with one fixed vector: the benchmark measures
// the evaluator (masking, top-k, metrics), not a model.
type constant struct{ s []float32 }

func (m *constant) Class() string                          { return "ConstantRecommender" }
func (m *constant) Fit(context.Context, *sparse.CSR) error { return nil }
func (m *constant) NumItems() int                          { return len(m.s) }
func (m *constant) ScoreProfile(_ []int32, dst []float32)  { copy(dst, m.s) }
func (m *constant) Params() algo.Params                    { return algo.Params{} }
func (m *constant) Encode(algo.Encoder) error              { return nil }
func (m *constant) ScoreUsers(_ *sparse.CSR, users []int32, dst []float32) {
	for k := range users {
		copy(dst[k*len(m.s):(k+1)*len(m.s)], m.s)
	}
}

// BenchmarkEvaluate10k: 10000 validation users, 20000 items, about 50
// training and 10 held-out items per user, cutoff 10.
func BenchmarkEvaluate10k(b *testing.B) {
	const users, items = 10000, 20000
	rng := rand.New(rand.NewPCG(1, 1))
	var tr, tc, hr, hc []int32
	for u := 0; u < users; u++ {
		for q := 0; q < 50; q++ {
			tr, tc = append(tr, int32(u)), append(tc, int32(rng.IntN(items)))
		}
		for q := 0; q < 10; q++ {
			hr, hc = append(hr, int32(u)), append(hc, int32(rng.IntN(items)))
		}
	}
	train, _ := sparse.FromCOO(users, items, tr, tc, nil, sparse.DupFirst)
	held, _ := sparse.FromCOO(users, items, hr, hc, nil, sparse.DupFirst)
	m := &constant{s: make([]float32, items)}
	for i := range m.s {
		m.s[i] = rng.Float32()
	}
	e, err := New(Config{Train: train, Heldout: held, Cutoff: 10})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Evaluate(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(users)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
}
