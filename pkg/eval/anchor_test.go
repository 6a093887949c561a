package eval_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// popularity scores every item by its column sum in the training matrix.
type popularity struct{ pop []float32 }

func (m *popularity) Class() string { return "PopularityRecommender" }
func (m *popularity) Fit(_ context.Context, x *sparse.CSR) error {
	m.pop = make([]float32, x.Cols)
	for j, s := range x.ColSums() {
		m.pop[j] = float32(s)
	}
	return nil
}
func (m *popularity) NumItems() int                       { return len(m.pop) }
func (m *popularity) ScoreProfile(_ []int32, d []float32) { copy(d, m.pop) }
func (m *popularity) Params() algo.Params                 { return algo.Params{} }
func (m *popularity) Encode(algo.Encoder) error           { return nil }
func (m *popularity) ScoreUsers(_ *sparse.CSR, users []int32, dst []float32) {
	n := len(m.pop)
	for k := range users {
		copy(dst[k*n:(k+1)*n], m.pop)
	}
}

// TestAnchorPopularity reproduces irspack's TopPop figures on the seed-42
// anchor splits: it validates the loader and the evaluator end to end.
func TestAnchorPopularity(t *testing.T) {
	for _, tc := range []struct {
		set              string
		users, items, nv int
		want             evaltest.Want
	}{
		{"ml-100k", 943, 1682, 188, evaltest.Want{NDCG: .2048, Recall: .1096, MAP: .0487, Hit: .7819}},
		{"ml-latest-small", 610, 9724, 122, evaltest.Want{NDCG: .2088, Recall: .0602, MAP: .0328, Hit: .6148}},
	} {
		t.Run(tc.set, func(t *testing.T) {
			d := evaltest.Anchor(t, tc.set)
			if d.Train.Rows != tc.users || d.Train.Cols != tc.items || d.Heldout.Rows != tc.nv || d.Offset != tc.users-tc.nv {
				t.Fatalf("shape: train %dx%d, held-out %d rows, offset %d", d.Train.Rows, d.Train.Cols, d.Heldout.Rows, d.Offset)
			}
			if err := d.Train.Validate(); err != nil {
				t.Fatal(err)
			}
			if !slices.IsSortedFunc(d.ItemIDs, func(a, b string) int {
				x, _ := strconv.Atoi(a)
				y, _ := strconv.Atoi(b)
				return x - y
			}) || len(d.ItemIDs) != tc.items {
				t.Errorf("item ids are not in numeric order")
			}
			m := &popularity{}
			if err := m.Fit(context.Background(), d.Train); err != nil {
				t.Fatal(err)
			}
			r := evaltest.EvalAt10(t, d, m)
			t.Logf("%s: %+v", tc.set, r)
			evaltest.Check(t, "popularity", r, tc.want, 0.00005)
		})
	}
}
