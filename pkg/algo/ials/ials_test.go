package ials

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// dense builds a CSR from a dense row-major matrix.
func dense(rows [][]float32) *sparse.CSR {
	m := &sparse.CSR{Rows: len(rows), Cols: len(rows[0]), Indptr: []int64{0}}
	for _, r := range rows {
		for j, v := range r {
			if v != 0 {
				m.Indices = append(m.Indices, int32(j))
				m.Data = append(m.Data, v)
			}
		}
		m.Indptr = append(m.Indptr, int64(len(m.Indices)))
	}
	return m
}

// xSmall is irspack's X_small.
var xSmall = dense([][]float32{{1, 1, 2, 3, 4}, {0, 1, 0, 1, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 0, 0}})

// randomCSR returns a rows×cols binary matrix of the given density.
func randomCSR(rows, cols int, density float64, seed uint64) *sparse.CSR {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := make([][]float32, rows)
	for u := range d {
		d[u] = make([]float32, cols)
		for i := range d[u] {
			if rng.Float64() < density {
				d[u][i] = float32(1 + rng.IntN(3))
			}
		}
	}
	return dense(d)
}

func fit(t *testing.T, p algo.Params, x *sparse.CSR) *Model {
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

func scores(m *Model, x *sparse.CSR) []float32 {
	users := make([]int32, x.Rows)
	for u := range users {
		users[u] = int32(u)
	}
	s := make([]float32, x.Rows*x.Cols)
	m.ScoreUsers(x, users, s)
	return s
}

// TestReconstruction: with the ORIGINAL loss, a large α0 and a tiny
// regularisation, U·Vᵀ reproduces the binarised X_small (irspack's
// test_ials_overfit), for the Cholesky and CG solvers, and the cold-user
// fold-in of each row reproduces it too.
func TestReconstruction(t *testing.T) {
	for _, tc := range []struct {
		solver string
		k      int
	}{
		{SolverCholesky, 4}, {SolverCG, 3},
	} {
		t.Run(tc.solver, func(t *testing.T) {
			m := fit(t, algo.Params{"solver_type": tc.solver, "loss_type": LossOriginal, "alpha0": 100.0, "reg": 0.1,
				"nu": 0.0, "n_components": tc.k, "train_epochs": 100, "max_cg_steps": 3, "prediction_time_max_cg_steps": 10}, xSmall)
			s := scores(m, xSmall)
			for u := 0; u < xSmall.Rows; u++ {
				idx, _ := xSmall.Row(u)
				want := make([]float32, xSmall.Cols)
				for _, i := range idx {
					want[i] = 1
				}
				cold := make([]float32, xSmall.Cols)
				m.ScoreProfile(idx, cold)
				for i := range want {
					if d := math.Abs(float64(s[u*xSmall.Cols+i] - want[i])); d > 1e-2 {
						t.Errorf("score(%d,%d) = %.4f, want %v ± 1e-2", u, i, s[u*xSmall.Cols+i], want[i])
					}
					if d := math.Abs(float64(cold[i] - want[i])); d > 1e-2 {
						t.Errorf("cold score(%d,%d) = %.4f, want %v ± 1e-2", u, i, cold[i], want[i])
					}
				}
			}
		})
	}
}

// loss evaluates the training objective in float64.
func loss(m *Model, x *sparse.CSR) float64 {
	k := m.cfg.K
	a0 := m.cfg.Alpha0
	var l float64
	colN := make([]int, x.Cols)
	for _, i := range x.Indices {
		colN[i]++
	}
	pred := func(u, i int) float64 {
		var s float64
		for q := 0; q < k; q++ {
			s += float64(m.u[u*k+q]) * float64(m.v[i*k+q])
		}
		return s
	}
	for u := 0; u < x.Rows; u++ {
		idx, val := x.Row(u)
		obs := map[int]float64{}
		for j, i := range idx {
			obs[int(i)] = float64(val[j])
		}
		for i := 0; i < x.Cols; i++ {
			y := pred(u, i)
			if c, ok := obs[i]; ok {
				if m.cfg.Loss == LossOriginal {
					l += (c + a0) * (y - 1) * (y - 1)
				} else {
					l += c*(y-1)*(y-1) + a0*y*y
				}
			} else {
				l += a0 * y * y
			}
		}
	}
	norm := func(f []float32, r int) float64 {
		var s float64
		for _, x := range f[r*k : (r+1)*k] {
			s += float64(x) * float64(x)
		}
		return s
	}
	for u := 0; u < x.Rows; u++ {
		l += float64(m.rowReg(x.RowLen(u), x.Cols)) * norm(m.u, u)
	}
	for i := 0; i < x.Cols; i++ {
		l += float64(m.rowReg(colN[i], x.Rows)) * norm(m.v, i)
	}
	return l / 2
}

// TestLossDecreases: every epoch (of either solver, with either loss) does
// not increase the training loss, on random small matrices.
func TestLossDecreases(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		x := randomCSR(25+int(seed)*3, 18, 0.2, seed)
		for _, solver := range []string{SolverCG, SolverCholesky} {
			for _, lt := range []string{LossIALSPP, LossOriginal} {
				t.Run(fmt.Sprintf("seed%d-%s-%s", seed, solver, lt), func(t *testing.T) {
					m, err := New(algo.Params{"n_components": 5, "alpha0": 0.1 * float64(seed), "reg": 0.05, "solver_type": solver,
						"loss_type": lt, "random_seed": int(seed)}, algo.Options{Threads: 2})
					if err != nil {
						t.Fatal(err)
					}
					ctx := context.Background()
					if err := m.Start(ctx, x); err != nil {
						t.Fatal(err)
					}
					prev := loss(m, x)
					for e := 0; e < 8; e++ {
						if err := m.Epoch(ctx); err != nil {
							t.Fatal(err)
						}
						l := loss(m, x)
						if l > prev*(1+1e-5) {
							t.Errorf("epoch %d: loss %.6f > previous %.6f", e+1, l, prev)
						}
						prev = l
					}
				})
			}
		}
	}
}

