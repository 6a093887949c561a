package sparse

import (
	"fmt"
	"slices"
)

// Dup says how FromCOO combines entries that share a (row, column) pair.
type Dup int

const (
	// DupSum adds the values of duplicate entries.
	DupSum Dup = iota
	// DupFirst keeps the value of the first occurrence in input order.
	DupFirst
	// DupLast keeps the value of the last occurrence in input order.
	DupLast
)

// RowMajorOrder returns the positions k of the coordinates (r[k], c[k]),
// every one inside rows×cols, ordered by (row, column, k), and the offset
// in that order where each row starts (rows+1 entries). The cost is two
// stable counting sorts: O(n + rows + cols) time, no comparison sort.
func RowMajorOrder(rows, cols int, r, c []int32) (order []int32, indptr []int64) {
	n := len(r)
	// Pass 1: stable counting sort of positions by column.
	byCol := make([]int32, n)
	cnt := make([]int64, max(rows, cols)+1)
	for _, j := range c {
		cnt[j+1]++
	}
	for j := 0; j < cols; j++ {
		cnt[j+1] += cnt[j]
	}
	for k, j := range c {
		byCol[cnt[j]] = int32(k)
		cnt[j]++
	}
	// Pass 2: stable counting sort by row; order within a row is (column,
	// position).
	clear(cnt)
	for _, i := range r {
		cnt[i+1]++
	}
	for i := 0; i < rows; i++ {
		cnt[i+1] += cnt[i]
	}
	indptr = slices.Clone(cnt[:rows+1])
	order = make([]int32, n)
	for _, k := range byCol {
		i := r[k]
		order[cnt[i]] = k
		cnt[i]++
	}
	return order, indptr
}

// FromCOO builds a rows×cols CSR from coordinate triplets (r[k], c[k], v[k]).
// v nil means every value is 1. Duplicate pairs are combined as dup says.
// Column indices come out sorted within each row (see RowMajorOrder).
func FromCOO(rows, cols int, r, c []int32, v []float32, dup Dup) (*CSR, error) {
	if len(r) != len(c) || (v != nil && len(v) != len(r)) {
		return nil, fmt.Errorf("sparse: triplet slices differ in length (%d rows, %d cols, %d values)", len(r), len(c), len(v))
	}
	if rows < 0 || cols < 0 {
		return nil, fmt.Errorf("sparse: negative shape %dx%d", rows, cols)
	}
	n := len(r)
	for k := 0; k < n; k++ {
		if r[k] < 0 || int(r[k]) >= rows || c[k] < 0 || int(c[k]) >= cols {
			return nil, fmt.Errorf("sparse: entry %d at (%d, %d) is outside %dx%d", k, r[k], c[k], rows, cols)
		}
	}
	order, indptr := RowMajorOrder(rows, cols, r, c)
	m := &CSR{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1)}
	m.Indices = make([]int32, 0, n)
	m.Data = make([]float32, 0, n)
	val := func(k int32) float32 {
		if v == nil {
			return 1
		}
		return v[k]
	}
	for i := 0; i < rows; i++ {
		for p := indptr[i]; p < indptr[i+1]; p++ {
			k := order[p]
			j := c[k]
			last := len(m.Indices) - 1
			if int64(last) >= m.Indptr[i] && m.Indices[last] == j {
				switch dup {
				case DupSum:
					m.Data[last] += val(k)
				case DupLast:
					m.Data[last] = val(k)
				}
				continue
			}
			m.Indices = append(m.Indices, j)
			m.Data = append(m.Data, val(k))
		}
		m.Indptr[i+1] = int64(len(m.Indices))
	}
	if len(m.Indices) < n {
		m.Indices = slices.Clip(m.Indices)
		m.Data = slices.Clip(m.Data)
	}
	return m, nil
}

// Validate checks the structural invariants: shape, monotone row pointers,
// column indices in range and strictly increasing within each row. A nil
// matrix is invalid.
func (m *CSR) Validate() error {
	if m == nil {
		return fmt.Errorf("sparse: nil matrix")
	}
	if m.Rows < 0 || m.Cols < 0 {
		return fmt.Errorf("sparse: negative shape %dx%d", m.Rows, m.Cols)
	}
	if len(m.Indptr) != m.Rows+1 || m.Indptr[0] != 0 {
		return fmt.Errorf("sparse: row pointer has %d entries for %d rows", len(m.Indptr), m.Rows)
	}
	if len(m.Indices) != len(m.Data) || m.Indptr[m.Rows] != int64(len(m.Indices)) {
		return fmt.Errorf("sparse: %d indices, %d values, row pointer ends at %d", len(m.Indices), len(m.Data), m.Indptr[m.Rows])
	}
	for i := 0; i < m.Rows; i++ {
		lo, hi := m.Indptr[i], m.Indptr[i+1]
		if hi < lo {
			return fmt.Errorf("sparse: row pointer decreases at row %d", i)
		}
		prev := int32(-1)
		for _, j := range m.Indices[lo:hi] {
			if j <= prev || int(j) >= m.Cols {
				return fmt.Errorf("sparse: row %d: column %d out of order or out of range", i, j)
			}
			prev = j
		}
	}
	return nil
}

// Zeros returns an empty rows×cols matrix.
func Zeros(rows, cols int) *CSR {
	return &CSR{Rows: rows, Cols: cols, Indptr: make([]int64, rows+1), Indices: []int32{}, Data: []float32{}}
}

// Clone returns a deep copy of m.
func (m *CSR) Clone() *CSR {
	return &CSR{Rows: m.Rows, Cols: m.Cols, Indptr: slices.Clone(m.Indptr), Indices: slices.Clone(m.Indices), Data: slices.Clone(m.Data)}
}

// At returns the value at (i, j), 0 when not stored (binary search).
func (m *CSR) At(i, j int) float32 {
	idx, val := m.Row(i)
	if p, ok := slices.BinarySearch(idx, int32(j)); ok {
		return val[p]
	}
	return 0
}

// Transpose returns mᵀ as a new CSR (equivalently m in CSC form). Indices
// come out sorted.
func (m *CSR) Transpose() *CSR {
	t := &CSR{Rows: m.Cols, Cols: m.Rows, Indptr: make([]int64, m.Cols+1)}
	nnz := len(m.Indices)
	t.Indices = make([]int32, nnz)
	t.Data = make([]float32, nnz)
	for _, j := range m.Indices {
		t.Indptr[j+1]++
	}
	for j := 0; j < m.Cols; j++ {
		t.Indptr[j+1] += t.Indptr[j]
	}
	next := slices.Clone(t.Indptr[:m.Cols])
	for i := 0; i < m.Rows; i++ {
		lo, hi := m.Indptr[i], m.Indptr[i+1]
		for p := lo; p < hi; p++ {
			j := m.Indices[p]
			q := next[j]
			t.Indices[q] = int32(i)
			t.Data[q] = m.Data[p]
			next[j] = q + 1
		}
	}
	return t
}

// SliceRows returns a copy of rows [lo, hi) of m.
func (m *CSR) SliceRows(lo, hi int) *CSR {
	a, b := m.Indptr[lo], m.Indptr[hi]
	s := &CSR{Rows: hi - lo, Cols: m.Cols, Indptr: make([]int64, hi-lo+1)}
	for i := range s.Indptr {
		s.Indptr[i] = m.Indptr[lo+i] - a
	}
	s.Indices = slices.Clone(m.Indices[a:b])
	s.Data = slices.Clone(m.Data[a:b])
	return s
}

// SelectRows returns a new matrix whose row k is row rows[k] of m.
func (m *CSR) SelectRows(rows []int32) *CSR {
	s := &CSR{Rows: len(rows), Cols: m.Cols, Indptr: make([]int64, len(rows)+1)}
	var nnz int64
	for k, i := range rows {
		nnz += m.Indptr[i+1] - m.Indptr[i]
		s.Indptr[k+1] = nnz
	}
	s.Indices = make([]int32, 0, nnz)
	s.Data = make([]float32, 0, nnz)
	for _, i := range rows {
		idx, val := m.Row(int(i))
		s.Indices = append(s.Indices, idx...)
		s.Data = append(s.Data, val...)
	}
	return s
}

// VStack stacks matrices with the same column count vertically.
func VStack(ms ...*CSR) (*CSR, error) {
	if len(ms) == 0 {
		return nil, fmt.Errorf("sparse: VStack of no matrices")
	}
	cols := ms[0].Cols
	rows, nnz := 0, 0
	for _, m := range ms {
		if m.Cols != cols {
			return nil, fmt.Errorf("sparse: VStack of %d and %d columns", cols, m.Cols)
		}
		rows += m.Rows
		nnz += len(m.Indices)
	}
	s := &CSR{Rows: rows, Cols: cols, Indptr: make([]int64, 1, rows+1)}
	s.Indices = make([]int32, 0, nnz)
	s.Data = make([]float32, 0, nnz)
	for _, m := range ms {
		base := int64(len(s.Indices))
		for _, p := range m.Indptr[1:] {
			s.Indptr = append(s.Indptr, base+p)
		}
		s.Indices = append(s.Indices, m.Indices...)
		s.Data = append(s.Data, m.Data...)
	}
	return s, nil
}

// Binarize returns a copy of m whose stored values are all 1.
func (m *CSR) Binarize() *CSR {
	b := &CSR{Rows: m.Rows, Cols: m.Cols, Indptr: slices.Clone(m.Indptr), Indices: slices.Clone(m.Indices)}
	b.Data = make([]float32, len(m.Indices))
	for i := range b.Data {
		b.Data[i] = 1
	}
	return b
}

// ColSums returns the sum of each column, accumulated in float64.
func (m *CSR) ColSums() []float64 {
	s := make([]float64, m.Cols)
	for p, j := range m.Indices {
		s[j] += float64(m.Data[p])
	}
	return s
}

// RowSums returns the sum of each row, accumulated in float64.
func (m *CSR) RowSums() []float64 {
	s := make([]float64, m.Rows)
	for i := range s {
		_, val := m.Row(i)
		var t float64
		for _, v := range val {
			t += float64(v)
		}
		s[i] = t
	}
	return s
}

// ColCounts returns the number of stored entries in each column.
func (m *CSR) ColCounts() []int64 {
	c := make([]int64, m.Cols)
	for _, j := range m.Indices {
		c[j]++
	}
	return c
}

// Dense returns m as a row-major Rows×Cols float32 slice (for tests and
// small matrices).
func (m *CSR) Dense() []float32 {
	d := make([]float32, m.Rows*m.Cols)
	for i := 0; i < m.Rows; i++ {
		idx, val := m.Row(i)
		for p, j := range idx {
			d[i*m.Cols+int(j)] = val[p]
		}
	}
	return d
}
