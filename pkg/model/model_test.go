package model

import (
	"context"
	"reflect"
	"testing"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/toppop"
	"github.com/codelibs/recotem-go/pkg/exitcode"
	"github.com/codelibs/recotem-go/pkg/payload"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// fixture: 3 users x 5 items; u0 saw i0 i1, u1 i0 i2, u2 i0 i1, so the
// popularity is i0:3 i1:2 i2:1 i3:0 i4:0.
func fixture(t *testing.T) *Model {
	t.Helper()
	seen := &sparse.CSR{Rows: 3, Cols: 5,
		Indptr:  []int64{0, 2, 4, 6},
		Indices: []int32{0, 1, 0, 2, 0, 1},
		Data:    []float32{1, 1, 1, 1, 1, 1},
	}
	rec, err := toppop.Spec.New(algo.Params{}, algo.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Fit(context.Background(), seen); err != nil {
		t.Fatal(err)
	}
	m, err := New([]string{"u0", "u1", "u2"}, []string{"i0", "i1", "i2", "i3", "i4"}, seen, rec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func roundTrip(t *testing.T, m *Model) *Model {
	t.Helper()
	w := payload.NewWriter()
	if err := m.Encode(w); err != nil {
		t.Fatal(err)
	}
	b, err := w.Encode(0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := payload.NewReader(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(r, algo.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func items(s []Scored) []string {
	out := []string{}
	for _, x := range s {
		out = append(out, x.Item)
	}
	return out
}

func TestRecommend(t *testing.T) {
	m := roundTrip(t, fixture(t))
	u, ok := m.UserIndex("u1") // seen i0, i2
	if !ok {
		t.Fatal("u1 unknown")
	}
	for _, tc := range []struct {
		limit   int
		exclude []string
		want    []string
	}{
		{10, nil, []string{"i1", "i3", "i4"}},
		{1, nil, []string{"i1"}},
		// Exclusions are applied before truncation: the list is backfilled.
		{2, []string{"i1"}, []string{"i3", "i4"}},
		{2, []string{"nope"}, []string{"i1", "i3"}},
	} {
		if got := items(m.Recommend(u, tc.limit, tc.exclude)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("limit %d exclude %v: %v, want %v", tc.limit, tc.exclude, got, tc.want)
		}
	}
	if _, ok := m.UserIndex("stranger"); ok {
		t.Error("unknown user found")
	}
}

func TestRelated(t *testing.T) {
	m := roundTrip(t, fixture(t))
	i0, _ := m.ItemIndex("i0")
	i1, _ := m.ItemIndex("i1")
	got, ok := m.Related([]int32{i0, i0, i1}, 2, nil)
	if !ok || !reflect.DeepEqual(items(got), []string{"i2", "i3"}) {
		t.Errorf("related = %v %v, want [i2 i3]", items(got), ok)
	}
	all := []int32{0, 1, 2, 3, 4}
	if _, ok := m.Related(all, 5, nil); ok {
		t.Error("candidates reported when every item is a seed")
	}
	got, ok = m.Related([]int32{i0}, 5, []string{"i1", "i2", "i3", "i4"})
	if !ok || len(got) != 0 {
		t.Errorf("all excluded: %v %v, want candidates but no items", items(got), ok)
	}
}

func TestDecodeRejectsMalformedSeenMatrix(t *testing.T) {
	m := fixture(t)
	m.Seen.Indices[0] = 99
	w := payload.NewWriter()
	if err := m.Encode(w); err != nil {
		t.Fatal(err)
	}
	b, _ := w.Encode(0)
	r, _ := payload.NewReader(b)
	if _, err := Decode(r, algo.Options{}); exitcode.Of(err) != exitcode.Artifact || exitcode.ReasonOf(err) != "deserialize" {
		t.Fatalf("err = %v, want an artifact deserialize error", err)
	}
}

func TestRecommendBatchMatchesRecommend(t *testing.T) {
	m := roundTrip(t, fixture(t))
	users := []int32{0, 1, 2, 1}
	limits := []int{2, 5, 1, 3}
	excludes := [][]string{nil, {"i1"}, nil, {"i3", "zz"}}
	got := m.RecommendBatch(users, limits, excludes)
	for k, u := range users {
		if want := m.Recommend(u, limits[k], excludes[k]); !reflect.DeepEqual(got[k], want) {
			t.Errorf("user %d: batch %v, single %v", u, got[k], want)
		}
	}
}