// TestCGMatchesCholesky: with as many CG steps as dimensions the two
// solvers give the same model (α0 = 1/4.5, reg 3, 5 epochs, atol 1e-3), as
// irspack's test. The CG path works in a rotated basis (diagonalize), so
// the comparison is on U·Vᵀ, which a common rotation leaves unchanged.
//
// The tall matrix (200 users > 30 items + 20·K) takes the diagonalised user
// half, the square one the dense product of four rows at a time.
func TestCGMatchesCholesky(t *testing.T) {
	for _, users := range []int{40, 200} {
		x := randomCSR(users, 30, 0.3, 7)
		p := algo.Params{"n_components": 4, "alpha0": 1 / 4.5, "reg": 3.0, "nu": 0.0, "train_epochs": 5, "max_cg_steps": 4}
		cg := fit(t, p.Merge(algo.Params{"solver_type": SolverCG}), x)
		ch := fit(t, p.Merge(algo.Params{"solver_type": SolverCholesky}), x)
		a, b := scores(cg, x), scores(ch, x)
		var norm float64
		for i := range a {
			norm = math.Max(norm, math.Abs(float64(b[i])))
			if d := math.Abs(float64(a[i] - b[i])); d > 1e-3 {
				t.Fatalf("%d users, score %d: CG %.5f, Cholesky %.5f", users, i, a[i], b[i])
			}
		}
		if norm < 0.1 {
			t.Fatalf("%d users: degenerate model: largest score %v", users, norm)
		}
	}
}

// TestEmptyRowsAndProfile: a user or item without interactions has a zero
// factor, and an empty profile scores 0 everywhere.
func TestEmptyRowsAndProfile(t *testing.T) {
	m := fit(t, algo.Params{"n_components": 3, "alpha0": 0.5}, xSmall)
	for q := 0; q < 3; q++ {
		if m.u[3*3+q] != 0 {
			t.Fatalf("empty user 3 has factor %v", m.u[9:12])
		}
	}
	s := make([]float32, xSmall.Cols)
	for i := range s {
		s[i] = 7
	}
	m.ScoreProfile([]int32{-1, 99}, s)
	for i, v := range s {
		if v != 0 {
			t.Fatalf("empty profile: score[%d] = %v, want 0", i, v)
		}
	}
}

// TestSeedDeduplication: repeated seeds count once.
func TestSeedDeduplication(t *testing.T) {
	m := fit(t, algo.Params{"n_components": 3, "alpha0": 0.5}, xSmall)
	a, b := make([]float32, 5), make([]float32, 5)
	m.ScoreProfile([]int32{1, 3}, a)
	m.ScoreProfile([]int32{3, 1, 1, 3}, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("item %d: %v with duplicates, %v without", i, b[i], a[i])
		}
	}
}

