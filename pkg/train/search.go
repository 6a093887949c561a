package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/sparse"
	"github.com/codelibs/recotem-go/pkg/tune"
)

// Early-stopping settings of iterative models: irspack's learn_with_optimizer
// defaults, which the reference uses for every search.
const (
	maxEpochs     = 128
	validateEvery = 5
	patience      = 5
)

// Search runs the trials of a hyperparameter search.
type Search struct {
	Study *tune.Study
	// Specs maps canonical class names to their algorithms.
	Specs map[string]algo.Spec
	// Classes are the active algorithms in recipe order, Budgets their trial
	// budgets (training.md §1.7).
	Classes []string
	Budgets map[string]int
	// Pinned holds the hyperparameters fixed by the recipe, per class.
	Pinned map[string]algo.Params
	// Train is the search training matrix; Score evaluates a fitted model
	// on the validation users and returns the target metric. Score must be
	// safe for concurrent use.
	Train *sparse.CSR
	Score func(algo.Recommender) (float64, error)
	// Parallelism is the number of concurrent trials; Threads the total
	// goroutines shared by their fits.
	Parallelism int
	Threads     int
	// Timeout bounds the whole search and TrialTimeout each trial; both
	// cancel the running fit. Zero means no bound.
	Timeout      time.Duration
	TrialTimeout time.Duration
	// OnTrial, if set, is called after every finished trial.
	OnTrial func(t tune.Trial)
}

// Outcome summarises a finished search.
type Outcome struct {
	Trials   []tune.Trial
	Best     tune.Trial
	TimedOut int // trials stopped by the per-trial timeout
}

// errTrialTimeout marks a trial cancelled by its own timeout.
var errTrialTimeout = errors.New("per-trial timeout")

// Run executes every remaining trial slot: for each class in order, its
// budget minus the trials a resumed study already holds. A failing trial is
// recorded as failed and the search goes on. Run fails (exit 4) when no
// trial completed, with the first trial error if there was one.
func (s *Search) Run(ctx context.Context) (Outcome, error) {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	existing, err := s.Study.Trials(ctx)
	if err != nil {
		return Outcome{}, err
	}
	var queue []string
	for _, c := range s.Classes {
		for n := tune.Used(existing, c); n < s.Budgets[c]; n++ {
			queue = append(queue, c)
		}
	}
	workers := s.Parallelism
	if workers < 1 {
		workers = 1
	}
	threads := s.Threads / workers
	if threads < 1 {
		threads = 1
	}
	jobs := make(chan string)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		timedOut int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for class := range jobs {
				t, ok, err := s.Study.Ask(ctx, class, s.Budgets[class], s.Specs[class].Space, s.Pinned[class])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if !ok {
					continue
				}
				t = s.runTrial(ctx, t, threads)
				if err := s.Study.Tell(context.WithoutCancel(ctx), t); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
				mu.Lock()
				if t.Error == errTrialTimeout.Error() {
					timedOut++
				}
				if t.State == tune.Failed && firstErr == nil {
					firstErr = fmt.Errorf("trial %d (%s): %s", t.Number, algo.Alias(t.Class), t.Error)
				}
				mu.Unlock()
				if s.OnTrial != nil {
					s.OnTrial(t)
				}
			}
		}()
	}
feed:
	for _, c := range queue {
		select {
		case jobs <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()

	trials, err := s.Study.Trials(context.WithoutCancel(ctx))
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Trials: trials, TimedOut: timedOut}
	best, ok := tune.Best(trials)
	if !ok {
		if firstErr != nil {
			return out, exitcode.Reasoned(exitcode.Training, "no_completed_trials", "no trial completed; first error: %v", firstErr)
		}
		return out, exitcode.Reasoned(exitcode.Training, "no_completed_trials", "no trial completed")
	}
	out.Best = best
	completed := 0
	for _, t := range trials {
		if t.State == tune.Complete {
			completed++
		}
	}
	if timedOut > completed/2 {
		return out, exitcode.Reasoned(exitcode.Training, "excessive_per_trial_timeouts",
			"%d trials hit per_trial_timeout_seconds but only %d completed", timedOut, completed)
	}
	return out, nil
}

// runTrial fits and scores one trial and returns it in its final state.
func (s *Search) runTrial(ctx context.Context, t tune.Trial, threads int) tune.Trial {
	tctx := ctx
	if s.TrialTimeout > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeoutCause(ctx, s.TrialTimeout, errTrialTimeout)
		defer cancel()
	}
	spec := s.Specs[t.Class]
	score, attrs, err := s.fit(tctx, &t, spec, threads)
	t.Finished = time.Now().UTC()
	switch {
	case err == nil && (math.IsNaN(score) || math.IsInf(score, 0)):
		t.State, t.Error = tune.Failed, fmt.Sprintf("score is %v", score)
	case err == nil:
		t.State, t.Score, t.Attrs = tune.Complete, score, attrs
	case errors.Is(err, errPruned):
		t.State = tune.Pruned
	case tctx.Err() != nil && errors.Is(context.Cause(tctx), errTrialTimeout):
		t.State, t.Error = tune.Pruned, errTrialTimeout.Error()
	case ctx.Err() != nil:
		t.State, t.Error = tune.Pruned, "search timeout"
	default:
		t.State, t.Error = tune.Failed, err.Error()
	}
	return t
}

// errPruned reports that the pruner stopped a trial.
var errPruned = errors.New("pruned")

// fit builds the trial's model and returns its validation score and learnt
// attributes. Iterative models without pinned epochs are trained with early
// stopping: validated every 5 epochs up to 128, stopped after 5 validations
// without improvement, restored to their best epoch, which becomes
// "train_epochs".
func (s *Search) fit(ctx context.Context, t *tune.Trial, spec algo.Spec, threads int) (float64, map[string]any, error) {
	params := spec.Defaults.Merge(t.Params)
	m, err := spec.New(params, algo.Options{Threads: threads})
	if err != nil {
		return 0, nil, err
	}
	_, epochsPinned := s.Pinned[t.Class]["train_epochs"]
	it, iterative := m.(algo.Iterative)
	if !iterative || epochsPinned {
		if err := m.Fit(ctx, s.Train); err != nil {
			return 0, nil, err
		}
		score, err := s.Score(m)
		return score, nil, err
	}
	if err := it.Start(ctx, s.Train); err != nil {
		return 0, nil, err
	}
	best, bestEpoch, streak := math.Inf(-1), 0, 0
	var restore func()
	for e := 1; e <= maxEpochs; e++ {
		if err := it.Epoch(ctx); err != nil {
			return 0, nil, err
		}
		if e%validateEvery != 0 {
			continue
		}
		score, err := s.Score(m)
		if err != nil {
			return 0, nil, err
		}
		if score > best {
			best, bestEpoch, streak = score, e, 0
			restore = it.Snapshot()
		} else if streak++; streak >= patience {
			break
		}
		if s.Study.Report(t, e-1, score) {
			return 0, nil, errPruned
		}
	}
	if restore == nil {
		return 0, nil, fmt.Errorf("no validation ran")
	}
	restore()
	it.SetEpochs(bestEpoch)
	return best, map[string]any{"train_epochs": bestEpoch}, nil
}
