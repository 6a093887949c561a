package toppop

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
)

func TestFitScores(t *testing.T) {
	X := algotest.XSmall()
	m, err := New(nil, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Encode(algotest.NewPayload()); !errors.Is(err, algo.ErrNotFitted) {
		t.Errorf("Encode before Fit = %v, want ErrNotFitted", err)
	}
	if err := m.Fit(context.Background(), X); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 3, 4, 4} // column sums, counting values
	if got := m.Popularity(); !slices.Equal(got, want) {
		t.Fatalf("popularity = %v, want %v", got, want)
	}
	dst := make([]float32, 4*5)
	m.ScoreUsers(X, []int32{0, 1, 2, 3}, dst)
	for u := range 4 {
		if !slices.Equal(dst[u*5:(u+1)*5], want) {
			t.Errorf("user %d scores %v, want %v", u, dst[u*5:(u+1)*5], want)
		}
	}
	prof := make([]float32, 5)
	m.ScoreProfile([]int32{4, 4}, prof)
	if !slices.Equal(prof, want) {
		t.Errorf("profile scores %v, want %v", prof, want)
	}
	algotest.CheckRoundTrip(t, Spec, m, X)
}

func TestNewRejectsParams(t *testing.T) {
	if _, err := New(algo.Params{"top_k": 3}, algo.Options{}); err == nil {
		t.Error("New accepted an unknown parameter")
	}
	if len(Spec.Space) != 0 || len(Spec.Defaults) != 0 || Spec.Class != algo.TopPop {
		t.Errorf("Spec = %+v, want TopPop with no parameters", Spec)
	}
}

func TestCancel(t *testing.T) {
	m, _ := New(nil, algo.Options{})
	algotest.CheckCancel(t, m, algotest.Synthetic(2000, 500, 1), time.Second)
}

// TestMalformed: a broken matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }
