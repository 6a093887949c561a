// Package eval computes ranking metrics at a cutoff over held-out users,
// with the semantics of irspack 0.5.0's Evaluator: each validation user's
// training items are masked to -Inf but still occupy slots of the ranked
// list when fewer than cutoff items are unmasked, ties go to the lower
// column index, users without held-out items are skipped, and recall and MAP
// divide by the size of the held-out set.
//
// Users are evaluated in parallel in fixed-size blocks; the result does not
// depend on the thread count.
package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Metric names a ranking metric.
type Metric string

// The metrics the evaluator computes. The recipe's training.metric accepts
// NDCG, MAP, Recall and Hit; Precision is reported but cannot be a target.
const (
	NDCG      Metric = "ndcg"
	MAP       Metric = "map"
	Recall    Metric = "recall"
	Hit       Metric = "hit"
	Precision Metric = "precision"
)

// ParseMetric returns the target metric named s (case-insensitive): ndcg,
// map, recall or hit. Anything else, precision included, is a training
// error with reason "invalid_metric", as in the reference.
func ParseMetric(s string) (Metric, error) {
	switch m := Metric(strings.ToLower(s)); m {
	case NDCG, MAP, Recall, Hit:
		return m, nil
	}
	return "", exitcode.Reasoned(exitcode.Training, "invalid_metric", "training.metric: %q is not one of ndcg, map, recall, hit", s)
}

// Result holds every metric of one evaluation.
type Result struct {
	NDCG, MAP, Recall, Hit, Precision float64
	// AppearedItem is the number of distinct items in any valid user's
	// ranked list.
	AppearedItem int
	// Entropy is -Σ p_j ln p_j over the recommendation counts of items.
	Entropy float64
	// Gini is the Gini index of the recommendation counts over all items.
	Gini float64
	// ValidUsers counts users with at least one held-out item; TotalUsers
	// counts every row of the held-out matrix.
	ValidUsers, TotalUsers int
}

// Value returns the named metric (0 for an unknown name).
func (r Result) Value(m Metric) float64 {
	switch m {
	case NDCG:
		return r.NDCG
	case MAP:
		return r.MAP
	case Recall:
		return r.Recall
	case Hit:
		return r.Hit
	case Precision:
		return r.Precision
	}
	return 0
}

// Map returns the metrics keyed as irspack names them: "ndcg", "map",
// "recall", "hit", "precision", "appeared_item", "entropy", "gini",
// "n_valid_users", "total_user".
func (r Result) Map() map[string]float64 {
	return map[string]float64{
		"ndcg": r.NDCG, "map": r.MAP, "recall": r.Recall, "hit": r.Hit, "precision": r.Precision,
		"appeared_item": float64(r.AppearedItem), "entropy": r.Entropy, "gini": r.Gini,
		"n_valid_users": float64(r.ValidUsers), "total_user": float64(r.TotalUsers),
	}
}

// Config describes an evaluation.
type Config struct {
	// Train is the matrix the models are fitted on (users × items). Its
	// stored entries are masked; it is also passed to ScoreUsers.
	Train *sparse.CSR
	// Heldout holds the ground truth: row k is validation user k, which is
	// row Offset+k of Train. Stored values are ignored.
	Heldout *sparse.CSR
	// Offset is the row of Train that holds validation user 0.
	Offset int
	// Cutoff is the length of the ranked list; 1 ≤ Cutoff ≤ items.
	Cutoff int
	// Metric is the target metric returned by Score (default NDCG).
	Metric Metric
	// Threads bounds the goroutines; < 1 means linalg.Threads().
	Threads int
	// BlockUsers is the number of users scored per ScoreUsers call; < 1
	// picks one from the item count.
	BlockUsers int
}

// Evaluator scores models against held-out interactions.
type Evaluator struct {
	c     Config
	valid []int32   // validation users (rows of Heldout) with ground truth
	idcg  []float64 // idcg[n] = Σ_{p<n} 1/log2(p+2)
	disc  []float64 // disc[p] = 1/log2(p+2)
}

// New checks the configuration and returns an evaluator. A cutoff outside
// [1, items] is an error, as is a Train matrix with fewer than
// Offset+Heldout.Rows rows or a different column count. These errors carry
// no exit code (the reference fails with an internal error, exit 1); the
// caller decides.
func New(c Config) (*Evaluator, error) {
	if c.Train == nil || c.Heldout == nil {
		return nil, fmt.Errorf("evaluator: training and held-out matrices are required")
	}
	if c.Train.Cols != c.Heldout.Cols {
		return nil, fmt.Errorf("evaluator: training matrix has %d items, held-out matrix %d", c.Train.Cols, c.Heldout.Cols)
	}
	if c.Offset < 0 || c.Offset+c.Heldout.Rows > c.Train.Rows {
		return nil, fmt.Errorf("evaluator: held-out rows %d..%d exceed the %d training rows", c.Offset, c.Offset+c.Heldout.Rows, c.Train.Rows)
	}
	if c.Cutoff < 1 || c.Cutoff > c.Train.Cols {
		return nil, fmt.Errorf("evaluator: cutoff %d is outside 1..%d (the number of items)", c.Cutoff, c.Train.Cols)
	}
	if c.Metric == "" {
		c.Metric = NDCG
	}
	if c.Threads < 1 {
		c.Threads = linalg.Threads()
	}
	if c.BlockUsers < 1 {
		c.BlockUsers = max(1, min(256, (1<<20)/max(c.Train.Cols, 1)))
	}
	e := &Evaluator{c: c}
	for u := 0; u < c.Heldout.Rows; u++ {
		if c.Heldout.RowLen(u) > 0 {
			e.valid = append(e.valid, int32(u))
		}
	}
	e.disc = make([]float64, c.Cutoff)
	e.idcg = make([]float64, c.Cutoff+1)
	for p := range e.disc {
		e.disc[p] = 1 / math.Log2(float64(p)+2)
		e.idcg[p+1] = e.idcg[p] + e.disc[p]
	}
	return e, nil
}

