package train

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/sparse"
	"github.com/codelibs/recotem-go/pkg/tune"
)

// curve is a test algorithm whose validation score is a known function of
// its epoch and its "x" parameter, so the orchestration can be checked
// exactly. It is iterative when peak > 0.
type curve struct {
	x, peak, epoch, epochs int
	fail                   bool
	slow                   time.Duration
}

func (c *curve) Class() string { return "Curve" }
func (c *curve) Fit(ctx context.Context, X *sparse.CSR) error {
	if c.fail {
		return errors.New("boom")
	}
	select {
	case <-time.After(c.slow):
	case <-ctx.Done():
		return ctx.Err()
	}
	c.epoch = c.epochs
	return nil
}
func (c *curve) NumItems() int                              { return 1 }
func (c *curve) ScoreUsers(*sparse.CSR, []int32, []float32) {}
func (c *curve) ScoreProfile([]int32, []float32)            {}
func (c *curve) Params() algo.Params                        { return algo.Params{"x": c.x} }
func (c *curve) Encode(algo.Encoder) error                  { return nil }
func (c *curve) Start(context.Context, *sparse.CSR) error   { c.epoch = 0; return nil }
func (c *curve) Epoch(ctx context.Context) error            { c.epoch++; return ctx.Err() }
func (c *curve) Snapshot() func()                           { e := c.epoch; return func() { c.epoch = e } }
func (c *curve) SetEpochs(n int)                            { c.epochs = n }
func (c *curve) score() float64 {
	d := c.epoch - c.peak
	if d < 0 {
		d = -d
	}
	return float64(c.x) - float64(d)/100
}

func curveSpec(peak int, fail func(x int) bool, slow time.Duration) algo.Spec {
	return algo.Spec{
		Class:     "Curve",
		Defaults:  algo.Params{"x": 1},
		Space:     []algo.Param{{Name: "x", Kind: algo.Int, Low: 1, High: 9}},
		Iterative: peak > 0,
		New: func(p algo.Params, _ algo.Options) (algo.Recommender, error) {
			x, err := p.Int("x")
			if err != nil {
				return nil, err
			}
			c := &curve{x: x, peak: peak, epochs: 16, fail: fail != nil && fail(x), slow: slow}
			if peak > 0 {
				return c, nil
			}
			return &plain{c}, nil
		},
	}
}

// plain hides the iterative methods of curve.
type plain struct{ c *curve }

func (p *plain) Class() string                                { return p.c.Class() }
func (p *plain) Fit(ctx context.Context, X *sparse.CSR) error { return p.c.Fit(ctx, X) }
func (p *plain) NumItems() int                                { return 1 }
func (p *plain) ScoreUsers(*sparse.CSR, []int32, []float32)   {}
func (p *plain) ScoreProfile([]int32, []float32)              {}
func (p *plain) Params() algo.Params                          { return p.c.Params() }
func (p *plain) Encode(algo.Encoder) error                    { return nil }

func newSearch(t *testing.T, spec algo.Spec, budget int) *Search {
	study, err := tune.Open(context.Background(), tune.NewMemory(), "s", tune.Sampler{Seed: 1}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &Search{
		Study:   study,
		Specs:   map[string]algo.Spec{"Curve": spec},
		Classes: []string{"Curve"},
		Budgets: map[string]int{"Curve": budget},
		Train:   &sparse.CSR{},
		Score: func(m algo.Recommender) (float64, error) {
			switch m := m.(type) {
			case *curve:
				return m.score(), nil
			case *plain:
				return m.c.score(), nil
			}
			return 0, errors.New("unknown model")
		},
		Parallelism: 1,
		Threads:     2,
	}
}

func TestEarlyStoppingPicksBestEpoch(t *testing.T) {
	s := newSearch(t, curveSpec(20, nil, 0), 3)
	out, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Trials) != 3 {
		t.Fatalf("%d trials, want 3", len(out.Trials))
	}
	for _, tr := range out.Trials {
		if tr.State != tune.Complete {
			t.Fatalf("trial %d: %s %s", tr.Number, tr.State, tr.Error)
		}
		if tr.Attrs["train_epochs"] != 20 {
			t.Errorf("trial %d: train_epochs = %v, want 20", tr.Number, tr.Attrs["train_epochs"])
		}
		x, _ := tr.Params.Int("x")
		if tr.Score != float64(x) {
			t.Errorf("trial %d: score %v, want the peak score %d", tr.Number, tr.Score, x)
		}
	}
}

func TestPinnedEpochsSkipEarlyStopping(t *testing.T) {
	s := newSearch(t, curveSpec(20, nil, 0), 1)
	s.Pinned = map[string]algo.Params{"Curve": {"x": 3, "train_epochs": 16}}
	out, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Best.Score; got != 3-0.04 {
		t.Errorf("score %v, want the 16-epoch score 2.96", got)
	}
	if _, ok := out.Best.Attrs["train_epochs"]; ok {
		t.Error("a pinned-epochs fit reported learnt epochs")
	}
}

func TestFailingTrialsDoNotAbort(t *testing.T) {
	s := newSearch(t, curveSpec(0, func(x int) bool { return x%2 == 0 }, 0), 12)
	out, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	failed, complete := 0, 0
	for _, tr := range out.Trials {
		switch tr.State {
		case tune.Failed:
			failed++
			if tr.Error != "boom" {
				t.Errorf("failed trial error %q", tr.Error)
			}
		case tune.Complete:
			complete++
		}
	}
	if failed == 0 || complete == 0 || failed+complete != 12 {
		t.Errorf("failed %d complete %d, want both > 0 summing to 12", failed, complete)
	}
}

func TestAllTrialsFailedIsTrainingError(t *testing.T) {
	s := newSearch(t, curveSpec(0, func(int) bool { return true }, 0), 3)
	_, err := s.Run(context.Background())
	if exitcode.Of(err) != exitcode.Training || exitcode.ReasonOf(err) != "no_completed_trials" || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v (code %d), want exit 4 naming the first error", err, exitcode.Of(err))
	}
}

func TestParallelTrialsRespectBudget(t *testing.T) {
	s := newSearch(t, curveSpec(0, nil, time.Millisecond), 9)
	s.Parallelism = 4
	out, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Trials) != 9 {
		t.Errorf("%d trials, want 9", len(out.Trials))
	}
}

func TestTrialTimeoutCancelsFit(t *testing.T) {
	s := newSearch(t, curveSpec(0, nil, time.Hour), 2)
	s.TrialTimeout = 50 * time.Millisecond
	start := time.Now()
	out, err := s.Run(context.Background())
	if time.Since(start) > 5*time.Second {
		t.Fatal("the per-trial timeout did not cancel the fit")
	}
	if exitcode.ReasonOf(err) != "no_completed_trials" {
		t.Fatalf("err = %v, want no_completed_trials", err)
	}
	for _, tr := range out.Trials {
		if tr.State != tune.Pruned || tr.Error != errTrialTimeout.Error() {
			t.Errorf("trial %d: %s %q, want pruned by per-trial timeout", tr.Number, tr.State, tr.Error)
		}
	}
}

func TestSearchTimeoutStopsTheSearch(t *testing.T) {
	s := newSearch(t, curveSpec(0, nil, 30*time.Millisecond), 1000)
	s.Timeout = 200 * time.Millisecond
	start := time.Now()
	out, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 3*time.Second || len(out.Trials) >= 1000 {
		t.Fatalf("search ran %v and %d trials despite a 200ms timeout", time.Since(start), len(out.Trials))
	}
}

func TestResumeSkipsUsedBudget(t *testing.T) {
	store := tune.NewMemory()
	study, _ := tune.Open(context.Background(), store, "s", tune.Sampler{}, "a")
	s := newSearch(t, curveSpec(0, nil, 0), 5)
	s.Study = study
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	study2, _ := tune.Open(context.Background(), store, "s", tune.Sampler{}, "b")
	s.Study = study2
	s.Budgets["Curve"] = 7
	out, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Trials) != 7 {
		t.Errorf("%d trials after resume, want 7 (5 old + 2 new)", len(out.Trials))
	}
}
