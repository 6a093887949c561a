package knn

import (
	"fmt"

	"github.com/codelibs/recotem-go/pkg/algo"
	"github.com/codelibs/recotem-go/pkg/linalg"
	"github.com/codelibs/recotem-go/pkg/sparse"
)

// Weights is a sparse item-item weight matrix W (rows = source items,
// columns = scored items), the learnt state of the item-based models
// (CosineKNN, RP3beta). A user scores item i as Σ_j x_uj·W[j,i].
type Weights struct {
	W *sparse.CSR
}

// NewWeights converts float64 CSR arrays of an n×n matrix to Weights.
func NewWeights(n int, m *linalg.Sparse64) *Weights {
	data := make([]float32, len(m.Data))
	for i, v := range m.Data {
		data[i] = float32(v)
	}
	return &Weights{W: &sparse.CSR{Rows: n, Cols: n, Indptr: m.Indptr, Indices: m.Indices, Data: data}}
}

// NumItems returns the number of items W scores.
func (w *Weights) NumItems() int {
	if w == nil || w.W == nil {
		return 0
	}
	return w.W.Cols
}

// ScoreUsers writes Σ_j x_uj·W[j,:] for each listed row u of X into dst,
// row-major with NumItems() columns.
func (w *Weights) ScoreUsers(X *sparse.CSR, users []int32, dst []float32) {
	n := w.NumItems()
	for k, u := range users {
		row := dst[k*n : (k+1)*n]
		clear(row)
		cols, vals := X.Row(int(u))
		for t, j := range cols {
			if int(j) < w.W.Rows {
				w.addRow(row, int(j), vals[t])
			}
		}
	}
}

// ScoreProfile writes Σ_{j∈items} W[j,:] into dst (length NumItems()),
// counting each distinct seed once. Out-of-range seeds are ignored.
func (w *Weights) ScoreProfile(items []int32, dst []float32) {
	n := w.NumItems()
	dst = dst[:n]
	clear(dst)
	for t, j := range items {
		if j < 0 || int(j) >= w.W.Rows || seenBefore(items[:t], j) {
			continue
		}
		w.addRow(dst, int(j), 1)
	}
}

// seenBefore reports whether j occurs in prev (seed lists are short).
func seenBefore(prev []int32, j int32) bool {
	for _, p := range prev {
		if p == j {
			return true
		}
	}
	return false
}

// addRow adds a·W[j,:] to dst.
func (w *Weights) addRow(dst []float32, j int, a float32) {
	cols, vals := w.W.Row(j)
	vals = vals[:len(cols)]
	for t, c := range cols {
		dst[c] += a * vals[t]
	}
}

// Encode writes W as the sections <tag>.indptr (int64), <tag>.indices
// (int32) and <tag>.data (float32); the shape is part of the caller's
// configuration section.
func (w *Weights) Encode(enc algo.Encoder, tag string) {
	enc.Int64(tag+".indptr", w.W.Indptr)
	enc.Int32(tag+".indices", w.W.Indices)
	enc.Float32(tag+".data", w.W.Data)
}

// DecodeWeights reads the sections Encode wrote for an n×n matrix and
// checks their structure, so a corrupt payload is an error, not a panic
// at scoring time.
func DecodeWeights(dec algo.Decoder, tag string, n int) (*Weights, error) {
	indptr, err := dec.Int64(tag + ".indptr")
	if err != nil {
		return nil, fmt.Errorf("%s.indptr: %w", tag, err)
	}
	indices, err := dec.Int32(tag + ".indices")
	if err != nil {
		return nil, fmt.Errorf("%s.indices: %w", tag, err)
	}
	data, err := dec.Float32(tag + ".data")
	if err != nil {
		return nil, fmt.Errorf("%s.data: %w", tag, err)
	}
	if n < 0 || len(indptr) != n+1 {
		return nil, fmt.Errorf("%s.indptr: %d entries, want %d", tag, len(indptr), n+1)
	}
	if len(indices) != len(data) || indptr[0] != 0 || indptr[n] != int64(len(indices)) {
		return nil, fmt.Errorf("%s: indptr ends at %d with %d indices and %d values", tag, indptr[n], len(indices), len(data))
	}
	for r := range n {
		if indptr[r+1] < indptr[r] {
			return nil, fmt.Errorf("%s.indptr: decreasing at row %d", tag, r)
		}
	}
	for q, c := range indices {
		if c < 0 || int(c) >= n {
			return nil, fmt.Errorf("%s.indices[%d]: column %d out of range [0, %d)", tag, q, c, n)
		}
	}
	return &Weights{W: &sparse.CSR{Rows: n, Cols: n, Indptr: indptr, Indices: indices, Data: data}}, nil
}
