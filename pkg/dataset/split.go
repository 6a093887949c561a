package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Dataset is the cleansed interaction data.
type Dataset struct {
	// UserIDs and ItemIDs are the distinct ids in string order: row u of X
	// is user UserIDs[u], column i is item ItemIDs[i].
	UserIDs, ItemIDs []string
	// X holds, for each (user, item), the number of cleansed rows: 1 under
	// keep_first/keep_last, a count under dedup none.
	X *sparse.CSR
	// Stats are the data_stats of the artifact.
	Stats Stats

	// The cleansed rows in source order: user and item indices, and unix
	// nanoseconds (nullTime for a null) when the data has a time column.
	users, items []int32
	times        []int64
}

// HasTime reports whether the rows carry a time column.
func (d *Dataset) HasTime() bool { return d.times != nil }

// The split schemes.
const (
	SchemeRandom     = "random"
	SchemeTimeUser   = "time_user"
	SchemeTimeGlobal = "time_global"
)

// SplitConfig is the recipe's training.split.
type SplitConfig struct {
	Scheme        string
	HeldoutRatio  float64 // in (0, 1)
	TestUserRatio float64 // in (0, 1]
	Seed          int64
}

// Split is the search data.
type Split struct {
	// Train stacks the training users' rows, then the validation users'
	// kept rows (X_train_full). Columns are the dataset's items.
	Train *sparse.CSR
	// Heldout holds the validation users' held-out rows: row k is row
	// Offset+k of Train (X_val_test).
	Heldout *sparse.CSR
	// Offset is the number of training users.
	Offset int
	// Users maps each row of Train to the dataset's user index.
	Users []int32
}

// splitStream is the PCG stream of the split's RNG.
const splitStream = 0x5eed5

func splitError(format string, args ...any) error {
	return exitcode.Reasoned(exitcode.Training, "split_error", "split: "+format, args...)
}

// Split partitions the data into search training and validation data
// (training.md §1.5). It is deterministic for a given seed.
//
// Deliberate differences from the reference: scheme random always holds out
// a uniformly random subset, even when a time column is configured (the
// reference silently performs the time_user holdout then); time_global
// never drops a validatable user (the reference's float rounding of
// floor(n·r/(1−(1−r))) loses one to an ignored test set); the RNG is
// math/rand/v2 PCG, so the users and rows drawn differ from irspack's for
// the same seed. Time splits fail with a split error when a row has a null
// time.
func (d *Dataset) Split(c SplitConfig) (*Split, error) {
	if !(c.HeldoutRatio > 0 && c.HeldoutRatio < 1) {
		return nil, splitError("heldout_ratio %g is outside (0, 1)", c.HeldoutRatio)
	}
	if !(c.TestUserRatio > 0 && c.TestUserRatio <= 1) {
		return nil, splitError("test_user_ratio %g is outside (0, 1]", c.TestUserRatio)
	}
	if len(d.users) == 0 {
		return nil, splitError("no interactions to split")
	}
	if c.Scheme == SchemeTimeUser || c.Scheme == SchemeTimeGlobal {
		if d.times == nil {
			return nil, splitError("scheme %s needs a time column", c.Scheme)
		}
		if n := d.nullTimes(); n > 0 {
			return nil, splitError("scheme %s: %d rows have a null time", c.Scheme, n)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(c.Seed), splitStream))
	var s *Split
	var err error
	switch c.Scheme {
	case SchemeRandom, "":
		s, err = d.splitUsers(c, rng, false)
	case SchemeTimeUser:
		s, err = d.splitUsers(c, rng, true)
	case SchemeTimeGlobal:
		s, err = d.splitTimeGlobal(c, rng)
	default:
		return nil, splitError("unknown scheme %q", c.Scheme)
	}
	if err != nil {
		return nil, err
	}
	if s.Heldout.NNZ() == 0 {
		return nil, splitError("the held-out set is empty (heldout_ratio %g, %d validation users)", c.HeldoutRatio, s.Heldout.Rows)
	}
	return s, nil
}

func (d *Dataset) nullTimes() int {
	n := 0
	for _, t := range d.times {
		if t == nullTime {
			n++
		}
	}
	return n
}

// userRows returns, for each user, the positions of its rows in source
// order (a CSR-like pointer array and position list).
func (d *Dataset) userRows() (ptr []int64, pos []int32) {
	nu := len(d.UserIDs)
	ptr = make([]int64, nu+1)
	for _, u := range d.users {
		ptr[u+1]++
	}
	for u := 0; u < nu; u++ {
		ptr[u+1] += ptr[u]
	}
	next := slices.Clone(ptr[:nu])
	pos = make([]int32, len(d.users))
	for p, u := range d.users {
		pos[next[u]] = int32(p)
		next[u]++
	}
	return ptr, pos
}

// splitUsers implements random and time_user (irspack's
// split_dataframe_partial_user_holdout).
func (d *Dataset) splitUsers(c SplitConfig, rng *rand.Rand, byTime bool) (*Split, error) {
	nu, ni := len(d.UserIDs), len(d.ItemIDs)
	// Users in first-appearance order.
	order := make([]int32, 0, nu)
	seen := make([]bool, nu)
	for _, u := range d.users {
		if !seen[u] {
			seen[u] = true
			order = append(order, u)
		}
	}
	nVal := int(math.Floor(float64(nu) * c.TestUserRatio))
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	val := slices.Clone(order[:nVal])
	train := slices.Clone(order[nVal:])
	slices.Sort(val)
	slices.Sort(train)
	ptr, pos := d.userRows()
	// stamp[i] == u+1 when item i was already taken for user u: the
	// re-dedup keeps each user's first row of an item (binary matrices).
	stamp := make([]int32, ni)
	distinct := func(u int32, buf []int32) []int32 {
		buf = buf[:0]
		for _, p := range pos[ptr[u]:ptr[u+1]] {
			if i := d.items[p]; stamp[i] != u+1 {
				stamp[i] = u + 1
				buf = append(buf, p)
			}
		}
		return buf
	}
	var tr, tc, hr, hc []int32
	var buf []int32
	for k, u := range train {
		buf = distinct(u, buf)
		for _, p := range buf {
			tr = append(tr, int32(k))
			tc = append(tc, d.items[p])
		}
	}
	for k, u := range val {
		buf = distinct(u, buf)
		h := int(math.Floor(float64(len(buf)) * c.HeldoutRatio))
		if byTime {
			// Stable by time: for equal times the later source row counts
			// as more recent. The h most recent are held out.
			slices.SortStableFunc(buf, func(a, b int32) int {
				ta, tb := d.times[a], d.times[b]
				switch {
				case ta < tb:
					return -1
				case ta > tb:
					return 1
				}
				return 0
			})
		} else {
			// A uniformly random subset of size h, moved to the end.
			for q := 0; q < h; q++ {
				last := len(buf) - 1 - q
				j := rng.IntN(last + 1)
				buf[j], buf[last] = buf[last], buf[j]
			}
		}
		row := int32(len(train) + k)
		cut := len(buf) - h
		for _, p := range buf[:cut] {
			tr = append(tr, row)
			tc = append(tc, d.items[p])
		}
		for _, p := range buf[cut:] {
			hr = append(hr, int32(k))
			hc = append(hc, d.items[p])
		}
	}
	return build(train, val, ni, tr, tc, hr, hc, sparse.DupFirst)
}

// splitTimeGlobal implements time_global (irspack's
// holdout_specific_interactions).
func (d *Dataset) splitTimeGlobal(c SplitConfig, rng *rand.Rand) (*Split, error) {
	nu, ni := len(d.UserIDs), len(d.ItemIDs)
	sorted := slices.Clone(d.times)
	slices.Sort(sorted)
	base, frac := quantile(sorted, 1-c.HeldoutRatio)
	sorted = nil
	flagged := func(t int64) bool {
		return float64(t-base) >= frac
	}
	validatable := make([]bool, nu)
	found := false
	for p, t := range d.times {
		if flagged(t) {
			validatable[d.users[p]] = true
			found = true
		}
	}
	if !found {
		return nil, splitError("no interaction at or after the time cutoff")
	}
	var cand, train, val []int32
	for u := 0; u < nu; u++ {
		if validatable[u] {
			cand = append(cand, int32(u))
		} else {
			train = append(train, int32(u))
		}
	}
	if c.TestUserRatio >= 1 {
		val = cand
	} else {
		rng.Shuffle(len(cand), func(a, b int) { cand[a], cand[b] = cand[b], cand[a] })
		nTrain := int(math.Floor((1 - c.TestUserRatio) * float64(len(cand))))
		train = append(train, cand[:nTrain]...)
		val = slices.Clone(cand[nTrain:])
		slices.Sort(train)
		slices.Sort(val)
	}
	row := make([]int32, nu) // user → row in Train
	isVal := make([]bool, nu)
	for k, u := range train {
		row[u] = int32(k)
	}
	for k, u := range val {
		row[u] = int32(len(train) + k)
		isVal[u] = true
	}
	var tr, tc, hr, hc []int32
	for p, u := range d.users {
		if isVal[u] && flagged(d.times[p]) {
			hr = append(hr, row[u]-int32(len(train)))
			hc = append(hc, d.items[p])
		} else {
			tr = append(tr, row[u])
			tc = append(tc, d.items[p])
		}
	}
	// No re-dedup: duplicate pairs (dedup none) are summed into counts.
	return build(train, val, ni, tr, tc, hr, hc, sparse.DupSum)
}

// quantile returns the q-quantile of sorted (linear interpolation, numpy's
// default) as a base value and an offset from it: x ≥ quantile iff
// float64(x-base) ≥ offset.
func quantile(sorted []int64, q float64) (base int64, offset float64) {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1], 0
	}
	return sorted[lo], (pos - float64(lo)) * float64(sorted[lo+1]-sorted[lo])
}

// build assembles the split matrices from row/column triplets.
func build(train, val []int32, ni int, tr, tc, hr, hc []int32, dup sparse.Dup) (*Split, error) {
	x, err := sparse.FromCOO(len(train)+len(val), ni, tr, tc, nil, dup)
	if err != nil {
		return nil, splitError("%v", err)
	}
	h, err := sparse.FromCOO(len(val), ni, hr, hc, nil, dup)
	if err != nil {
		return nil, splitError("%v", err)
	}
	users := append(slices.Clone(train), val...)
	return &Split{Train: x, Heldout: h, Offset: len(train), Users: users}, nil
}

// String describes the split's shape for logs.
func (s *Split) String() string {
	return fmt.Sprintf("%d training users, %d validation users, %d held-out interactions", s.Offset, s.Heldout.Rows, s.Heldout.NNZ())
}
