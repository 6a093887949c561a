package svd

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/algo/algotest"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

func randomBinary(rows, cols int, density float64, seed uint64) *sparse.CSR {
	rng := rand.New(rand.NewPCG(seed, 3))
	m := &sparse.CSR{Rows: rows, Cols: cols, Indptr: []int64{0}}
	for u := 0; u < rows; u++ {
		for i := 0; i < cols; i++ {
			if rng.Float64() < density {
				m.Indices = append(m.Indices, int32(i))
				m.Data = append(m.Data, 1)
			}
		}
		m.Indptr = append(m.Indptr, int64(len(m.Indices)))
	}
	return m
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

func denseRow(x *sparse.CSR, u int) []float64 {
	r := make([]float64, x.Cols)
	idx, val := x.Row(u)
	for j, i := range idx {
		r[i] = float64(val[j])
	}
	return r
}

// TestResidual: on a 200×512 10%-dense binary X with n_components 200 (the
// rank of X), both the user reconstruction z·Vᵀ and the cold one
// (x·V)·Vᵀ reproduce X with a relative squared residual below 1e-3, as
// irspack's test.
func TestResidual(t *testing.T) {
	x := randomBinary(200, 512, 0.1, 1)
	m := fit(t, algo.Params{"n_components": 200}, x)
	if m.Rank() != 200 {
		t.Fatalf("rank %d, want 200", m.Rank())
	}
	users := make([]int32, x.Rows)
	for u := range users {
		users[u] = int32(u)
	}
	hot := make([]float32, x.Rows*x.Cols)
	m.ScoreUsers(x, users, hot)
	cold := make([]float32, x.Cols)
	var norm, resHot, resCold float64
	for u := 0; u < x.Rows; u++ {
		want := denseRow(x, u)
		idx, _ := x.Row(u)
		m.ScoreProfile(idx, cold)
		for i, w := range want {
			norm += w * w
			resHot += (w - float64(hot[u*x.Cols+i])) * (w - float64(hot[u*x.Cols+i]))
			resCold += (w - float64(cold[i])) * (w - float64(cold[i]))
		}
	}
	if resHot/norm >= 1e-3 || resCold/norm >= 1e-3 {
		t.Fatalf("relative squared residual: hot %.2e, cold %.2e; want < 1e-3", resHot/norm, resCold/norm)
	}
}

// TestRankOne: a rank-one matrix is reproduced exactly by one component.
func TestRankOne(t *testing.T) {
	a := []float32{1, 2, 0, 3}
	b := []float32{2, 0, 1, 1, 0.5}
	x := &sparse.CSR{Rows: len(a), Cols: len(b), Indptr: []int64{0}}
	for _, ai := range a {
		for j, bj := range b {
			if ai*bj != 0 {
				x.Indices = append(x.Indices, int32(j))
				x.Data = append(x.Data, ai*bj)
			}
		}
		x.Indptr = append(x.Indptr, int64(len(x.Indices)))
	}
	m := fit(t, algo.Params{"n_components": 1}, x)
	s := make([]float32, len(b))
	for u, ai := range a {
		m.ScoreUsers(x, []int32{int32(u)}, s)
		for j, bj := range b {
			if math.Abs(float64(s[j]-ai*bj)) > 1e-4 {
				t.Errorf("score(%d,%d) = %v, want %v", u, j, s[j], ai*bj)
			}
		}
	}
	// V is unit-norm and ∝ b.
	var n float64
	for j := range b {
		n += float64(m.v[j] * m.v[j])
	}
	if math.Abs(n-1) > 1e-5 {
		t.Errorf("‖v‖² = %v, want 1", n)
	}
}

// TestClamp: n_components ≥ items becomes items−1; a single item is an
// error; a rank-deficient matrix (an empty user) still fits.
func TestClamp(t *testing.T) {
	x := &sparse.CSR{Rows: 4, Cols: 5, Indptr: []int64{0, 5, 7, 8, 8},
		Indices: []int32{0, 1, 2, 3, 4, 1, 3, 2}, Data: []float32{1, 1, 2, 3, 4, 1, 1, 1}}
	for _, k := range []int{5, 6, 100} {
		m := fit(t, algo.Params{"n_components": k}, x)
		if m.Rank() != 4 {
			t.Errorf("n_components %d: rank %d, want 4", k, m.Rank())
		}
		if m.Params()["n_components"] != k {
			t.Errorf("n_components %d: Params reports %v", k, m.Params()["n_components"])
		}
		algotest.CheckRoundTrip(t, Spec, m, x)
	}
	one := &sparse.CSR{Rows: 2, Cols: 1, Indptr: []int64{0, 1, 2}, Indices: []int32{0, 0}, Data: []float32{1, 1}}
	m, _ := New(nil, algo.Options{})
	if err := m.Fit(context.Background(), one); err == nil {
		t.Error("Fit on a single item succeeded")
	}
}

// TestCancel: a cancelled context stops the fit.
func TestCancel(t *testing.T) {
	x := randomBinary(100, 80, 0.1, 2)
	m, _ := New(algo.Params{"n_components": 8}, algo.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Fit(ctx, x); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit = %v, want context.Canceled", err)
	}
}

// TestDeterministic: a fixed seed gives identical components at any thread
// count, also when n_components is large enough for the blocked Cholesky
// and several row chunks per product.
func TestDeterministic(t *testing.T) {
	for _, tc := range []struct{ rows, cols, k int }{{150, 120, 12}, {300, 260, 150}} {
		x := randomBinary(tc.rows, tc.cols, 0.1, 4)
		var ref *Model
		for _, threads := range []int{1, 2, 3} {
			m, _ := New(algo.Params{"n_components": tc.k}, algo.Options{Threads: threads})
			if err := m.Fit(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = m
				continue
			}
			for i := range ref.v {
				if ref.v[i] != m.v[i] {
					t.Fatalf("%d×%d, k %d: component value %d: %v at %d threads, %v at 1",
						tc.rows, tc.cols, tc.k, i, m.v[i], threads, ref.v[i])
				}
			}
		}
	}
}

// lowRank returns a dense rows×cols CSR X = U·diag(σ)·Vᵀ with random
// orthonormal U, V and σ_i = decay^i, and the float64 copy of its float32
// values.
func lowRank(rows, cols int, decay float64, seed uint64) (*sparse.CSR, *mat.Dense) {
	orth := func(r, c int, seed uint64) *mat.Dense {
		var qr mat.QR
		qr.Factorize(mat.NewDense(r, c, randomDense(r, c, seed)))
		var q mat.Dense
		qr.QTo(&q)
		return q.Slice(0, r, 0, c).(*mat.Dense)
	}
	r := min(rows, cols)
	u, v := orth(rows, r, seed), orth(cols, r, seed+1)
	s := mat.NewDiagDense(r, nil)
	for i := 0; i < r; i++ {
		s.SetDiag(i, math.Pow(decay, float64(i)))
	}
	var us, x mat.Dense
	us.Mul(u, s)
	x.Mul(&us, v.T())
	csr := &sparse.CSR{Rows: rows, Cols: cols, Indptr: []int64{0}}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			f := float32(x.At(i, j))
			x.Set(i, j, float64(f))
			csr.Indices = append(csr.Indices, int32(j))
			csr.Data = append(csr.Data, f)
		}
		csr.Indptr = append(csr.Indptr, int64(len(csr.Indices)))
	}
	return csr, &x
}

// subspaceOverlap returns ‖V_exactᵀ·V‖²_F / k for the top-k right singular
// vectors of x and the row-major cols×k matrix v: 1 when they span the same
// subspace.
func subspaceOverlap(x *mat.Dense, v []float32, k int) float64 {
	var svd mat.SVD
	svd.Factorize(x, mat.SVDThin)
	var ve mat.Dense
	svd.VTo(&ve)
	_, cols := x.Dims()
	var sum float64
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			var dot float64
			for i := 0; i < cols; i++ {
				dot += ve.At(i, a) * float64(v[i*k+b])
			}
			sum += dot * dot
		}
	}
	return sum / float64(k)
}

// TestExactSubspace: on matrices whose spectrum decays fast enough for 5
// power iterations to converge, the components span the top-k right
// singular subspace of an exact SVD, for small and large n_components
// (l = k+10 up to the whole rank) and for both ways of taking the SVD of
// the projected matrix.
func TestExactSubspace(t *testing.T) {
	for _, tc := range []struct {
		rows, cols, k int
		decay         float64
	}{
		{120, 90, 8, 0.7},
		{120, 90, 60, 0.85},
		{90, 140, 75, 0.85},
		{60, 61, 59, 0.9},
	} {
		x, dense := lowRank(tc.rows, tc.cols, tc.decay, uint64(tc.k))
		m := fit(t, algo.Params{"n_components": tc.k}, x)
		if o := subspaceOverlap(dense, m.v, tc.k); math.Abs(o-1) > 1e-6 {
			t.Errorf("%d×%d, k %d: subspace overlap %.9f, want 1", tc.rows, tc.cols, tc.k, o)
		}
	}
}

// TestRitzPaths: ritzGram and ritzQR give the same singular vectors (up
// to sign) of a well-conditioned B, and ritzGram declines a rank-deficient
// one.
func TestRitzPaths(t *testing.T) {
	const n, l, k = 300, 40, 30
	bt := randomDense(n, l, 11)
	for i := 0; i < n; i++ {
		for j := 0; j < l; j++ {
			bt[i*l+j] *= math.Pow(0.9, float64(j)) // distinct singular values
		}
	}
	ws := new(scratch)
	vg, ok := ritzGram(ws, bt, n, l, k, 2)
	if !ok {
		t.Fatal("ritzGram declined a well-conditioned B")
	}
	vq, err := ritzQR(ws, append([]float64(nil), bt...), n, l, k, 2)
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < k; c++ {
		var dot float64
		for i := 0; i < n; i++ {
			dot += vg[i*k+c] * vq[i*k+c]
		}
		if math.Abs(math.Abs(dot)-1) > 1e-9 {
			t.Errorf("column %d: |v_gram·v_qr| = %v, want 1", c, math.Abs(dot))
		}
	}
	for i := 0; i < n; i++ {
		bt[i*l+l-1] = bt[i*l] // rank l−1
	}
	if _, ok := ritzGram(ws, bt, n, l, l, 2); ok {
		t.Error("ritzGram accepted a rank-deficient B at k = l")
	}
}

// TestParams: defaults and validation.
func TestParams(t *testing.T) {
	m, err := New(nil, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Params()["n_components"] != 4 || m.Params()["random_seed"] != 0 {
		t.Errorf("defaults %v", m.Params())
	}
	for _, bad := range []algo.Params{{"n_components": 0}, {"n_components": "x"}, {"algorithm": "arpack"}} {
		if _, err := New(bad, algo.Options{}); err == nil {
			t.Errorf("New(%v) succeeded", bad)
		}
	}
}

// TestMalformed: an inconsistent matrix is an error, not a panic.
func TestMalformed(t *testing.T) { algotest.CheckMalformed(t, Spec) }
