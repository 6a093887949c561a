package bprfm

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/eval/evaltest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// blocks returns a users×items matrix of two blocks: users of the first
// half hold the items of the first half except one (their "held-out" item
// u mod half), and likewise for the second half.
func blocks(users, items int) *sparse.CSR {
	m := &sparse.CSR{Rows: users, Cols: items, Indptr: []int64{0}}
	hu, hi := users/2, items/2
	for u := 0; u < users; u++ {
		base := 0
		if u >= hu {
			base = hi
		}
		for i := base; i < base+hi; i++ {
			if i-base == u%hi {
				continue
			}
			m.Indices = append(m.Indices, int32(i))
			m.Data = append(m.Data, 1)
		}
		m.Indptr = append(m.Indptr, int64(len(m.Indices)))
	}
	return m
}

func fit(t testing.TB, p algo.Params, x *sparse.CSR) *Model {
	t.Helper()
	m, err := New(p, algo.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLearnsBlocks: after training on two disjoint blocks, every user
// ranks its own block's missing item above every item of the other block,
// for both losses and both negative samplers.
func TestLearnsBlocks(t *testing.T) {
	x := blocks(40, 20)
	for _, p := range []algo.Params{
		{"loss": LossBPR}, {"loss": LossWARP}, {"loss": LossBPR, "negatives": NegPopularity},
	} {
		m := fit(t, p.Merge(algo.Params{"n_components": 8, "train_epochs": 30}), x)
		s := make([]float32, x.Cols)
		for u := int32(0); u < int32(x.Rows); u++ {
			m.ScoreUsers(x, []int32{u}, s)
			own := int(u) % 10
			other := 10
			if u >= 20 {
				own += 10
				other = 0
			}
			for i := other; i < other+10; i++ {
				if s[own] <= s[i] {
					t.Fatalf("%v: user %d scores its held-out item %d at %.4f, other-block item %d at %.4f", p, u, own, s[own], i, s[i])
				}
			}
		}
	}
}

// TestScoreProfile: a cold profile scores with the mean of the seeds' q
// vectors plus the item bias; duplicates count once; an empty profile
// scores the biases.
func TestScoreProfile(t *testing.T) {
	x := blocks(20, 10)
	m := fit(t, algo.Params{"n_components": 4, "train_epochs": 3}, x)
	k := 4
	got := make([]float32, x.Cols)
	m.ScoreProfile([]int32{1, 3, 3, -1, 99}, got)
	for i := 0; i < x.Cols; i++ {
		var want float64
		for c := 0; c < k; c++ {
			p := (float64(m.q[1*k+c]) + float64(m.q[3*k+c])) / 2
			want += p * float64(m.q[i*k+c])
		}
		want += float64(m.b[i])
		if math.Abs(want-float64(got[i])) > 1e-6 {
			t.Errorf("item %d: %v, want %v", i, got[i], want)
		}
	}
	m.ScoreProfile(nil, got)
	for i := range got {
		if got[i] != m.b[i] {
			t.Errorf("empty profile: item %d = %v, want bias %v", i, got[i], m.b[i])
		}
	}
}

// TestDeterministic: the same seed gives the same model; another seed a
// different one.
func TestDeterministic(t *testing.T) {
	x := blocks(30, 16)
	p := algo.Params{"n_components": 6, "train_epochs": 5}
	a, b := fit(t, p, x), fit(t, p, x)
	c := fit(t, p.Merge(algo.Params{"random_seed": 7}), x)
	same, diff := true, false
	for i := range a.q {
		same = same && a.q[i] == b.q[i]
		diff = diff || a.q[i] != c.q[i]
	}
	if !same || !diff {
		t.Fatalf("same seed identical: %v, other seed different: %v", same, diff)
	}
}

// TestThreadsInvariant: the model does not depend on the number of
// threads (the stratified epoch's partition is fixed by the seed).
func TestThreadsInvariant(t *testing.T) {
	x := blocks(40, 24)
	for _, loss := range []string{LossBPR, LossWARP} {
		p := algo.Params{"n_components": 9, "train_epochs": 4, "loss": loss, "negatives": NegPopularity}
		var ref *Model
		for _, threads := range []int{1, 2, 3, 8} {
			m, err := New(p, algo.Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = m
				continue
			}
			if !slices.Equal(m.q, ref.q) || !slices.Equal(m.p, ref.p) || !slices.Equal(m.b, ref.b) {
				t.Errorf("loss %s: %d threads give another model than 1 thread", loss, threads)
			}
		}
	}
}

// TestSnapshotRestore: restoring a snapshot brings back the parameters and
// the optimiser state, so training again repeats the same trajectory.
func TestSnapshotRestore(t *testing.T) {
	x := blocks(30, 16)
	m, _ := New(algo.Params{"n_components": 6}, algo.Options{})
	ctx := context.Background()
	if err := m.Start(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := m.Epoch(ctx); err != nil {
		t.Fatal(err)
	}
	restore := m.Snapshot()
	at1 := append([]float32(nil), m.q...)
	for e := 0; e < 2; e++ {
		if err := m.Epoch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	at3 := append([]float32(nil), m.q...)
	restore()
	for i := range at1 {
		if m.q[i] != at1[i] {
			t.Fatal("restore did not bring back the epoch-1 parameters")
		}
	}
	for e := 0; e < 2; e++ {
		if err := m.Epoch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range at3 {
		if m.q[i] != at3[i] {
			t.Fatal("training after restore diverged from the first run")
		}
	}
	m.SetEpochs(15)
	if m.Params()["train_epochs"] != 15 {
		t.Fatalf("train_epochs = %v after SetEpochs(15)", m.Params()["train_epochs"])
	}
}

// TestRoundTrip: encode → decode gives identical scores.
func TestRoundTrip(t *testing.T) {
	x := blocks(30, 16)
	for _, loss := range []string{LossBPR, LossWARP} {
		m := fit(t, algo.Params{"n_components": 5, "train_epochs": 2, "loss": loss}, x)
		algotest.CheckRoundTrip(t, Spec, m, x)
	}
}

// TestCancel: a cancelled context stops the fit (checked every 4096 steps).
func TestCancel(t *testing.T) {
	x := algotest.Synthetic(2000, 500, 1)
	m, _ := New(algo.Params{"n_components": 16, "train_epochs": 100000}, algo.Options{})
	algotest.CheckCancel(t, m, x, 5*time.Second)
}

// TestParams: defaults, validation and unknown names.
func TestParams(t *testing.T) {
	m, err := New(nil, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range Spec.Defaults {
		if m.Params()[name] != want {
			t.Errorf("default %s = %v, want %v", name, m.Params()[name], want)
		}
	}
	for _, bad := range []algo.Params{
		{"n_components": 0}, {"item_alpha": -1.0}, {"loss": "logistic"}, {"learning_rate": 0.0},
		{"negatives": "all"}, {"max_sampled": 0}, {"unknown": 1},
	} {
		if _, err := New(bad, algo.Options{}); err == nil {
			t.Errorf("New(%v) succeeded", bad)
		}
	}
	if m, err := New(algo.Params{"loss": "WARP"}, algo.Options{}); err != nil || m.Params()["loss"] != LossWARP {
		t.Errorf("upper-case loss: %v", err)
	}
}

// TestAnchorML100K: the default model reaches at least 0.38 nDCG@10 on the
// ml-100k seed-42 split (Gorse's BPR: .381 on its own split).
func TestAnchorML100K(t *testing.T) {
	if testing.Short() {
		t.Skip("anchor fits are skipped in -short mode")
	}
	d := evaltest.Anchor(t, "ml-100k")
	m := fit(t, nil, d.Train)
	r := evaltest.EvalAt10(t, d, m)
	t.Logf("defaults: ndcg %.4f recall %.4f map %.4f hit %.4f", r.NDCG, r.Recall, r.MAP, r.Hit)
	if r.NDCG < 0.38 {
		t.Errorf("ndcg@10 = %.4f, want ≥ 0.38", r.NDCG)
	}
}

// TestMalformed: an inconsistent matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }

// TestPositives: the bitmap and the binary search agree on every pair.
func TestPositives(t *testing.T) {
	x := blocks(30, 70) // 70 items: two bitmap words per user
	bitmap := newPositives(x)
	search := positives{x: x}
	if bitmap.bits == nil {
		t.Fatal("a small matrix got no bitmap")
	}
	n := 0
	for u := int32(0); u < int32(x.Rows); u++ {
		for j := int32(0); j < int32(x.Cols); j++ {
			a, b := bitmap.has(u, j), search.has(u, j)
			if a != b {
				t.Fatalf("user %d item %d: bitmap %v, search %v", u, j, a, b)
			}
			if a {
				n++
			}
		}
	}
	if n != x.NNZ() {
		t.Fatalf("%d positives found, want %d", n, x.NNZ())
	}
}

// TestSigmoidNeg bounds sigmoidNeg's error against 1/(1+eˣ) in float64
// wherever the result is a normal float32, and checks the clamps.
func TestSigmoidNeg(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 87; x += 0.00037 {
		want := 1 / (1 + math.Exp(float64(x)))
		if rel := math.Abs(float64(sigmoidNeg(x))-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 1e-6 {
		t.Errorf("relative error %.3g, want ≤ 1e-6", worst)
	}
	if sigmoidNeg(100) != 0 || sigmoidNeg(-100) != 1 || sigmoidNeg(0) != 0.5 {
		t.Errorf("sigmoidNeg(100, -100, 0) = %v, %v, %v; want 0, 1, 0.5", sigmoidNeg(100), sigmoidNeg(-100), sigmoidNeg(0))
	}
}

// TestGroupCount: blocks sized for the L2 cache, bounded by 64 groups and
// by 64 items to a group.
func TestGroupCount(t *testing.T) {
	for _, tc := range []struct{ rows, cols, stride, want int }{
		{943, 1682, 208, 17}, // ml-100k, K 203: 4.4 MB of blocks
		{943, 1682, 80, 7},   // ml-100k, K 64
		{40, 20, 16, 1},      // fewer than 64 items
		{100, 300, 16, 1},    // everything fits one block
		{1_000_000, 100_000, 272, 64},
		{1_000_000, 1_000, 272, 15}, // 64 items to a group
	} {
		if got := groupCount(tc.rows, tc.cols, tc.stride); got != tc.want {
			t.Errorf("groupCount(%d, %d, %d) = %d, want %d", tc.rows, tc.cols, tc.stride, got, tc.want)
		}
	}
}

// TestPartitionChunks: the epoch's counting sort gives the same blocks
// whatever the number of chunks it runs on.
func TestPartitionChunks(t *testing.T) {
	x := algotest.Synthetic(2000, 500, 3)
	var orders [][]pair
	var starts [][]int
	for _, threads := range []int{1, 3} {
		m, _ := New(nil, algo.Options{Threads: threads})
		if err := m.Start(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		if x.NNZ() < 3*4096 {
			t.Fatalf("only %d entries: the sort would not be chunked", x.NNZ())
		}
		m.tr.partition(threads, true)
		orders = append(orders, slices.Clone(m.tr.order))
		starts = append(starts, slices.Clone(m.tr.start))
	}
	if !slices.Equal(orders[0], orders[1]) || !slices.Equal(starts[0], starts[1]) {
		t.Fatal("the blocks depend on the number of chunks")
	}
}