// Cutoff returns the ranked-list length.
func (e *Evaluator) Cutoff() int { return e.c.Cutoff }

// Metric returns the target metric.
func (e *Evaluator) Metric() Metric { return e.c.Metric }

// Score evaluates m and returns the target metric.
func (e *Evaluator) Score(ctx context.Context, m algo.Recommender) (float64, error) {
	r, err := e.Evaluate(ctx, m)
	if err != nil {
		return 0, err
	}
	return r.Value(e.c.Metric), nil
}

// userMetrics holds one valid user's metric values.
type userMetrics struct{ ndcg, ap, recall, hit, precision float64 }

// Evaluate scores every validation user with ground truth and returns all
// metrics. It returns ctx.Err() when cancelled.
func (e *Evaluator) Evaluate(ctx context.Context, m algo.Recommender) (Result, error) {
	nItems := e.c.Train.Cols
	if m.NumItems() != nItems {
		return Result{}, fmt.Errorf("evaluator: model scores %d items, the data has %d", m.NumItems(), nItems)
	}
	// Blocks small enough for eight per thread, so that the threads finish
	// together, but of at least 16 users.
	bs := min(e.c.BlockUsers, max(16, (len(e.valid)+8*e.c.Threads-1)/(8*e.c.Threads)))
	nBlocks := (len(e.valid) + bs - 1) / bs
	per := make([]userMetrics, len(e.valid))
	type scratch struct {
		scores []float32
		users  []int32
		top    []int32
		mark   []bool
		counts []int64
	}
	threads := min(e.c.Threads, max(nBlocks, 1))
	work := make([]scratch, threads)
	negInf := float32(math.Inf(-1))
	k := e.c.Cutoff
	linalg.ParallelForWorker(nBlocks, 1, threads, func(w, lo, hi int) {
		s := &work[w]
		if s.scores == nil {
			s.scores = make([]float32, bs*nItems)
			s.users = make([]int32, 0, bs)
			s.top = make([]int32, 0, k)
			s.mark = make([]bool, nItems)
			s.counts = make([]int64, nItems)
		}
		for b := lo; b < hi; b++ {
			if ctx.Err() != nil {
				return
			}
			first := b * bs
			last := min(first+bs, len(e.valid))
			s.users = s.users[:0]
			for _, v := range e.valid[first:last] {
				s.users = append(s.users, int32(e.c.Offset)+v)
			}
			scores := s.scores[:len(s.users)*nItems]
			m.ScoreUsers(e.c.Train, s.users, scores)
			for q, row := range s.users {
				us := scores[q*nItems : (q+1)*nItems]
				seen, _ := e.c.Train.Row(int(row))
				for _, j := range seen {
					us[j] = negInf
				}
				s.top = linalg.TopK(us, k, s.top)
				truth, _ := e.c.Heldout.Row(int(e.valid[first+q]))
				for _, j := range truth {
					s.mark[j] = true
				}
				var dcg, ap float64
				hits := 0
				for p, j := range s.top {
					s.counts[j]++
					if s.mark[j] {
						hits++
						dcg += e.disc[p]
						ap += float64(hits) / float64(p+1)
					}
				}
				for _, j := range truth {
					s.mark[j] = false
				}
				g := float64(len(truth))
				um := &per[first+q]
				um.ndcg = dcg / e.idcg[min(len(truth), k)]
				um.ap = ap / g
				um.recall = float64(hits) / g
				if hits > 0 {
					um.hit = 1
				}
				um.precision = float64(hits) / float64(k)
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	r := Result{ValidUsers: len(e.valid), TotalUsers: e.c.Heldout.Rows}
	for _, um := range per {
		r.NDCG += um.ndcg
		r.MAP += um.ap
		r.Recall += um.recall
		r.Hit += um.hit
		r.Precision += um.precision
	}
	n := float64(max(len(e.valid), 1))
	r.NDCG /= n
	r.MAP /= n
	r.Recall /= n
	r.Hit /= n
	r.Precision /= n
	counts := make([]int64, nItems)
	for _, s := range work {
		for j, c := range s.counts {
			counts[j] += c
		}
	}
	r.AppearedItem, r.Entropy, r.Gini = diversity(counts)
	return r, nil
}

// diversity returns the number of items recommended at least once, the
// entropy of the recommendation counts and their Gini index (0 when nothing
// was recommended, where irspack 0.5.0 yields NaN).
func diversity(counts []int64) (appeared int, entropy, gini float64) {
	var total int64
	for _, c := range counts {
		total += c
		if c > 0 {
			appeared++
		}
	}
	if total == 0 {
		return 0, 0, 0
	}
	t := float64(total)
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / t
			entropy -= p * math.Log(p)
		}
	}
	sorted := slices.Clone(counts)
	slices.Sort(sorted)
	n := float64(len(sorted))
	for r, c := range sorted {
		gini += (2*float64(r) - n + 1) * float64(c)
	}
	gini /= n * t
	return appeared, entropy, gini
}
