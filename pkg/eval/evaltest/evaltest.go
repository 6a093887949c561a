// Package evaltest loads the anchor data sets (training.md's "anchor
// protocol": the seed-42 splits under ../shared/data) for tests of the
// algorithms and the evaluator. Tests skip cleanly when the data is absent.
package evaltest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/eval"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// SharedDirEnv names the shared directory (the one holding data/) when set.
const SharedDirEnv = "RECOTEM_SHARED_DIR"

// AnchorData is one anchor data set in the anchor protocol's layout.
type AnchorData struct {
	// Set is "ml-100k" or "ml-latest-small".
	Set string
	// Train holds the training users' rows, then the validation users'
	// kept rows, all with value 1. Columns are every item of the full data
	// file, sorted by numeric id.
	Train *sparse.CSR
	// Heldout holds the validation users' held-out rows: row k is row
	// Offset+k of Train.
	Heldout *sparse.CSR
	// Offset is the number of training users.
	Offset int
	// UserIDs are the ids of Train's rows; ItemIDs of its columns.
	UserIDs, ItemIDs []string
}

// dataFiles maps a set to its full data file and the file's separator and
// header line count.
var dataFiles = map[string]struct {
	name   string
	sep    string
	header int
}{
	"ml-100k":         {"u.data", "\t", 0},
	"ml-latest-small": {"ratings.csv", ",", 1},
}

// SharedDir returns the shared directory: $RECOTEM_SHARED_DIR, or the first
// directory named "shared" containing data/ found walking up from the
// working directory (as a child of the directory or of any ancestor).
func SharedDir() (string, bool) {
	if d := os.Getenv(SharedDirEnv); d != "" {
		if st, err := os.Stat(filepath.Join(d, "data")); err == nil && st.IsDir() {
			return d, true
		}
		return "", false
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared")
		if st, err := os.Stat(filepath.Join(cand, "data")); err == nil && st.IsDir() {
			return cand, true
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

var cache sync.Map // set -> *loaded

type loaded struct {
	once sync.Once
	data *AnchorData
	err  error
}

// Anchor returns the anchor data set named set, loading it once per test
// binary. It skips t when the shared data is absent and fails t when the
// files are present but unreadable. The returned data must not be modified.
func Anchor(t testing.TB, set string) *AnchorData {
	t.Helper()
	if _, ok := dataFiles[set]; !ok {
		t.Fatalf("evaltest: unknown anchor set %q", set)
	}
	dir, ok := SharedDir()
	if !ok {
		t.Skipf("evaltest: shared data not found (set %s or run inside the work tree)", SharedDirEnv)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", set, "split-seed42")); err != nil {
		t.Skipf("evaltest: %s split not present: %v", set, err)
	}
	v, _ := cache.LoadOrStore(set, &loaded{})
	l := v.(*loaded)
	l.once.Do(func() { l.data, l.err = Load(filepath.Join(dir, "data", set), set) })
	if l.err != nil {
		t.Fatalf("evaltest: %v", l.err)
	}
	return l.data
}

// Load reads an anchor set from dir (which holds the data file and
// split-seed42/).
func Load(dir, set string) (*AnchorData, error) {
	df, ok := dataFiles[set]
	if !ok {
		return nil, fmt.Errorf("unknown anchor set %q", set)
	}
	all, err := readPairs(filepath.Join(dir, df.name), df.sep, df.header)
	if err != nil {
		return nil, err
	}
	split := filepath.Join(dir, "split-seed42")
	trainUsers, err := readPairs(filepath.Join(split, "train_users.tsv"), "\t", 0)
	if err != nil {
		return nil, err
	}
	valTrain, err := readPairs(filepath.Join(split, "val_users_train.tsv"), "\t", 0)
	if err != nil {
		return nil, err
	}
	valHeld, err := readPairs(filepath.Join(split, "val_users_heldout.tsv"), "\t", 0)
	if err != nil {
		return nil, err
	}
	items := distinct(all, 1)
	itemIdx := index(items)
	trainIDs := distinct(trainUsers, 0)
	valIDs := distinct(append(slices.Clone(valTrain), valHeld...), 0)
	users := append(slices.Clone(trainIDs), valIDs...)
	userIdx := index(users)
	if len(userIdx) != len(users) {
		return nil, fmt.Errorf("%s: a user is both a training and a validation user", split)
	}
	build := func(name string, rowBase int, rows int, parts ...[][2]int64) (*sparse.CSR, error) {
		var r, c []int32
		for _, part := range parts {
			for _, p := range part {
				u, ok := userIdx[p[0]]
				i, ok2 := itemIdx[p[1]]
				if !ok || !ok2 {
					return nil, fmt.Errorf("%s: pair (%d, %d) not in the data file", name, p[0], p[1])
				}
				r = append(r, int32(u-rowBase))
				c = append(c, int32(i))
			}
		}
		m, err := sparse.FromCOO(rows, len(items), r, c, nil, sparse.DupFirst)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	train, err := build(split+" training", 0, len(users), trainUsers, valTrain)
	if err != nil {
		return nil, err
	}
	held, err := build(split+" held-out", len(trainIDs), len(valIDs), valHeld)
	if err != nil {
		return nil, err
	}
	d := &AnchorData{Set: set, Train: train, Heldout: held, Offset: len(trainIDs)}
	for _, u := range users {
		d.UserIDs = append(d.UserIDs, strconv.FormatInt(u, 10))
	}
	for _, i := range items {
		d.ItemIDs = append(d.ItemIDs, strconv.FormatInt(i, 10))
	}
	return d, nil
}

// readPairs reads the first two fields of every line as integer (user,
// item) ids.
func readPairs(path, sep string, header int) ([][2]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]int64
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		if line <= header || sc.Text() == "" {
			continue
		}
		fields := strings.SplitN(sc.Text(), sep, 3)
		if len(fields) < 2 {
			return nil, fmt.Errorf("%s:%d: want at least 2 fields", path, line)
		}
		u, err1 := strconv.ParseInt(fields[0], 10, 64)
		i, err2 := strconv.ParseInt(fields[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: ids are not integers", path, line)
		}
		out = append(out, [2]int64{u, i})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// distinct returns the distinct values of field f, sorted numerically.
func distinct(pairs [][2]int64, f int) []int64 {
	out := make([]int64, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, p[f])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func index(ids []int64) map[int64]int {
	m := make(map[int64]int, len(ids))
	for i, id := range ids {
		m[id] = i
	}
	return m
}

// EvalAt10 evaluates the already fitted model m on d at cutoff 10 with the
// anchor protocol, failing t on error.
func EvalAt10(t testing.TB, d *AnchorData, m algo.Recommender) eval.Result {
	t.Helper()
	e, err := eval.New(eval.Config{Train: d.Train, Heldout: d.Heldout, Offset: d.Offset, Cutoff: 10})
	if err != nil {
		t.Fatalf("evaltest: %v", err)
	}
	r, err := e.Evaluate(context.Background(), m)
	if err != nil {
		t.Fatalf("evaltest: %v", err)
	}
	return r
}

// Want is a row of the anchor table: nDCG, recall, MAP and hit at 10.
type Want struct{ NDCG, Recall, MAP, Hit float64 }

// Check fails t when any metric of r differs from w by more than tol (the
// anchor tolerance is 0.0002), naming the model.
func Check(t testing.TB, name string, r eval.Result, w Want, tol float64) {
	t.Helper()
	got := [4]float64{r.NDCG, r.Recall, r.MAP, r.Hit}
	want := [4]float64{w.NDCG, w.Recall, w.MAP, w.Hit}
	for i, label := range [4]string{"ndcg", "recall", "map", "hit"} {
		if d := got[i] - want[i]; d > tol || d < -tol {
			t.Errorf("%s: %s@10 = %.5f, want %.4f ± %g", name, label, got[i], want[i], tol)
		}
	}
}
