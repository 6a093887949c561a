// Package model holds a trained model as an artifact stores it: the user
// and item id maps, the interaction matrix it was trained on (to mask
// items a user has already seen) and the algorithm's state, together with
// the ranking contract that serving applies (artifact-and-serving.md §1.9).
//
// train builds a Model and encodes it into a payload; serve decodes it,
// usually straight from a memory-mapped artifact, and ranks with it.
package model

import (
	"fmt"
	"math"
	"sync"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/catalog"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Payload section names of the model (the algorithm adds its own).
const (
	sectionClass   = "model.class"
	sectionUsers   = "model.user_ids"
	sectionItems   = "model.item_ids"
	sectionIndptr  = "model.seen.indptr"
	sectionIndices = "model.seen.indices"
	sectionData    = "model.seen.data"
)

// Model is a trained recommender with its id maps. It is safe for
// concurrent use.
type Model struct {
	Users []string
	Items []string
	// Seen is the users x items training matrix.
	Seen *sparse.CSR
	Rec  algo.Recommender

	userIndex map[string]int32
	itemIndex map[string]int32
	buffers   sync.Pool // *[]float32 of length len(Items)
}

// New returns a model over the given id maps (index → id), training matrix
// and fitted recommender.
func New(users, items []string, seen *sparse.CSR, rec algo.Recommender) (*Model, error) {
	if seen.Rows != len(users) || seen.Cols != len(items) || rec.NumItems() != len(items) {
		return nil, fmt.Errorf("model shape mismatch: %d users, %d items, matrix %dx%d, recommender %d items",
			len(users), len(items), seen.Rows, seen.Cols, rec.NumItems())
	}
	m := &Model{Users: users, Items: items, Seen: seen, Rec: rec,
		userIndex: index(users), itemIndex: index(items)}
	n := len(items)
	m.buffers.New = func() any { b := make([]float32, n); return &b }
	return m, nil
}

func index(ids []string) map[string]int32 {
	m := make(map[string]int32, len(ids))
	for i, id := range ids {
		m[id] = int32(i)
	}
	return m
}

// Encode writes the model into a payload.
func (m *Model) Encode(w *payload.Writer) error {
	if err := w.JSON(sectionClass, m.Rec.Class()); err != nil {
		return err
	}
	w.Strings(sectionUsers, m.Users)
	w.Strings(sectionItems, m.Items)
	w.Int64(sectionIndptr, m.Seen.Indptr)
	w.Int32(sectionIndices, m.Seen.Indices)
	w.Float32(sectionData, m.Seen.Data)
	if err := m.Rec.Encode(w); err != nil {
		return fmt.Errorf("encoding %s: %w", m.Rec.Class(), err)
	}
	return w.Err()
}

// Decode rebuilds a model from a payload. Every failure carries
// exitcode.Artifact with reason "deserialize".
func Decode(r *payload.Reader, opt algo.Options) (*Model, error) {
	m, err := decode(r, opt)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Artifact, Reason: "deserialize", Err: fmt.Errorf("decoding model: %w", err)}
	}
	return m, nil
}

func decode(r *payload.Reader, opt algo.Options) (*Model, error) {
	class, err := r.JSONString(sectionClass)
	if err != nil {
		return nil, err
	}
	spec, err := catalog.Lookup(class)
	if err != nil {
		return nil, err
	}
	users, err := r.Strings(sectionUsers)
	if err != nil {
		return nil, err
	}
	items, err := r.Strings(sectionItems)
	if err != nil {
		return nil, err
	}
	seen := &sparse.CSR{Rows: len(users), Cols: len(items)}
	if seen.Indptr, err = r.Int64(sectionIndptr); err != nil {
		return nil, err
	}
	if seen.Indices, err = r.Int32(sectionIndices); err != nil {
		return nil, err
	}
	if seen.Data, err = r.Float32(sectionData); err != nil {
		return nil, err
	}
	if err := checkCSR(seen); err != nil {
		return nil, err
	}
	rec, err := spec.Load(r, opt)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", class, err)
	}
	return New(users, items, seen, rec)
}

