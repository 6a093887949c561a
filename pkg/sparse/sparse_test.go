package sparse

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFromCOO(t *testing.T) {
	r := []int32{1, 0, 1, 1, 0, 1}
	c := []int32{2, 1, 0, 2, 1, 2}
	v := []float32{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		dup  Dup
		data []float32
	}{
		{DupSum, []float32{7, 3, 11}},
		{DupFirst, []float32{2, 3, 1}},
		{DupLast, []float32{5, 3, 6}},
	} {
		m, err := FromCOO(3, 3, r, c, v, tc.dup)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Indptr, []int64{0, 1, 3, 3}) || !slices.Equal(m.Indices, []int32{1, 0, 2}) || !slices.Equal(m.Data, tc.data) {
			t.Errorf("dup %d: got %v %v %v", tc.dup, m.Indptr, m.Indices, m.Data)
		}
	}
	ones, err := FromCOO(2, 2, []int32{0, 0}, []int32{1, 1}, nil, DupSum)
	if err != nil || !slices.Equal(ones.Data, []float32{2}) {
		t.Errorf("nil values summed: %v, %v", ones, err)
	}
	for _, bad := range [][2][]int32{{{2}, {0}}, {{0}, {-1}}, {{0, 1}, {0}}} {
		if _, err := FromCOO(2, 2, bad[0], bad[1], nil, DupSum); err == nil {
			t.Errorf("FromCOO(%v, %v): want an error", bad[0], bad[1])
		}
	}
	z, err := FromCOO(0, 0, nil, nil, nil, DupSum)
	if err != nil || z.Validate() != nil || z.NNZ() != 0 {
		t.Errorf("empty: %v %v", z, err)
	}
}

func random(t *testing.T, rows, cols, n int, seed uint64) *CSR {
	rng := rand.New(rand.NewPCG(seed, 1))
	r, c, v := make([]int32, n), make([]int32, n), make([]float32, n)
	for k := range r {
		r[k], c[k], v[k] = int32(rng.IntN(rows)), int32(rng.IntN(cols)), float32(rng.IntN(5)+1)
	}
	m, err := FromCOO(rows, cols, r, c, v, DupSum)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOps(t *testing.T) {
	m := random(t, 13, 7, 40, 1)
	d := m.Dense()
	tr := m.Transpose()
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < m.Rows; i++ {
		for j := 0; j < m.Cols; j++ {
			if tr.At(j, i) != d[i*m.Cols+j] || m.At(i, j) != d[i*m.Cols+j] {
				t.Fatalf("(%d,%d): transpose %g at %g dense %g", i, j, tr.At(j, i), m.At(i, j), d[i*m.Cols+j])
			}
		}
	}
	if !slices.Equal(tr.Transpose().Dense(), d) {
		t.Error("double transpose differs")
	}
	s := m.SliceRows(3, 9)
	if err := s.Validate(); err != nil || !slices.Equal(s.Dense(), d[3*7:9*7]) {
		t.Errorf("SliceRows: %v", err)
	}
	st, err := VStack(m.SliceRows(0, 3), s, m.SliceRows(9, 13))
	if err != nil || st.Validate() != nil || !slices.Equal(st.Dense(), d) {
		t.Errorf("VStack: %v", err)
	}
	if _, err := VStack(m, tr); err == nil {
		t.Error("VStack of different widths: want an error")
	}
	sel := m.SelectRows([]int32{5, 5, 0})
	want := append(append(slices.Clone(d[35:42]), d[35:42]...), d[0:7]...)
	if sel.Validate() != nil || !slices.Equal(sel.Dense(), want) {
		t.Error("SelectRows differs")
	}
	b := m.Binarize()
	cs, rs, cc := m.ColSums(), m.RowSums(), b.ColSums()
	counts := m.ColCounts()
	for j := 0; j < m.Cols; j++ {
		var sum, n float64
		for i := 0; i < m.Rows; i++ {
			sum += float64(d[i*m.Cols+j])
			if d[i*m.Cols+j] != 0 {
				n++
			}
		}
		if cs[j] != sum || cc[j] != n || float64(counts[j]) != n {
			t.Errorf("column %d: sums %g/%g counts %g/%d, want %g and %g", j, cs[j], cc[j], n, counts[j], sum, n)
		}
	}
	for i := 0; i < m.Rows; i++ {
		var sum float64
		for j := 0; j < m.Cols; j++ {
			sum += float64(d[i*m.Cols+j])
		}
		if rs[i] != sum {
			t.Errorf("row %d sum %g, want %g", i, rs[i], sum)
		}
	}
	c := m.Clone()
	c.Data[0] = 100
	if m.Data[0] == 100 {
		t.Error("Clone aliases")
	}
	if z := Zeros(3, 4); z.Validate() != nil || z.NNZ() != 0 {
		t.Error("Zeros invalid")
	}
}

func TestValidateRejects(t *testing.T) {
	for name, m := range map[string]*CSR{
		"unsorted":   {Rows: 1, Cols: 3, Indptr: []int64{0, 2}, Indices: []int32{2, 1}, Data: []float32{1, 1}},
		"duplicate":  {Rows: 1, Cols: 3, Indptr: []int64{0, 2}, Indices: []int32{1, 1}, Data: []float32{1, 1}},
		"range":      {Rows: 1, Cols: 3, Indptr: []int64{0, 1}, Indices: []int32{3}, Data: []float32{1}},
		"short data": {Rows: 1, Cols: 3, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: nil},
		"indptr":     {Rows: 2, Cols: 3, Indptr: []int64{0, 1}, Indices: []int32{0}, Data: []float32{1}},
		"nil":        nil,
	} {
		if m.Validate() == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

func BenchmarkFromCOO5M(b *testing.B) {
	const rows, cols, n = 100000, 20000, 5000000
	rng := rand.New(rand.NewPCG(1, 1))
	r, c := make([]int32, n), make([]int32, n)
	for k := range r {
		r[k], c[k] = int32(rng.IntN(rows)), int32(rng.IntN(cols))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := FromCOO(rows, cols, r, c, nil, DupFirst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkTranspose5M(b *testing.B) {
	const rows, cols, n = 100000, 20000, 5000000
	rng := rand.New(rand.NewPCG(1, 1))
	r, c := make([]int32, n), make([]int32, n)
	for k := range r {
		r[k], c[k] = int32(rng.IntN(rows)), int32(rng.IntN(cols))
	}
	m, _ := FromCOO(rows, cols, r, c, nil, DupFirst)
	for b.Loop() {
		m.Transpose()
	}
}

func TestRowMajorOrder(t *testing.T) {
	r := []int32{1, 0, 1, 0, 1}
	c := []int32{2, 1, 0, 1, 2}
	order, indptr := RowMajorOrder(2, 3, r, c)
	// Row 0: (0,1) at 1 then 3; row 1: (1,0) at 2, then (1,2) at 0 and 4.
	if want := []int32{1, 3, 2, 0, 4}; !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if want := []int64{0, 2, 5}; !slices.Equal(indptr, want) {
		t.Errorf("indptr = %v, want %v", indptr, want)
	}
}
