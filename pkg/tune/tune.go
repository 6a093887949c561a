// Package tune holds the hyperparameter search machinery: a Tree-structured
// Parzen Estimator (TPE) sampler with Optuna 4.9's defaults, a median
// pruner, and a study that records every trial in a Storage.
//
// Unlike Optuna, whose objective recotem minimises as −score, a study here
// maximises the score directly. Two deliberate differences from the
// reference's independent TPE: observations are conditioned on the
// algorithm (a trial of TruncatedSVD never informs the n_components of
// IALS, which Optuna's shared parameter names did), and the median pruner
// compares a trial only with completed trials of the same algorithm (its
// start-up count is Optuna's: completed trials of any algorithm).
package tune

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
)

// State is the state of a trial.
type State string

// Trial states.
const (
	Running  State = "running"
	Complete State = "complete"
	Pruned   State = "pruned"
	Failed   State = "failed"
)

// Trial is one evaluation of an algorithm with one set of hyperparameters.
type Trial struct {
	Number int         `json:"number"`
	Class  string      `json:"class"`
	Params algo.Params `json:"params"`
	State  State       `json:"state"`
	// Score is the validation metric of a complete trial.
	Score float64 `json:"score"`
	// Steps holds intermediate scores by step (epoch) of iterative models.
	Steps map[int]float64 `json:"steps,omitempty"`
	// Attrs holds learnt settings such as "train_epochs".
	Attrs    map[string]any `json:"attrs,omitempty"`
	Error    string         `json:"error,omitempty"`
	Owner    string         `json:"owner,omitempty"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished,omitempty"`
}

// Duration returns how long a finished trial ran.
func (t Trial) Duration() time.Duration {
	if t.Finished.IsZero() {
		return 0
	}
	return t.Finished.Sub(t.Started)
}

// lastStep returns the deepest reported step and its score.
func (t Trial) lastStep() (int, float64) {
	step, score := -1, math.Inf(-1)
	for s, v := range t.Steps {
		if s > step {
			step, score = s, v
		}
	}
	return step, score
}

// Sampler is a TPE sampler. The zero value uses Optuna's defaults with seed 0.
type Sampler struct {
	// Seed makes suggestions reproducible: the same seed and history give
	// the same suggestions.
	Seed int64
	// Startup is the number of finished trials of an algorithm sampled at
	// random before TPE takes over; 0 means Optuna's 10.
	Startup int
	// Candidates is the number of candidates drawn from the good-trial
	// estimator; 0 means Optuna's 24.
	Candidates int
}

// rng returns the random source of one trial: derived from the seed and
// the trial number, so concurrent trials draw independent, reproducible
// streams.
func (s Sampler) rng(number int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.Seed), uint64(number)+0x9E3779B97F4A7C15))
}

// Sample suggests a value for every parameter of space for trial number of
// class, given the study's history. Parameters already in pinned are not
// sampled; the result holds only sampled values.
func (s Sampler) Sample(history []Trial, class string, space []algo.Param, pinned algo.Params, number int) algo.Params {
	rng := s.rng(number)
	startup := s.Startup
	if startup <= 0 {
		startup = defaultStartup
	}
	ncand := s.Candidates
	if ncand <= 0 {
		ncand = defaultCandidates
	}
	var done []Trial
	for _, t := range history {
		if t.Class == class && (t.State == Complete || t.State == Pruned) {
			done = append(done, t)
		}
	}
	out := algo.Params{}
	if len(done) < startup {
		for _, p := range space {
			if _, ok := pinned[p.Name]; ok {
				continue
			}
			out[p.Name] = randomValue(rng, p)
		}
		return out
	}
	below, above := split(done, gamma(len(done)))
	for _, p := range space {
		if _, ok := pinned[p.Name]; ok {
			continue
		}
		out[p.Name] = tpeValue(rng, p, below, above, ncand)
	}
	return out
}

// randomValue draws uniformly (on a log scale for log parameters).
func randomValue(rng *rand.Rand, p algo.Param) any {
	if p.Kind == algo.Categorical {
		return p.Choices[rng.IntN(len(p.Choices))]
	}
	lo, hi := space(p)
	e := &numeric{}
	return e.value(p, lo+rng.Float64()*(hi-lo))
}

// split divides finished trials into the best n (complete trials by score,
// then pruned trials by depth and last score) and the rest, both in trial
// number order.
func split(done []Trial, n int) (below, above []Trial) {
	var complete, pruned []Trial
	for _, t := range done {
		if t.State == Complete {
			complete = append(complete, t)
		} else {
			pruned = append(pruned, t)
		}
	}
	sort.SliceStable(complete, func(i, j int) bool { return complete[i].Score > complete[j].Score })
	sort.SliceStable(pruned, func(i, j int) bool {
		si, vi := pruned[i].lastStep()
		sj, vj := pruned[j].lastStep()
		if si != sj {
			return si > sj
		}
		return vi > vj
	})
	ranked := append(complete, pruned...)
	if n > len(ranked) {
		n = len(ranked)
	}
	below = append([]Trial(nil), ranked[:n]...)
	above = append([]Trial(nil), ranked[n:]...)
	byNumber := func(ts []Trial) {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
	}
	byNumber(below)
	byNumber(above)
	return below, above
}

// tpeValue draws candidates from the good-trial estimator of p and returns
// the one maximising l(x)/g(x).
func tpeValue(rng *rand.Rand, p algo.Param, below, above []Trial, ncand int) any {
	if p.Kind == algo.Categorical {
		var ob, oa []any
		for _, t := range below {
			if v, ok := t.Params[p.Name]; ok {
				ob = append(ob, v)
			}
		}
		for _, t := range above {
			if v, ok := t.Params[p.Name]; ok {
				oa = append(oa, v)
			}
		}
		l, g := newCategorical(p, ob), newCategorical(p, oa)
		best, bestScore := 0, math.Inf(-1)
		for i := 0; i < ncand; i++ {
			c := pick(rng, l.probs)
			score := math.Log(l.probs[c]) - math.Log(g.probs[c])
			if score > bestScore {
				best, bestScore = c, score
			}
		}
		return p.Choices[best]
	}
	obs := func(ts []Trial) []float64 {
		var xs []float64
		for _, t := range ts {
			if v, ok := t.Params[p.Name]; ok {
				if f, err := (algo.Params{"v": v}).Float("v"); err == nil {
					xs = append(xs, f)
				}
			}
		}
		return xs
	}
	l, g := newNumeric(p, obs(below)), newNumeric(p, obs(above))
	bestX, bestScore := l.sample(rng), math.Inf(-1)
	for i := 0; i < ncand; i++ {
		x := l.sample(rng)
		if l.integer && !l.log {
			x = math.Round(x)
		}
		score := l.logPDF(x) - g.logPDF(x)
		if score > bestScore {
			bestX, bestScore = x, score
		}
	}
	return l.value(p, bestX)
}

// MedianPruner stops an iterative trial whose best intermediate score so
// far is below the median of the scores that completed trials of the same
// algorithm reported at the same step. As in Optuna, nothing is pruned
// while the study holds fewer than Startup completed trials of any
// algorithm. The zero value uses Optuna's defaults (5 startup trials, no
// warm-up, at least 1 trial to compare).
type MedianPruner struct {
	Startup   int
	Warmup    int
	MinTrials int
}

// Prune reports whether trial t, having just reported step, should stop.
func (m MedianPruner) Prune(history []Trial, t Trial, step int) bool {
	startup := m.Startup
	if startup == 0 {
		startup = 5
	}
	minTrials := m.MinTrials
	if minTrials == 0 {
		minTrials = 1
	}
	if step < m.Warmup {
		return false
	}
	var complete int
	var values []float64
	for _, h := range history {
		if h.State != Complete {
			continue
		}
		complete++
		if v, ok := h.Steps[step]; ok && h.Class == t.Class {
			values = append(values, v)
		}
	}
	if complete < startup || len(values) < minTrials {
		return false
	}
	best := math.Inf(-1)
	for s, v := range t.Steps {
		if s <= step && v > best {
			best = v
		}
	}
	return best < median(values)
}

// median returns the linearly interpolated 50th percentile.
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := 0.5 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}