// checkCSR verifies the structure of a decoded matrix so that no later
// access can go out of bounds.
func checkCSR(m *sparse.CSR) error {
	if len(m.Indptr) != m.Rows+1 || m.Indptr[0] != 0 || len(m.Indices) != len(m.Data) || m.Indptr[m.Rows] != int64(len(m.Indices)) {
		return fmt.Errorf("malformed seen matrix")
	}
	for i := 0; i < m.Rows; i++ {
		if m.Indptr[i+1] < m.Indptr[i] {
			return fmt.Errorf("malformed seen matrix: row %d", i)
		}
	}
	for _, j := range m.Indices {
		if j < 0 || int(j) >= m.Cols {
			return fmt.Errorf("malformed seen matrix: column %d out of range", j)
		}
	}
	return nil
}

// UserIndex returns the row of a user id.
func (m *Model) UserIndex(id string) (int32, bool) {
	i, ok := m.userIndex[id]
	return i, ok
}

// ItemIndex returns the column of an item id.
func (m *Model) ItemIndex(id string) (int32, bool) {
	i, ok := m.itemIndex[id]
	return i, ok
}

// Scored is one recommended item.
type Scored struct {
	Item  string
	Score float64
}

// Recommend ranks items for the known user u: the items the user has seen
// and the excluded item ids are removed before the top limit are taken, so
// the list is filled up to limit whenever enough candidates remain (the
// reference removed exclusions after truncation and could return fewer).
// Ties go to the lower item index.
func (m *Model) Recommend(u int32, limit int, exclude []string) []Scored {
	bp := m.buffers.Get().(*[]float32)
	defer m.buffers.Put(bp)
	scores := *bp
	m.Rec.ScoreUsers(m.Seen, []int32{u}, scores)
	cols, _ := m.Seen.Row(int(u))
	for _, j := range cols {
		scores[j] = float32(math.Inf(-1))
	}
	return m.rank(scores, limit, exclude)
}

// RecommendBatch ranks items for several known users, scoring them in one
// block (one ScoreUsers call, which factor models compute as a matrix
// product). limits[k] and exclude[k] apply to users[k], as in Recommend.
func (m *Model) RecommendBatch(users []int32, limits []int, exclude [][]string) [][]Scored {
	n := len(m.Items)
	bp := blockPool.Get().(*[]float32)
	defer blockPool.Put(bp)
	if cap(*bp) < len(users)*n {
		*bp = make([]float32, len(users)*n)
	}
	scores := (*bp)[:len(users)*n]
	m.Rec.ScoreUsers(m.Seen, users, scores)
	out := make([][]Scored, len(users))
	for k, u := range users {
		row := scores[k*n : (k+1)*n]
		cols, _ := m.Seen.Row(int(u))
		for _, j := range cols {
			row[j] = float32(math.Inf(-1))
		}
		out[k] = m.rank(row, limits[k], exclude[k])
	}
	return out
}

// blockPool holds score blocks of RecommendBatch.
var blockPool = sync.Pool{New: func() any { return new([]float32) }}

// Related ranks items for a cold profile of seed item indices
// (deduplicated, weight 1 each), never returning a seed. candidates
// reports whether any item could be ranked before exclusions were applied
// (the NO_CANDIDATES condition of :recommend-related).
func (m *Model) Related(seeds []int32, limit int, exclude []string) (items []Scored, candidates bool) {
	bp := m.buffers.Get().(*[]float32)
	defer m.buffers.Put(bp)
	scores := *bp
	uniq := dedup(seeds)
	m.Rec.ScoreProfile(uniq, scores)
	for _, j := range uniq {
		scores[j] = float32(math.Inf(-1))
	}
	for _, s := range scores {
		if !math.IsInf(float64(s), 0) && !math.IsNaN(float64(s)) {
			candidates = true
			break
		}
	}
	if !candidates {
		return nil, false
	}
	return m.rank(scores, limit, exclude), true
}

func dedup(ids []int32) []int32 {
	seen := make(map[int32]bool, len(ids))
	out := make([]int32, 0, len(ids))
	for _, j := range ids {
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out
}

// rank masks excluded ids and returns the top limit finite scores.
func (m *Model) rank(scores []float32, limit int, exclude []string) []Scored {
	for _, id := range exclude {
		if j, ok := m.itemIndex[id]; ok {
			scores[j] = float32(math.Inf(-1))
		}
	}
	top := linalg.TopKFinite(scores, limit, make([]int32, 0, limit))
	out := make([]Scored, 0, len(top))
	for _, j := range top {
		if math.IsInf(float64(scores[j]), 1) {
			continue
		}
		out = append(out, Scored{Item: m.Items[j], Score: float64(scores[j])})
	}
	return out
}
