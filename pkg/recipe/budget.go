package recipe

import (
	"math"
	"sort"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
)

// Budgets splits nTrials over classes (canonical names, recipe order)
// following training.per_algorithm_trials (recipe-and-cli.md §1.9,
// training.md §1.7), and returns the budget of every class, zeros included:
//
//   - no map (or an empty one): an even split, the first nTrials mod
//     len(classes) classes get one more;
//   - values are clamped to ≥ 0; S is the sum of the listed classes;
//   - S = 0 and every class listed: the even split;
//   - S > nTrials: the listed classes with a value > 0 (P) share nTrials:
//     when nTrials < |P| the first nTrials of P get 1; otherwise each but
//     the last gets max(1, round-half-even(v·nTrials/S)) and the last
//     max(1, nTrials − allocated); everything else gets 0;
//   - otherwise listed classes keep their value and the leftover is split
//     evenly over the unlisted classes (extras to the first), or, when all
//     are listed, added to the last listed class with a value > 0.
//
// Keys resolve through the algorithm aliases; a key that names no
// algorithm is a training error (unknown_algorithm_in_budget, exit 4). Keys
// naming an algorithm that is not in classes are ignored; two keys naming
// the same class: the one that sorts last wins. When every budget is 0 the
// budgets are returned with a no_active_algorithms training error.
func Budgets(classes []string, nTrials int, per map[string]int) (map[string]int, error) {
	out := make(map[string]int, len(classes))
	for _, c := range classes {
		out[c] = 0
	}
	if len(classes) == 0 {
		return out, exitcode.Reasoned(exitcode.Training, "no_active_algorithms", "no algorithm has a trial budget")
	}
	keys := make([]string, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	explicit := map[string]int{}
	for _, k := range keys {
		c, ok := algo.Resolve(k)
		if !ok {
			return nil, exitcode.Reasoned(exitcode.Training, "unknown_algorithm_in_budget",
				"per_algorithm_trials key '%s' does not name a known algorithm", k)
		}
		if _, in := out[c]; in {
			explicit[c] = max(per[k], 0)
		}
	}
	even := func() {
		m := len(classes)
		for i, c := range classes {
			out[c] = nTrials / m
			if i < nTrials%m {
				out[c]++
			}
		}
	}
	sum := 0
	var unlisted, positive []string
	for _, c := range classes {
		v, listed := explicit[c]
		if !listed {
			unlisted = append(unlisted, c)
			continue
		}
		sum += v
		if v > 0 {
			positive = append(positive, c)
		}
	}
	switch {
	case len(explicit) == 0, sum == 0 && len(unlisted) == 0:
		even()
	case sum > nTrials:
		if nTrials < len(positive) {
			for _, c := range positive[:max(nTrials, 0)] {
				out[c] = 1
			}
			break
		}
		scale := float64(nTrials) / float64(sum)
		total := 0
		for i, c := range positive {
			if i == len(positive)-1 {
				out[c] = max(1, nTrials-total)
				break
			}
			b := max(1, int(math.RoundToEven(float64(explicit[c])*scale)))
			out[c] = b
			total += b
		}
	default:
		for c, v := range explicit {
			out[c] = v
		}
		left := nTrials - sum
		if len(unlisted) > 0 {
			for i, c := range unlisted {
				out[c] = left / len(unlisted)
				if i < left%len(unlisted) {
					out[c]++
				}
			}
		} else if len(positive) > 0 {
			out[positive[len(positive)-1]] += left
		}
	}
	for _, c := range classes {
		if out[c] > 0 {
			return out, nil
		}
	}
	return out, exitcode.Reasoned(exitcode.Training, "no_active_algorithms", "every algorithm has a trial budget of 0")
}
