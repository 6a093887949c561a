package linalg

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRows checks DotRows and AxpyRows against Dot4/Axpy4 over the same
// quads (bit for bit: the assembly walks them the same way) for row counts
// with and without a tail and widths with and without vector tails.
func TestRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 7, 8, 23, 64, 155} {
		for _, n := range []int{0, 3, 4, 9, 40} {
			const rows = 50
			y := randVec(r, rows*k)
			p := randVec(r, k)
			idx := make([]int32, n)
			for j := range idx {
				idx[j] = int32(r.IntN(rows))
			}
			w := randVec(r, n)
			e := make([]float32, n)
			DotRows(e, p, y, idx)
			out := randVec(r, k)
			want := slices.Clone(out)
			AxpyRows(out, w, y, idx)
			wantE := make([]float32, n)
			j := 0
			for ; j+4 <= n; j += 4 {
				i0, i1, i2, i3 := int(idx[j]), int(idx[j+1]), int(idx[j+2]), int(idx[j+3])
				wantE[j], wantE[j+1], wantE[j+2], wantE[j+3] = Dot4(p, y[i0*k:i0*k+k], y[i1*k:i1*k+k], y[i2*k:i2*k+k], y[i3*k:i3*k+k])
				Axpy4(want, w[j], w[j+1], w[j+2], w[j+3], y[i0*k:i0*k+k], y[i1*k:i1*k+k], y[i2*k:i2*k+k], y[i3*k:i3*k+k])
			}
			for ; j < n; j++ {
				i := int(idx[j])
				wantE[j] = Dot(p, y[i*k:i*k+k])
				Axpy(w[j], y[i*k:i*k+k], want)
			}
			if !slices.Equal(e, wantE) {
				t.Fatalf("k=%d n=%d: DotRows = %v, want %v", k, n, e, wantE)
			}
			if !slices.Equal(out, want) {
				t.Fatalf("k=%d n=%d: AxpyRows = %v, want %v", k, n, out, want)
			}
		}
	}
}

// TestRowsOutOfRange: a row index past the matrix panics instead of
// reading outside it.
func TestRowsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	DotRows(make([]float32, 4), make([]float32, 8), make([]float32, 16), []int32{0, 1, 2, 1})
}

// BenchmarkRows measures the sparse A·p of a CG row solve (dots with 50
// gathered rows of K 160, then the weighted sum of the same rows), once
// through DotRows/AxpyRows and once as a Dot4/Axpy4 call per quad.
func BenchmarkRows(b *testing.B) {
	const k, items, n = 160, 2000, 52
	r := rand.New(rand.NewPCG(1, 2))
	y, p, out, e := randVec(r, items*k), randVec(r, k), make([]float32, k), make([]float32, n)
	idx := make([]int32, n)
	for j := range idx {
		idx[j] = int32(r.IntN(items))
	}
	b.Run("Rows", func(b *testing.B) {
		for b.Loop() {
			DotRows(e, p, y, idx)
			AxpyRows(out, e, y, idx)
		}
	})
	b.Run("quads", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < n; j += 4 {
				i0, i1, i2, i3 := int(idx[j]), int(idx[j+1]), int(idx[j+2]), int(idx[j+3])
				e[j], e[j+1], e[j+2], e[j+3] = Dot4(p, y[i0*k:i0*k+k], y[i1*k:i1*k+k], y[i2*k:i2*k+k], y[i3*k:i3*k+k])
			}
			for j := 0; j < n; j += 4 {
				i0, i1, i2, i3 := int(idx[j]), int(idx[j+1]), int(idx[j+2]), int(idx[j+3])
				Axpy4(out, e[j], e[j+1], e[j+2], e[j+3], y[i0*k:i0*k+k], y[i1*k:i1*k+k], y[i2*k:i2*k+k], y[i3*k:i3*k+k])
			}
		}
	})
}
