package tune

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/codelibs/recotem-go/pkg/algo"
)

// Optuna 4.9 TPE defaults (training.md §1.7).
const (
	defaultStartup    = 10
	defaultCandidates = 24
	priorWeight       = 1.0
)

// gamma is the number of "below" (good) trials out of n: min(ceil(0.1n), 25).
func gamma(n int) int {
	g := int(math.Ceil(0.1 * float64(n)))
	if g > 25 {
		g = 25
	}
	return g
}

// observationWeights returns Optuna's default weights for n observations
// ordered oldest first: all ones below 25, else a linear ramp from 1/n to 1
// over the oldest n-25 followed by 25 ones.
func observationWeights(n int) []float64 {
	w := make([]float64, n)
	if n < 25 {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	ramp := n - 25
	for i := 0; i < ramp; i++ {
		if ramp == 1 {
			w[i] = 1.0 / float64(n)
		} else {
			w[i] = 1.0/float64(n) + (1-1.0/float64(n))*float64(i)/float64(ramp-1)
		}
	}
	for i := ramp; i < n; i++ {
		w[i] = 1
	}
	return w
}

// numeric is a mixture of truncated normals over [low, high] in the
// parameter's sampling space (log space for log parameters, with integer
// bounds widened by 0.5).
type numeric struct {
	low, high float64
	mus       []float64
	sigmas    []float64
	weights   []float64 // normalised
	integer   bool
	log       bool
}

// space returns the sampling-space bounds of p.
func space(p algo.Param) (lo, hi float64) {
	lo, hi = p.Low, p.High
	if p.Kind == algo.Int {
		lo, hi = lo-0.5, hi+0.5
	}
	if p.Log {
		lo, hi = math.Log(math.Max(lo, 1e-300)), math.Log(hi)
	}
	return lo, hi
}

// toSpace maps a parameter value into its sampling space.
func toSpace(p algo.Param, v float64) float64 {
	if p.Log {
		return math.Log(v)
	}
	return v
}

// newNumeric builds the Parzen estimator of p from observations (oldest
// first) plus the prior kernel.
func newNumeric(p algo.Param, obs []float64) *numeric {
	lo, hi := space(p)
	n := len(obs)
	e := &numeric{low: lo, high: hi, integer: p.Kind == algo.Int, log: p.Log}
	mus := make([]float64, n)
	for i, v := range obs {
		mus[i] = toSpace(p, v)
	}
	sigmas := make([]float64, n)
	if n > 0 {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return mus[order[a]] < mus[order[b]] })
		sorted := make([]float64, n+2)
		sorted[0], sorted[n+1] = lo, hi
		for i, k := range order {
			sorted[i+1] = mus[k]
		}
		for i, k := range order {
			left := sorted[i+1] - sorted[i]
			right := sorted[i+2] - sorted[i+1]
			s := math.Max(left, right)
			if n >= 2 {
				// The outermost kernels use only their inner gap (consider_endpoints=False).
				if i == 0 {
					s = right
				} else if i == n-1 {
					s = left
				}
			}
			sigmas[k] = s
		}
		maxSigma := hi - lo
		minSigma := (hi - lo) / math.Min(100, float64(n)+2)
		for i := range sigmas {
			sigmas[i] = math.Min(math.Max(sigmas[i], minSigma), maxSigma)
		}
	}
	w := observationWeights(n)
	e.mus = append(mus, (lo+hi)/2)
	e.sigmas = append(sigmas, hi-lo)
	w = append(w, priorWeight)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	for i := range w {
		w[i] /= sum
	}
	e.weights = w
	return e
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// sample draws one value in sampling space.
func (e *numeric) sample(rng *rand.Rand) float64 {
	k := pick(rng, e.weights)
	mu, sigma := e.mus[k], e.sigmas[k]
	a, b := (e.low-mu)/sigma, (e.high-mu)/sigma
	flip := false
	if a > 0 { // sample the mirrored interval for accuracy in the upper tail
		a, b, flip = -b, -a, true
	}
	pa, pb := normCDF(a), normCDF(b)
	u := pa + rng.Float64()*(pb-pa)
	z := math.Sqrt2 * math.Erfinv(2*u-1)
	if math.IsNaN(z) || math.IsInf(z, 0) {
		z = (a + b) / 2
	}
	if flip {
		z = -z
	}
	x := mu + sigma*z
	return math.Min(math.Max(x, e.low), e.high)
}

// logPDF returns the log density (or, for integers, the log probability of
// the unit cell around x) of the mixture at x in sampling space.
func (e *numeric) logPDF(x float64) float64 {
	total := 0.0
	for k, w := range e.weights {
		mu, sigma := e.mus[k], e.sigmas[k]
		z := normCDF((e.high-mu)/sigma) - normCDF((e.low-mu)/sigma)
		if z <= 0 {
			z = 1e-300
		}
		var p float64
		if e.integer && !e.log {
			p = (normCDF((x+0.5-mu)/sigma) - normCDF((x-0.5-mu)/sigma)) / z
		} else {
			d := (x - mu) / sigma
			p = math.Exp(-0.5*d*d) / (sigma * math.Sqrt(2*math.Pi) * z)
		}
		total += w * p
	}
	if total <= 0 {
		return math.Inf(-1)
	}
	return math.Log(total)
}

// value converts a sampling-space point back to a parameter value.
func (e *numeric) value(p algo.Param, x float64) any {
	if p.Log {
		x = math.Exp(x)
	}
	if p.Kind == algo.Int {
		i := math.Round(x)
		return int(math.Min(math.Max(i, p.Low), p.High))
	}
	return math.Min(math.Max(x, p.Low), p.High)
}

// categorical is a mixture over a parameter's choices.
type categorical struct {
	probs []float64 // mixture probability of each choice
}

func newCategorical(p algo.Param, obs []any) *categorical {
	c := len(p.Choices)
	n := len(obs)
	w := observationWeights(n)
	w = append(w, priorWeight)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	probs := make([]float64, c)
	for k := 0; k <= n; k++ {
		row := make([]float64, c)
		for j := range row {
			row[j] = priorWeight / float64(c)
		}
		if k < n {
			for j, ch := range p.Choices {
				if ch == obs[k] {
					row[j]++
				}
			}
		}
		rs := 0.0
		for _, x := range row {
			rs += x
		}
		for j := range row {
			probs[j] += w[k] / sum * row[j] / rs
		}
	}
	return &categorical{probs: probs}
}

// pick draws an index with probability proportional to w.
func pick(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := rng.Float64() * total
	for i, x := range w {
		u -= x
		if u < 0 {
			return i
		}
	}
	return len(w) - 1
}
