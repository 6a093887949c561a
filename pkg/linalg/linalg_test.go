package linalg

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

func TestDotAxpyScale(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, 7, 8, 9, 16, 31, 64, 100} {
		x, y := randVec(r, n), randVec(r, n)
		var want float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
		}
		if got := Dot(x, y); !near(float64(got), want, 1e-5) {
			t.Errorf("Dot n=%d = %g, want %g", n, got, want)
		}
		if got := Dot64(f64(x), f64(y)); !near(got, want, 1e-12) {
			t.Errorf("Dot64 n=%d = %g, want %g", n, got, want)
		}
		z := slices.Clone(y)
		Axpy(2.5, x, z)
		for i := range z {
			if w := y[i] + 2.5*x[i]; !near(float64(z[i]), float64(w), 1e-6) {
				t.Fatalf("Axpy n=%d [%d] = %g, want %g", n, i, z[i], w)
			}
		}
		Scale(-2, z)
		for i := range z {
			if w := -2 * (y[i] + 2.5*x[i]); !near(float64(z[i]), float64(w), 1e-6) {
				t.Fatalf("Scale n=%d [%d] = %g, want %g", n, i, z[i], w)
			}
		}
		var s float64
		for _, v := range x {
			s += float64(v)
		}
		if got := Sum(x); !near(got, s, 1e-9) {
			t.Errorf("Sum n=%d = %g, want %g", n, got, s)
		}
	}
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestMatVec(t *testing.T) {
	m := []float32{1, 2, 3, 4, 5, 6} // 2x3
	dst := make([]float32, 2)
	MatVec(dst, m, 2, 3, []float32{1, 0, -1})
	if !slices.Equal(dst, []float32{-2, -2}) {
		t.Errorf("MatVec = %v, want [-2 -2]", dst)
	}
	// Six rows: one group of four and two single rows.
	r := rand.New(rand.NewPCG(3, 4))
	const rows, cols = 6, 19
	big, x := randVec(r, rows*cols), randVec(r, cols)
	got := make([]float32, rows)
	MatVec(got, big, rows, cols, x)
	for i := range got {
		var want float64
		for j := range x {
			want += float64(big[i*cols+j]) * float64(x[j])
		}
		if !near(float64(got[i]), want, 1e-5) {
			t.Errorf("MatVec row %d = %g, want %g", i, got[i], want)
		}
	}
	// x·M for the same matrix, accumulated onto ones.
	y := randVec(r, rows)
	acc := make([]float32, cols)
	Fill(acc, 1)
	VecMatAdd(acc, y, big, rows, cols)
	for j := range acc {
		want := 1.0
		for i := range y {
			want += float64(y[i]) * float64(big[i*cols+j])
		}
		if !near(float64(acc[j]), want, 1e-5) {
			t.Errorf("VecMatAdd column %d = %g, want %g", j, acc[j], want)
		}
	}
}

func naiveGram(v []float32, n, k int) []float64 {
	g := make([]float64, k*k)
	for r := 0; r < n; r++ {
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				g[i*k+j] += float64(v[r*k+i]) * float64(v[r*k+j])
			}
		}
	}
	return g
}

func TestGram(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, k int }{{0, 3}, {1, 1}, {5, 3}, {7, 8}, {5000, 13}} {
		v := randVec(r, tc.n*tc.k)
		want := naiveGram(v, tc.n, tc.k)
		var first []float32
		for _, th := range []int{1, 2, 3} {
			got := make([]float32, tc.k*tc.k)
			got[0] = 99 // must be overwritten
			Gram(got, v, tc.n, tc.k, 1, th)
			for i := range got {
				if !near(float64(got[i]), want[i], 1e-4) {
					t.Fatalf("Gram n=%d k=%d threads=%d [%d] = %g, want %g", tc.n, tc.k, th, i, got[i], want[i])
				}
			}
			if first == nil {
				first = got
			} else if !slices.Equal(first, got) {
				t.Errorf("Gram n=%d k=%d: threads=%d differs from threads=1", tc.n, tc.k, th)
			}
		}
	}
}

func TestGramRowsAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, k = 20, 6
	v := randVec(r, n*k)
	rows := []int32{3, 0, 19, 7, 7, 11, 2}
	weights := []float32{1, 0.5, 2, 3, 1, 0.25, 4}
	for _, w := range [][]float32{nil, weights} {
		a := make([]float32, k*k)
		for i := 0; i < k; i++ {
			a[i*k+i] = 1
		}
		GramRowsAdd(a, k, v, rows, w)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				want := 0.0
				if i == j {
					want = 1
				}
				for q, row := range rows {
					wq := 1.0
					if w != nil {
						wq = float64(w[q])
					}
					want += wq * float64(v[int(row)*k+i]) * float64(v[int(row)*k+j])
				}
				if !near(float64(a[i*k+j]), want, 1e-5) {
					t.Fatalf("weights=%v a[%d,%d] = %g, want %g", w != nil, i, j, a[i*k+j], want)
				}
			}
		}
	}
}

func TestSolveSPD(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 5, 64} {
		b := randVec(r, n*n)
		a := make([]float32, n*n)
		Gram(a, b, n, n, 1, 1)
		for i := 0; i < n; i++ {
			a[i*n+i] += 1
		}
		x := randVec(r, n)
		rhs := make([]float32, n)
		MatVec(rhs, a, n, n, x)
		work, err := SolveSPD32(a, n, rhs, nil)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(work) < n*n+n {
			t.Fatalf("n=%d: work too short", n)
		}
		for i := range x {
			if !near(float64(rhs[i]), float64(x[i]), 1e-3) {
				t.Fatalf("n=%d x[%d] = %g, want %g", n, i, rhs[i], x[i])
			}
		}
	}
	if err := SolveSPD([]float64{1, 2, 2, 1}, 2, []float64{1, 1}); err == nil {
		t.Error("SolveSPD on an indefinite matrix: want an error")
	}
	if err := SolveSPD([]float64{math.NaN()}, 1, []float64{1}); err == nil {
		t.Error("SolveSPD on NaN: want an error")
	}
}

func TestScoreBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{5, 37, 64} {
		const nu, ni = 7, 300
		u, v := randVec(r, nu*k), randVec(r, ni*k)
		dst := make([]float32, nu*ni)
		ScoreBlock(dst, u, nu, v, ni, k)
		for a := 0; a < nu; a++ {
			for i := 0; i < ni; i++ {
				want := 0.0
				for q := 0; q < k; q++ {
					want += float64(u[a*k+q]) * float64(v[i*k+q])
				}
				if !near(float64(dst[a*ni+i]), want, 1e-5) {
					t.Fatalf("k=%d [%d,%d] = %g, want %g", k, a, i, dst[a*ni+i], want)
				}
			}
			// A user scored alone gets bit-identical scores.
			one := make([]float32, ni)
			ScoreBlock(one, u[a*k:(a+1)*k], 1, v, ni, k)
			if !slices.Equal(one, dst[a*ni:(a+1)*ni]) {
				t.Errorf("k=%d user %d: scores depend on grouping", k, a)
			}
		}
	}
}

// refTopK is the specification: sort every index by (key desc, index asc).
func refTopK(s []float32, k int, finite bool) []int32 {
	var idx []int32
	for i, v := range s {
		if finite && !(v > float32(math.Inf(-1))) {
			continue
		}
		idx = append(idx, int32(i))
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		sa, sb := key(s[a]), key(s[b])
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return int(a - b)
	})
	if len(idx) > k {
		idx = idx[:k]
	}
	return idx
}

func TestTopK(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	ninf := -inf
	cases := []struct {
		s      []float32
		k      int
		want   []int32
		finite []int32
	}{
		{[]float32{1, 3, 2}, 2, []int32{1, 2}, []int32{1, 2}},
		{[]float32{1, 1, 1, 1}, 2, []int32{0, 1}, []int32{0, 1}},
		{[]float32{ninf, 2, ninf, 1}, 3, []int32{1, 3, 0}, []int32{1, 3}},
		{[]float32{nan, ninf, 0}, 3, []int32{2, 0, 1}, []int32{2}},
		{[]float32{inf, 5, inf}, 2, []int32{0, 2}, []int32{0, 2}},
		{[]float32{1, 2}, 0, []int32{}, []int32{}},
		{[]float32{}, 3, []int32{}, []int32{}},
		{[]float32{2, 1}, 5, []int32{0, 1}, []int32{0, 1}},
	}
	for i, c := range cases {
		if got := TopK(c.s, c.k, nil); !slices.Equal(got, c.want) {
			t.Errorf("case %d: TopK(%v, %d) = %v, want %v", i, c.s, c.k, got, c.want)
		}
		if got := TopKFinite(c.s, c.k, nil); !slices.Equal(got, c.finite) {
			t.Errorf("case %d: TopKFinite(%v, %d) = %v, want %v", i, c.s, c.k, got, c.finite)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	buf := make([]int32, 0, 4)
	for trial := 0; trial < 500; trial++ {
		n := r.IntN(60)
		s := make([]float32, n)
		for i := range s {
			switch r.IntN(6) {
			case 0:
				s[i] = ninf
			case 1:
				s[i] = nan
			default:
				s[i] = float32(r.IntN(5)) // many ties
			}
		}
		k := r.IntN(n + 3)
		for _, fin := range []bool{false, true} {
			buf = topK(s, k, buf, fin)
			if want := refTopK(s, k, fin); !slices.Equal(buf, want) {
				t.Fatalf("finite=%v TopK(%v, %d) = %v, want %v", fin, s, k, buf, want)
			}
		}
	}
}

// TestParallelForErr: the first error is returned and stops the hand-out
// of chunks; a cancelled context returns its error without running fn.
func TestParallelForErr(t *testing.T) {
	boom := errors.New("boom")
	for _, th := range []int{1, 2, 4} {
		var calls atomic.Int32
		err := ParallelForErr(context.Background(), 1000, 1, th, func(_, lo, _ int) error {
			calls.Add(1)
			if lo == 3 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("threads %d: err = %v, want boom", th, err)
		}
		if c := calls.Load(); c >= 1000 {
			t.Errorf("threads %d: %d calls after the failure, want the hand-out stopped", th, c)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err = ParallelForErr(ctx, 10, 1, th, func(_, _, _ int) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Errorf("threads %d: cancelled: err = %v, ran %v", th, err, ran)
		}
	}
}

func TestParallelFor(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		for _, th := range []int{0, 1, 2, 5} {
			hits := make([]atomic.Int32, n)
			ParallelFor(n, th, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("n=%d threads=%d: index %d visited %d times", n, th, i, h)
				}
			}
			busy := make([]atomic.Int32, max(th, 1))
			ParallelForWorker(n, 3, th, func(w, lo, hi int) {
				if busy[w].Add(1) != 1 {
					t.Errorf("worker %d runs twice at once", w)
				}
				busy[w].Add(-1)
			})
		}
	}
}

func TestParseThreads(t *testing.T) {
	if n, err := ParseThreads("3"); err != nil || n != 3 {
		t.Errorf("ParseThreads(3) = %d, %v", n, err)
	}
	if n, err := ParseThreads(""); err != nil || n < 1 {
		t.Errorf("ParseThreads(\"\") = %d, %v", n, err)
	}
	for _, s := range []string{"0", "-1", "x", "1.5"} {
		if _, err := ParseThreads(s); err == nil {
			t.Errorf("ParseThreads(%q): want an error", s)
		}
	}
	t.Setenv(ThreadsEnv, "7")
	if Threads() != 7 {
		t.Errorf("Threads() with %s=7 = %d", ThreadsEnv, Threads())
	}
	t.Setenv(ThreadsEnv, "bogus")
	if Threads() < 1 {
		t.Errorf("Threads() with a bad value = %d", Threads())
	}
	if Kernels() == "" {
		t.Error("Kernels() is empty")
	}
}

// TestKernels checks the pure-Go kernels directly, so they stay tested in
// builds that dispatch to assembly kernels, and the dispatching ones at every
// length class of their unrolled loops and tails.
func TestKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 64, 67, 100, 129} {
		x, y0, y1, y2, y3 := randVec(r, n), randVec(r, n), randVec(r, n), randVec(r, n), randVec(r, n)
		ref := func(y []float32) float64 {
			var s float64
			for i := range x {
				s += float64(x[i]) * float64(y[i])
			}
			return s
		}
		for _, impl := range []struct {
			name string
			f    func(x, y []float32) float32
		}{{"dotGo", dotGo}, {"Dot", Dot}, {"dot1Go", dot1Go}, {"dot1", dot1}} {
			if got := impl.f(x, y0); !near(float64(got), ref(y0), 1e-5) {
				t.Errorf("%s n=%d = %g, want %g", impl.name, n, got, ref(y0))
			}
		}
		for _, impl := range []struct {
			name string
			f    func(x, y0, y1, y2, y3 []float32) (float32, float32, float32, float32)
		}{{"dot4Go", dot4Go}, {"Dot4", Dot4}} {
			s0, s1, s2, s3 := impl.f(x, y0, y1, y2, y3)
			for q, p := range [][2]float64{{float64(s0), ref(y0)}, {float64(s1), ref(y1)}, {float64(s2), ref(y2)}, {float64(s3), ref(y3)}} {
				if !near(p[0], p[1], 1e-5) {
					t.Errorf("%s n=%d lane %d = %g, want %g", impl.name, n, q, p[0], p[1])
				}
			}
		}
		s0, _, _, _ := dot4Go(x, y0, y1, y2, y3)
		if d1, d4 := dot1Go(x, y0), s0; d1 != d4 {
			t.Errorf("dot1Go n=%d = %g, dot4Go lane 0 = %g: summation orders differ", n, d1, d4)
		}
		for _, impl := range []struct {
			name string
			f    func(float32, []float32, []float32)
		}{{"axpyGo", axpyGo}, {"Axpy", Axpy}} {
			z := slices.Clone(y0)
			impl.f(-1.5, x, z)
			for i := range z {
				if w := float64(y0[i]) - 1.5*float64(x[i]); !near(float64(z[i]), w, 1e-5) {
					t.Fatalf("%s n=%d [%d] = %g, want %g", impl.name, n, i, z[i], w)
				}
			}
		}
		for _, impl := range []struct {
			name string
			f    func([]float32, float32, float32, float32, float32, []float32, []float32, []float32, []float32)
		}{{"axpy4Go", axpy4Go}, {"Axpy4", Axpy4}} {
			row := slices.Clone(x)
			impl.f(row, 1, 2, 3, 4, y0, y1, y2, y3)
			for j := range row {
				w := float64(x[j]) + float64(y0[j]) + 2*float64(y1[j]) + 3*float64(y2[j]) + 4*float64(y3[j])
				if !near(float64(row[j]), w, 1e-5) {
					t.Fatalf("%s n=%d [%d] = %g, want %g", impl.name, n, j, row[j], w)
				}
			}
		}
		// The dispatching kernels keep dot1 and dot4 consistent too.
		a0, _, _, _ := Dot4(x, y0, y1, y2, y3)
		if d := dot1(x, y0); d != a0 {
			t.Errorf("dot1 n=%d = %g, dot4 lane 0 = %g", n, d, a0)
		}
	}
}

// TestDotDiff checks DotDiff against p·a − p·b in float64 for lengths with
// and without vector tails.
func TestDotDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 64, 203} {
		p, a, b := randVec(r, n), randVec(r, n), randVec(r, n)
		want := 0.0
		for i := range p {
			want += float64(p[i]) * (float64(a[i]) - float64(b[i]))
		}
		if got := DotDiff(p, a, b); !near(float64(got), want, 1e-5) {
			t.Errorf("n=%d: DotDiff = %g, want %g", n, got, want)
		}
	}
}

// TestFirstAbove checks the scan TopK uses against the plain loop, with NaN,
// infinities, ties with the threshold and every start offset.
func TestFirstAbove(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for trial := 0; trial < 300; trial++ {
		n := r.IntN(40)
		s := make([]float32, n)
		for i := range s {
			switch r.IntN(6) {
			case 0:
				s[i] = nan
			case 1:
				s[i] = -inf
			default:
				s[i] = float32(r.IntN(5))
			}
		}
		thr := []float32{float32(r.IntN(5)), -inf, nan, inf}[trial%4]
		for from := 0; from <= n; from++ {
			if got, want := firstAbove(s, from, thr), firstAboveGo(s, from, thr); got != want {
				t.Fatalf("firstAbove(%v, %d, %v) = %d, want %d", s, from, thr, got, want)
			}
		}
	}
}

// TestAxpy64 checks the float64 axpy (the assembly where present) against
// the Go loop at every tail length.
func TestAxpy64(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for n := 0; n < 40; n++ {
		x, y := make([]float64, n), make([]float64, n+3) // y may be longer
		for i := range x {
			x[i] = r.NormFloat64()
		}
		for i := range y {
			y[i] = r.NormFloat64()
		}
		got, want := slices.Clone(y), slices.Clone(y)
		Axpy64(1.5, x, got)
		axpy64Go(1.5, x, want)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("n %d: y[%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}
