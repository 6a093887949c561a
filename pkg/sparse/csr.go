// Package sparse holds the compressed sparse row (CSR) matrix that carries
// interaction data from the dataset to the algorithms, the evaluator and the
// artifact payload.
package sparse

// CSR is a compressed sparse row matrix with int64 row pointers, int32
// column indices (sorted ascending within each row, no duplicates) and
// float32 values. Row i holds Indices[Indptr[i]:Indptr[i+1]].
type CSR struct {
	Rows, Cols int
	Indptr     []int64
	Indices    []int32
	Data       []float32
}

// NNZ returns the number of stored entries.
func (m *CSR) NNZ() int { return len(m.Indices) }

// Row returns the column indices and values of row i. The slices alias the
// matrix.
func (m *CSR) Row(i int) ([]int32, []float32) {
	lo, hi := m.Indptr[i], m.Indptr[i+1]
	return m.Indices[lo:hi], m.Data[lo:hi]
}

// RowLen returns the number of stored entries of row i.
func (m *CSR) RowLen(i int) int { return int(m.Indptr[i+1] - m.Indptr[i]) }
