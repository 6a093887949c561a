package tune

import (
	"context"
	"math"
	"reflect"
	"sync"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
)

func TestGammaAndWeights(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 0}, {1, 1}, {10, 1}, {11, 2}, {100, 10}, {300, 25}} {
		if got := gamma(tc.n); got != tc.want {
			t.Errorf("gamma(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	w := observationWeights(30)
	if len(w) != 30 || w[0] != 1.0/30 || w[4] != 1 || w[29] != 1 {
		t.Errorf("observationWeights(30) = %v", w)
	}
	for _, x := range observationWeights(24) {
		if x != 1 {
			t.Fatalf("weights below 25 must be 1, got %v", x)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{1, 3}, 2}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

var testSpace = []algo.Param{
	{Name: "x", Kind: algo.Float, Low: -5, High: 10},
	{Name: "y", Kind: algo.Float, Low: 1e-4, High: 1, Log: true},
	{Name: "k", Kind: algo.Int, Low: 4, High: 300},
	{Name: "c", Kind: algo.Categorical, Choices: []any{"a", "b", "c"}},
}

func TestSuggestionsInRangeAndDeterministic(t *testing.T) {
	run := func(seed int64) []algo.Params {
		study, err := Open(context.Background(), NewMemory(), "s", Sampler{Seed: seed}, "me")
		if err != nil {
			t.Fatal(err)
		}
		var out []algo.Params
		for i := 0; i < 30; i++ {
			tr, ok, err := study.Ask(context.Background(), "A", 100, testSpace, algo.Params{})
			if err != nil || !ok {
				t.Fatalf("ask: %v %v", ok, err)
			}
			for _, p := range testSpace {
				if !p.Contains(tr.Params[p.Name]) {
					t.Fatalf("trial %d: %s=%v outside the space", i, p.Name, tr.Params[p.Name])
				}
			}
			tr.State, tr.Score = Complete, objective(tr.Params)
			if err := study.Tell(context.Background(), tr); err != nil {
				t.Fatal(err)
			}
			out = append(out, tr.Params)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed gave different suggestions")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave identical suggestions")
	}
}

// objective is a mixed test function to maximise; its optimum is 0 at
// x=2, y=0.01, k=64, c="b".
func objective(p algo.Params) float64 {
	x, _ := p.Float("x")
	y, _ := p.Float("y")
	k, _ := p.Int("k")
	v := -(x-2)*(x-2) - math.Pow(math.Log10(y)+2, 2) - math.Pow(math.Log(float64(k)/64), 2)
	if p["c"] != "b" {
		v--
	}
	return v
}

// branin is the negated Branin function (max -0.397887).
func branin(p algo.Params) float64 {
	x, _ := p.Float("x")
	y, _ := p.Float("y")
	a, b, c, r, s, tt := 1.0, 5.1/(4*math.Pi*math.Pi), 5/math.Pi, 6.0, 10.0, 1/(8*math.Pi)
	return -(a*math.Pow(y-b*x*x+c*x-r, 2) + s*(1-tt)*math.Cos(x) + s)
}

func bestOf(t *testing.T, sampler Sampler, space []algo.Param, f func(algo.Params) float64, budget int) float64 {
	study, err := Open(context.Background(), NewMemory(), "s", sampler, "me")
	if err != nil {
		t.Fatal(err)
	}
	best := math.Inf(-1)
	for i := 0; i < budget; i++ {
		tr, _, err := study.Ask(context.Background(), "A", budget, space, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr.State, tr.Score = Complete, f(tr.Params)
		best = math.Max(best, tr.Score)
		if err := study.Tell(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
	}
	return best
}

func TestTPEBeatsRandomSearch(t *testing.T) {
	braninSpace := []algo.Param{{Name: "x", Kind: algo.Float, Low: -5, High: 10}, {Name: "y", Kind: algo.Float, Low: 0, High: 15}}
	cases := []struct {
		name  string
		space []algo.Param
		f     func(algo.Params) float64
	}{
		{"mixed", testSpace, objective},
		{"branin", braninSpace, branin},
	}
	const seeds, budget = 30, 40
	for _, tc := range cases {
		var tpe, random float64
		wins := 0
		for seed := int64(0); seed < seeds; seed++ {
			a := bestOf(t, Sampler{Seed: seed}, tc.space, tc.f, budget)
			b := bestOf(t, Sampler{Seed: seed, Startup: budget + 1}, tc.space, tc.f, budget)
			tpe += a / seeds
			random += b / seeds
			if a > b {
				wins++
			}
		}
		t.Logf("%s: mean best TPE %.4f, random %.4f, TPE wins %d/%d", tc.name, tpe, random, wins, seeds)
		if tpe <= random || wins < seeds/2 {
			t.Errorf("%s: TPE (%.4f, %d wins) does not beat random search (%.4f)", tc.name, tpe, wins, random)
		}
	}
}

func TestMedianPruner(t *testing.T) {
	var history []Trial
	for i := 0; i < 5; i++ {
		history = append(history, Trial{Number: i, Class: "A", State: Complete, Steps: map[int]float64{4: float64(i) / 10}})
	}
	p := MedianPruner{}
	cur := Trial{Class: "A", Steps: map[int]float64{4: 0.1}}
	if !p.Prune(history, cur, 4) {
		t.Error("a trial below the median was not pruned")
	}
	cur.Steps[4] = 0.3
	if p.Prune(history, cur, 4) {
		t.Error("a trial above the median was pruned")
	}
	if p.Prune(history[:4], Trial{Class: "A", Steps: map[int]float64{4: 0}}, 4) {
		t.Error("pruned before 5 complete trials")
	}
	if p.Prune(history, Trial{Class: "B", Steps: map[int]float64{4: 0}}, 4) {
		t.Error("compared with another algorithm's trials")
	}
	if p.Prune(history, Trial{Class: "A", Steps: map[int]float64{9: 0}}, 9) {
		t.Error("pruned at a step no complete trial reported")
	}
	// The start-up count is over every algorithm (Optuna's rule); the
	// comparison is with the trial's own algorithm only.
	mixed := []Trial{{Number: 0, Class: "B", State: Complete, Steps: map[int]float64{4: 0.5}}}
	for i := 1; i < 5; i++ {
		mixed = append(mixed, Trial{Number: i, Class: "C", State: Complete})
	}
	if !p.Prune(mixed, Trial{Class: "B", Steps: map[int]float64{4: 0.4}}, 4) {
		t.Error("not pruned below the only completed trial of its algorithm once the study had 5 complete trials")
	}
	if p.Prune(mixed[:4], Trial{Class: "B", Steps: map[int]float64{4: 0.4}}, 4) {
		t.Error("pruned while the study had 4 complete trials")
	}
}

func TestMemoryClaimRespectsBudgetsConcurrently(t *testing.T) {
	store := NewMemory()
	study, err := Open(context.Background(), store, "s", Sampler{}, "me")
	if err != nil {
		t.Fatal(err)
	}
	budgets := map[string]int{"A": 7, "B": 5}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, class := range []string{"A", "B"} {
				for {
					tr, ok, err := study.Ask(context.Background(), class, budgets[class], testSpace, nil)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						break
					}
					tr.State = Complete
					if err := study.Tell(context.Background(), tr); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	trials, _ := study.Trials(context.Background())
	seen := map[int]bool{}
	for _, tr := range trials {
		if seen[tr.Number] {
			t.Fatalf("trial %d recorded twice", tr.Number)
		}
		seen[tr.Number] = true
	}
	if Used(trials, "A") != 7 || Used(trials, "B") != 5 || len(trials) != 12 {
		t.Errorf("got %d trials (A %d, B %d), want 12 (7, 5)", len(trials), Used(trials, "A"), Used(trials, "B"))
	}
}

func TestPinnedParamsAreKept(t *testing.T) {
	study, _ := Open(context.Background(), NewMemory(), "s", Sampler{}, "me")
	tr, _, err := study.Ask(context.Background(), "A", 1, testSpace, algo.Params{"k": 64})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Params["k"] != 64 {
		t.Errorf("pinned k = %v, want 64", tr.Params["k"])
	}
	if _, ok := tr.Params["x"]; !ok {
		t.Error("unpinned x was not sampled")
	}
}

func TestBest(t *testing.T) {
	trials := []Trial{
		{Number: 0, State: Complete, Score: 0.3},
		{Number: 1, State: Failed, Score: 0.9},
		{Number: 2, State: Complete, Score: 0.5},
		{Number: 3, State: Complete, Score: 0.5},
	}
	b, ok := Best(trials)
	if !ok || b.Number != 2 {
		t.Errorf("Best = %d %v, want trial 2", b.Number, ok)
	}
	if _, ok := Best(trials[1:2]); ok {
		t.Error("Best found a trial among failed ones")
	}
}