// TestDeterministic: the same seed gives bit-identical factors at 1 and 3
// threads.
func TestDeterministic(t *testing.T) {
	x := randomCSR(300, 80, 0.1, 3)
	p := algo.Params{"n_components": 8, "alpha0": 0.3, "reg": 0.01}
	a := fit(t, p, x)
	b, _ := New(p, algo.Options{Threads: 3})
	if err := b.Fit(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	sa, sb := scores(a, x), scores(b, x)
	for i := range sa {
		if sa[i] != sb[i] {
			t.Fatalf("score %d: %v at 2 threads, %v at 3", i, sa[i], sb[i])
		}
	}
}

// TestSnapshotRestore: restoring a snapshot brings the factors back, and
// training again from there repeats the same trajectory.
func TestSnapshotRestore(t *testing.T) {
	x := randomCSR(60, 40, 0.1, 5)
	m, _ := New(algo.Params{"n_components": 6, "alpha0": 0.3}, algo.Options{Threads: 2})
	ctx := context.Background()
	if err := m.Start(ctx, x); err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 2; e++ {
		if err := m.Epoch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	at2 := scores(m, x)
	restore := m.Snapshot()
	for e := 0; e < 2; e++ {
		if err := m.Epoch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	at4 := scores(m, x)
	restore()
	if got := scores(m, x); !equal(got, at2) {
		t.Fatal("restore did not bring back the epoch-2 factors")
	}
	for e := 0; e < 2; e++ {
		if err := m.Epoch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := scores(m, x); !equal(got, at4) {
		t.Fatal("training after restore diverged from the first run")
	}
	m.SetEpochs(35)
	if got := m.Params()["train_epochs"]; got != 35 {
		t.Fatalf("train_epochs = %v after SetEpochs(35)", got)
	}
}

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestRoundTrip: encode → decode gives identical scores, for both solvers.
func TestRoundTrip(t *testing.T) {
	x := randomCSR(50, 30, 0.2, 9)
	for _, solver := range []string{SolverCG, SolverCholesky} {
		m := fit(t, algo.Params{"n_components": 5, "alpha0": 0.2, "solver_type": solver, "confidence_scaling": "log"}, x)
		algotest.CheckRoundTrip(t, Spec, m, x)
	}
}

// countingCtx reports cancellation from the n-th call of Err on.
type countingCtx struct {
	context.Context
	calls, n atomic.Int64
}

func (c *countingCtx) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		return context.Canceled
	}
	return nil
}

// TestCancelWithinEpoch: a cancellation raised in the middle of the first
// epoch ends the fit before that epoch completes.
func TestCancelWithinEpoch(t *testing.T) {
	x := randomCSR(2000, 300, 0.02, 11)
	ctx := &countingCtx{Context: context.Background()}
	ctx.n.Store(10) // Start checks once; the user half checks per 64-row chunk
	m, _ := New(algo.Params{"n_components": 8, "alpha0": 0.3, "train_epochs": 50}, algo.Options{Threads: 2})
	err := m.Fit(ctx, x)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit = %v, want context.Canceled", err)
	}
	if m.cfg.EpochsDone != 0 {
		t.Fatalf("%d epochs completed after a cancellation inside the first", m.cfg.EpochsDone)
	}
	m2, _ := New(algo.Params{"n_components": 16, "alpha0": 0.3, "train_epochs": 100000}, algo.Options{Threads: 2})
	algotest.CheckCancel(t, m2, x, 5*time.Second)
}

// TestParams: defaults, validation and unknown names.
func TestParams(t *testing.T) {
	m, err := New(nil, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params()
	for name, want := range Spec.Defaults {
		if p[name] != want {
			t.Errorf("default %s = %v, want %v", name, p[name], want)
		}
	}
	for _, bad := range []algo.Params{
		{"n_components": 0}, {"alpha0": -1.0}, {"solver_type": "LU"}, {"loss_type": "x"},
		{"confidence_scaling": "sqrt"}, {"epsilon": 0.0}, {"n_components": 2.5}, {"nope": 1},
	} {
		if _, err := New(bad, algo.Options{}); err == nil {
			t.Errorf("New(%v) succeeded", bad)
		}
	}
	if m, err := New(algo.Params{"solver_type": "cholesky"}, algo.Options{}); err != nil || m.Params()["solver_type"] != SolverCholesky {
		t.Errorf("lower-case solver: %v %v", err, m)
	}
	for _, p := range Spec.Space {
		if !p.Contains(Spec.Defaults[p.Name]) && p.Name != "alpha0" && p.Name != "n_components" {
			t.Errorf("default %s = %v outside its search space", p.Name, Spec.Defaults[p.Name])
		}
	}
}

// TestMalformed: an inconsistent matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }
