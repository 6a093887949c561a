package linalg

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStdSortDescMatchesLibstdcxx compares stdSortDesc with the orders GNU
// libstdc++ (Debian g++ 12.2, -O2) produced for
// std::sort(b, b+n, [&](int a, int c){ return v[a] > v[c]; }) over
// b = 0..n-1 and the tie-heavy v[i] = (i·7919 mod 13) mod 5. n = 150
// exercises the introsort partitioning, n = 40 the final insertion sort.
func TestStdSortDescMatchesLibstdcxx(t *testing.T) {
	want := map[int][]int32{
		40:  {24, 2, 37, 28, 11, 15, 4, 21, 8, 34, 17, 30, 1, 23, 27, 19, 14, 32, 10, 36, 6, 29, 33, 38, 20, 25, 16, 12, 7, 3, 26, 22, 0, 18, 31, 13, 9, 35, 5, 39},
		150: {119, 50, 89, 93, 41, 54, 102, 37, 80, 106, 28, 115, 76, 24, 128, 15, 63, 2, 11, 141, 67, 145, 132, 4, 99, 82, 43, 95, 8, 147, 47, 34, 108, 56, 112, 30, 138, 69, 86, 134, 121, 73, 21, 125, 60, 17, 75, 84, 79, 66, 71, 88, 92, 97, 101, 105, 110, 114, 118, 123, 127, 131, 136, 140, 144, 149, 1, 40, 36, 32, 45, 27, 49, 23, 19, 53, 14, 58, 10, 62, 6, 25, 38, 33, 103, 3, 107, 111, 146, 29, 116, 12, 142, 120, 7, 124, 20, 137, 129, 16, 133, 64, 81, 55, 85, 51, 77, 90, 46, 59, 72, 94, 98, 68, 42, 52, 130, 57, 78, 148, 13, 135, 0, 74, 139, 70, 9, 5, 61, 143, 91, 100, 104, 35, 96, 65, 109, 44, 31, 113, 18, 117, 26, 48, 87, 122, 22, 39, 126, 83},
	}
	for n, w := range want {
		vals := make([]float64, n)
		pos := make([]int32, n)
		for i := range n {
			vals[i] = float64((i * 7919 % 13) % 5)
			pos[i] = int32(i)
		}
		stdSortDesc(pos, vals)
		if !slices.Equal(pos, w) {
			t.Errorf("n=%d: got %v, want %v", n, pos, w)
		}
	}
}

// TestStdSortDescSorts checks ordering and permutation on random inputs,
// including the heapsort fallback's territory (all-equal runs).
func TestStdSortDescSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 17, 100, 1000, 5000} {
		for _, m := range []int{1, 3, 1000} {
			vals := make([]float64, n)
			pos := make([]int32, n)
			for i := range n {
				vals[i] = float64(rng.IntN(m))
				pos[i] = int32(i)
			}
			stdSortDesc(pos, vals)
			for i := 1; i < n; i++ {
				if vals[pos[i]] > vals[pos[i-1]] {
					t.Fatalf("n=%d m=%d: not descending at %d", n, m, i)
				}
			}
			s := slices.Clone(pos)
			slices.Sort(s)
			for i := range s {
				if s[i] != int32(i) {
					t.Fatalf("n=%d m=%d: not a permutation", n, m)
				}
			}
		}
	}
}

// knnRandomSparse returns a random rows×cols matrix with about density·cols
// entries per row and values in (0, 1].
func knnRandomSparse(rng *rand.Rand, rows, cols int, density float64) *Sparse64 {
	m := &Sparse64{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1)}
	for r := range rows {
		for c := range cols {
			if rng.Float64() < density {
				m.Indices = append(m.Indices, int32(c))
				m.Data = append(m.Data, 1-rng.Float64())
			}
		}
		m.Indptr[r+1] = int64(len(m.Indices))
	}
	return m
}

// TestProductTopK checks every selection mode against a brute-force dense
// product sorted by (value desc, column asc).
func TestProductTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, density := range []float64{0.02, 0.3} {
		a := knnRandomSparse(rng, 60, 80, density)
		b := knnRandomSparse(rng, 80, 70, density)
		dense := make([][]float64, a.Rows)
		touched := make([][]bool, a.Rows)
		for r := range a.Rows {
			dense[r] = make([]float64, b.Cols)
			touched[r] = make([]bool, b.Cols)
			for q := a.Indptr[r]; q < a.Indptr[r+1]; q++ {
				m := a.Indices[q]
				for s := b.Indptr[m]; s < b.Indptr[m+1]; s++ {
					dense[r][b.Indices[s]] += a.Data[q] * b.Data[s]
					touched[r][b.Indices[s]] = true
				}
			}
		}
		for _, k := range []int{0, 1, 5, 1000} {
			for _, mode := range []ProductTopK{{}, {Positive: true}, {StdSortTies: true}, {StdSortTies: true, Positive: true}} {
				p := mode
				p.A, p.B, p.TopK = a, b, k
				indptr, indices, data, err := p.Run(context.Background(), 3)
				if err != nil {
					t.Fatal(err)
				}
				for r := range a.Rows {
					type e struct {
						c int32
						v float64
					}
					var all []e
					for c, ok := range touched[r] {
						if ok {
							all = append(all, e{int32(c), dense[r][c]})
						}
					}
					slices.SortFunc(all, func(x, y e) int {
						if c := cmp.Compare(y.v, x.v); c != 0 {
							return c
						}
						return cmp.Compare(x.c, y.c)
					})
					if k >= 1 && len(all) > k {
						all = all[:k]
					}
					slices.SortFunc(all, func(x, y e) int { return cmp.Compare(x.c, y.c) })
					got := indices[indptr[r]:indptr[r+1]]
					if len(got) != len(all) {
						t.Fatalf("density %v k %d mode %+v row %d: %d entries, want %d", density, k, mode, r, len(got), len(all))
					}
					for i, x := range all {
						if got[i] != x.c || knnAbs(data[indptr[r]+int64(i)]-x.v) > 1e-12 {
							t.Fatalf("density %v k %d row %d entry %d: (%d, %v), want (%d, %v)", density, k, r, i, got[i], data[indptr[r]+int64(i)], x.c, x.v)
						}
					}
				}
			}
		}
	}
}

func knnAbs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestProductTopKCancelled(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := knnRandomSparse(rng, 50, 50, 0.1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := (&ProductTopK{A: a, B: a, TopK: 3}).Run(ctx, 2); err != context.Canceled {
		t.Fatalf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

func TestTranspose64(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, size := range [][2]int{{30, 20}, {3000, 500}} {
		m := knnRandomSparse(rng, size[0], size[1], 0.05)
		one := Transpose64(m, 1)
		for _, threads := range []int{1, 2, 3} {
			tm := Transpose64(m, threads)
			if !slices.Equal(tm.Indptr, one.Indptr) || !slices.Equal(tm.Indices, one.Indices) || !slices.Equal(tm.Data, one.Data) {
				t.Fatalf("%v: transpose with %d threads differs from 1 thread", size, threads)
			}
			tt := Transpose64(tm, threads)
			if !slices.Equal(tt.Indptr, m.Indptr) || !slices.Equal(tt.Indices, m.Indices) || !slices.Equal(tt.Data, m.Data) {
				t.Fatalf("%v threads %d: transpose twice differs from the original", size, threads)
			}
		}
		for r := range one.Rows {
			if !slices.IsSorted(one.Indices[one.Indptr[r]:one.Indptr[r+1]]) {
				t.Fatalf("row %d of the transpose is not ascending", r)
			}
		}
	}
}

// TestSelectStdSortShortcut: the selection without the sort (no tie at the
// cut) keeps exactly what sorting all entries with stdSortDesc keeps, on
// rows with many ties, few ties and none.
func TestSelectStdSortShortcut(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 300; trial++ {
		n := 1 + r.IntN(200)
		levels := []int{3, 20, 1 << 30}[trial%3] // distinct values: few → many ties
		vals := make([]float64, n)
		cols := make([]int32, n)
		for t := range vals {
			vals[t] = float64(r.IntN(levels))
			cols[t] = int32(t * 2)
		}
		topK := 1 + r.IntN(n+5)
		p := &ProductTopK{TopK: topK, StdSortTies: true}
		s := &productScratch{acc: make([]float64, 2*n), touched: cols}
		for t, c := range cols {
			s.acc[c] = vals[t]
		}
		p.selectStdSort(s, 0)
		pos := make([]int32, n)
		for t := range pos {
			pos[t] = int32(t)
		}
		stdSortDesc(pos, slices.Clone(vals))
		keep := pos[:min(topK, n)]
		slices.Sort(keep)
		var want []knnPair
		for _, t := range keep {
			want = append(want, knnPair{cols[t], vals[t]})
		}
		if !slices.Equal(s.heap, want) {
			t.Fatalf("trial %d (n %d, top %d): kept %v, want %v", trial, n, topK, s.heap, want)
		}
	}
}

// TestKthLargest checks the quickselect against sorting.
func TestKthLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(100)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(1 + trial%30))
		}
		k := 1 + r.IntN(n)
		sorted := slices.Clone(v)
		slices.Sort(sorted)
		if got, ok := kthLargest(slices.Clone(v), k); !ok || got != sorted[n-k] {
			t.Fatalf("kthLargest(%v, %d) = %v, want %v", v, k, got, sorted[n-k])
		}
	}
	if _, ok := kthLargest([]float64{1, math.NaN()}, 1); ok {
		t.Error("NaN: ok = true")
	}
}
