package linalg

import (
	"cmp"
	"context"
	"slices"

	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Sparse64 is a compressed sparse row matrix with float64 values, the
// operand type of the item-item similarity kernel. Row r holds
// Indices[Indptr[r]:Indptr[r+1]] (any order) and the matching Data.
type Sparse64 struct {
	Rows, Cols int
	Indptr     []int64
	Indices    []int32
	Data       []float64
}

// ProductTopK describes one sparse product with a per-row top-k: for every
// row r of A, the row r of A·B is accumulated densely in float64 over the
// structurally touched columns, each touched value is mapped through Value
// (when set), and the TopK entries with the largest value are kept, ties
// going to the lower column index. Entries whose mapped value is zero are
// candidates like any other touched entry.
type ProductTopK struct {
	A, B *Sparse64
	// TopK bounds the entries kept per row; < 1 keeps every touched entry.
	TopK int
	// Value maps the raw product value of (row r, column c) to the value
	// that is ranked and returned; nil keeps the raw value.
	Value func(r int, c int32, raw float64) float64
	// StdSortTies selects with irspack's KNN rule instead of the heap: all
	// touched entries of a row, in column order (the order of Eigen's
	// product row), are sorted by value descending with GNU libstdc++'s
	// (unstable) std::sort and the first TopK are kept, so equal values are
	// cut where irspack cuts them rather than at the lower column index.
	// It costs a full sort per row instead of a bounded heap.
	StdSortTies bool
	// Positive promises that every product term A[r,m]·B[m,c] is > 0, so an
	// accumulator still at 0 marks an untouched column and the separate
	// touched-marks array is skipped (a faster inner loop).
	Positive bool
}

// knnPair is one candidate entry of a product row.
type knnPair struct {
	col int32
	val float64
}

// knnWorse reports whether a ranks strictly after b: a smaller value, or an
// equal value at a higher column.
func knnWorse(a, b knnPair) bool {
	return a.val < b.val || (a.val == b.val && a.col > b.col)
}

// Run computes the product with at most threads goroutines and returns it
// as CSR arrays (columns ascending within each row). Rows are handed out
// dynamically, each worker owning one dense accumulator of B.Cols float64s.
// It checks ctx between chunks of rows and returns ctx.Err() once cancelled.
func (p *ProductTopK) Run(ctx context.Context, threads int) (indptr []int64, indices []int32, data []float64, err error) {
	a := p.A
	if threads < 1 {
		threads = 1
	}
	work := make([]*productScratch, threads)
	rowCols := make([][]int32, a.Rows)
	rowVals := make([][]float64, a.Rows)
	ParallelForWorker(a.Rows, 16, threads, func(w, lo, hi int) {
		if ctx.Err() != nil {
			return
		}
		s := work[w]
		if s == nil {
			s = &productScratch{acc: make([]float64, p.B.Cols), mark: make([]bool, p.B.Cols)}
			work[w] = s
		}
		for r := lo; r < hi; r++ {
			p.accumulate(s, r)
			if p.StdSortTies {
				p.selectStdSort(s, r)
			} else {
				p.selectHeap(s, r)
			}
			if !p.StdSortTies {
				slices.SortFunc(s.heap, func(x, y knnPair) int { return cmp.Compare(x.col, y.col) })
			}
			cols := make([]int32, len(s.heap))
			vals := make([]float64, len(s.heap))
			for t, e := range s.heap {
				cols[t], vals[t] = e.col, e.val
			}
			rowCols[r], rowVals[r] = cols, vals
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	indptr = make([]int64, a.Rows+1)
	for r := range a.Rows {
		indptr[r+1] = indptr[r] + int64(len(rowCols[r]))
	}
	indices = make([]int32, indptr[a.Rows])
	data = make([]float64, indptr[a.Rows])
	for r := range a.Rows {
		copy(indices[indptr[r]:], rowCols[r])
		copy(data[indptr[r]:], rowVals[r])
	}
	return indptr, indices, data, nil
}

// productScratch is one worker's state: the dense accumulator, touched
// marks, the touched columns of the current row and selection buffers.
type productScratch struct {
	acc     []float64
	mark    []bool
	touched []int32
	heap    []knnPair
	pos     []int32
	vals    []float64
	sel     []float64 // selectStdSort's quickselect copy
}

// accumulate sums row r of A·B into s.acc and lists the touched columns
// in s.touched (ascending when StdSortTies is set).
//
// When every term is positive and the row's multiply-adds reach a quarter
// of B.Cols, the inner loop is a bare scatter-add and the touched columns
// are found by one sequential scan of the accumulator afterwards; a sparse
// row instead records columns as they are first touched.
func (p *ProductTopK) accumulate(s *productScratch, r int) {
	a, b := p.A, p.B
	acc, mark := s.acc, s.mark
	s.touched = s.touched[:0]
	var flops int64
	for q := a.Indptr[r]; q < a.Indptr[r+1]; q++ {
		m := a.Indices[q]
		flops += b.Indptr[m+1] - b.Indptr[m]
	}
	switch {
	case p.Positive && flops*4 >= int64(b.Cols):
		for q := a.Indptr[r]; q < a.Indptr[r+1]; q++ {
			m, av := a.Indices[q], a.Data[q]
			lo, hi := b.Indptr[m], b.Indptr[m+1]
			bi := b.Indices[lo:hi]
			bd := b.Data[lo:hi]
			bd = bd[:len(bi)]
			for t, c := range bi {
				acc[c] += av * bd[t]
			}
		}
		for c, v := range acc {
			if v != 0 {
				s.touched = append(s.touched, int32(c))
			}
		}
		return
	case p.Positive:
		for q := a.Indptr[r]; q < a.Indptr[r+1]; q++ {
			m, av := a.Indices[q], a.Data[q]
			lo, hi := b.Indptr[m], b.Indptr[m+1]
			bi := b.Indices[lo:hi]
			bd := b.Data[lo:hi]
			bd = bd[:len(bi)]
			for t, c := range bi {
				v := acc[c]
				if v == 0 {
					s.touched = append(s.touched, c)
				}
				acc[c] = v + av*bd[t]
			}
		}
	default:
		for q := a.Indptr[r]; q < a.Indptr[r+1]; q++ {
			m, av := a.Indices[q], a.Data[q]
			lo, hi := b.Indptr[m], b.Indptr[m+1]
			bi := b.Indices[lo:hi]
			bd := b.Data[lo:hi]
			bd = bd[:len(bi)]
			for t, c := range bi {
				if !mark[c] {
					mark[c] = true
					s.touched = append(s.touched, c)
				}
				acc[c] += av * bd[t]
			}
		}
		for _, c := range s.touched {
			mark[c] = false
		}
	}
	if p.StdSortTies {
		slices.Sort(s.touched)
	}
}

// value takes the accumulated value of column c out of s.acc (resetting
// it) and maps it through p.Value.
func (p *ProductTopK) value(s *productScratch, r int, c int32) float64 {
	v := s.acc[c]
	s.acc[c] = 0
	if p.Value != nil {
		v = p.Value(r, c, v)
	}
	return v
}

// selectHeap keeps the TopK touched entries of row r by (value desc, column
// asc) in s.heap.
func (p *ProductTopK) selectHeap(s *productScratch, r int) {
	s.heap = s.heap[:0]
	k := p.TopK
	for _, c := range s.touched {
		v := p.value(s, r, c)
		if k >= 1 && len(s.heap) == k {
			// Fast rejection against the entry ranked last.
			if root := s.heap[0]; v < root.val || (v == root.val && c > root.col) {
				continue
			}
		}
		s.heap = knnPush(s.heap, k, knnPair{c, v})
	}
}

// selectStdSort keeps in s.heap, in column order, the first TopK touched
// entries of row r after sorting them (listed in column order) with
// libstdc++'s std::sort by value descending (see StdSortTies).
//
// Only ties at the cut depend on that sort's order, so it runs only for
// them: when every entry is kept, or when the TopK-th largest value is not
// shared by an entry beyond the cut, the kept set is simply every entry at
// or above it.
func (p *ProductTopK) selectStdSort(s *productScratch, r int) {
	s.heap = s.heap[:0]
	s.pos, s.vals = s.pos[:0], s.vals[:0]
	for t, c := range s.touched {
		s.pos = append(s.pos, int32(t))
		s.vals = append(s.vals, p.value(s, r, c))
	}
	k := p.TopK
	if k < 1 || len(s.vals) <= k {
		for t, c := range s.touched {
			s.heap = append(s.heap, knnPair{c, s.vals[t]})
		}
		return
	}
	s.sel = append(s.sel[:0], s.vals...)
	if cut, ok := kthLargest(s.sel, k); ok {
		above, at := 0, 0
		for _, v := range s.vals {
			if v > cut {
				above++
			} else if v == cut {
				at++
			}
		}
		if above+at == k {
			for t, c := range s.touched {
				if v := s.vals[t]; v >= cut {
					s.heap = append(s.heap, knnPair{c, v})
				}
			}
			return
		}
	}
	stdSortDesc(s.pos, s.vals)
	keep := s.pos[:k]
	// Positions index the ascending touched columns: sorting them puts the
	// kept entries in column order.
	slices.Sort(keep)
	for _, t := range keep {
		s.heap = append(s.heap, knnPair{s.touched[t], s.vals[t]})
	}
}

// kthLargest returns the k-th largest of v (1 ≤ k ≤ len(v)), reordering v
// (quickselect with median-of-three pivots); ok is false when v holds a
// NaN, which has no rank.
func kthLargest(v []float64, k int) (x float64, ok bool) {
	for _, e := range v {
		if e != e {
			return 0, false
		}
	}
	lo, hi, want := 0, len(v)-1, k-1 // v[want] once v is sorted descending
	for lo < hi {
		mid := lo + (hi-lo)/2
		a, b, c := v[lo], v[mid], v[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for v[i] > pivot {
				i++
			}
			for v[j] < pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case want <= j:
			hi = j
		case want >= i:
			lo = i
		default:
			return v[want], true
		}
	}
	return v[want], true
}

// knnPush adds e to h, a min-heap (root = the entry ranked last) that
// holds at most k entries; k < 1 means unbounded, in which case h is kept
// as a plain list.
func knnPush(h []knnPair, k int, e knnPair) []knnPair {
	if k < 1 {
		return append(h, e)
	}
	if len(h) < k {
		h = append(h, e)
		// Sift up.
		i := len(h) - 1
		for i > 0 {
			parent := (i - 1) / 2
			if !knnWorse(h[i], h[parent]) {
				break
			}
			h[i], h[parent] = h[parent], h[i]
			i = parent
		}
		return h
	}
	if !knnWorse(h[0], e) {
		return h
	}
	h[0] = e
	// Sift down.
	n := len(h)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && knnWorse(h[r], h[l]) {
			m = r
		}
		if !knnWorse(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return h
}

// Transpose64 returns the transpose of m with columns ascending within
// each row, using at most threads goroutines. It is a counting sort, stable
// in the row order of m, so the result does not depend on threads: the
// rows of m are cut into one block per thread, each block counts and then
// places its own entries.
func Transpose64(m *Sparse64, threads int) *Sparse64 {
	t := &Sparse64{Rows: m.Cols, Cols: m.Rows, Indptr: make([]int64, m.Cols+1)}
	t.Indices = make([]int32, len(m.Indices))
	t.Data = make([]float64, len(m.Indices))
	nb := max(1, min(threads, m.Rows))
	if len(m.Indices) < 1<<16 {
		nb = 1
	}
	// Block b covers rows [cut[b], cut[b+1]) with about nnz/nb entries.
	cut := make([]int, nb+1)
	cut[nb] = m.Rows
	for b, r := 1, 0; b < nb; b++ {
		target := int64(len(m.Indices)) * int64(b) / int64(nb)
		for r < m.Rows && m.Indptr[r] < target {
			r++
		}
		cut[b] = r
	}
	next := make([][]int64, nb)
	ParallelForWorker(nb, 1, nb, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			cnt := make([]int64, m.Cols)
			for _, c := range m.Indices[m.Indptr[cut[b]]:m.Indptr[cut[b+1]]] {
				cnt[c]++
			}
			next[b] = cnt
		}
	})
	// Column c of block b starts after column c of every earlier block.
	for c := range m.Cols {
		pos := t.Indptr[c]
		for b := range nb {
			n := next[b][c]
			next[b][c] = pos
			pos += n
		}
		t.Indptr[c+1] = pos
	}
	ParallelForWorker(nb, 1, nb, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			nx := next[b]
			for r := cut[b]; r < cut[b+1]; r++ {
				for q := m.Indptr[r]; q < m.Indptr[r+1]; q++ {
					c := m.Indices[q]
					t.Indices[nx[c]] = int32(r)
					t.Data[nx[c]] = m.Data[q]
					nx[c]++
				}
			}
		}
	})
	return t
}

// To64 converts m to float64 values with at most threads goroutines,
// mapping every stored entry (row r, column c, value v) through f when f
// is not nil. f may be called concurrently.
func To64(m *sparse.CSR, threads int, f func(r int, c int32, v float64) float64) *Sparse64 {
	d := make([]float64, len(m.Data))
	ParallelFor(m.Rows, threads, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			for q := m.Indptr[r]; q < m.Indptr[r+1]; q++ {
				v := float64(m.Data[q])
				if f != nil {
					v = f(r, m.Indices[q], v)
				}
				d[q] = v
			}
		}
	})
	return &Sparse64{Rows: m.Rows, Cols: m.Cols, Indptr: m.Indptr, Indices: m.Indices, Data: d}
}
