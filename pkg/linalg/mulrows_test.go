package linalg

import (
	"math/rand/v2"
	"testing"
)

// TestMulRows4 checks MulRows4 (the assembly where present) and its pure-Go
// loop against the product computed in float64, for widths that use the
// 24-column blocks, the 8-column tail and both.
func TestMulRows4(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ k, ld int }{{1, 8}, {5, 8}, {7, 16}, {24, 24}, {30, 32}, {64, 64}, {238, 240}, {9, 48}} {
		x := randVec(r, 4*tc.k)
		m := randVec(r, tc.k*tc.ld)
		want := make([]float64, 4*tc.ld)
		for b := 0; b < 4; b++ {
			for c := 0; c < tc.k; c++ {
				for j := 0; j < tc.ld; j++ {
					want[b*tc.ld+j] += float64(x[b*tc.k+c]) * float64(m[c*tc.ld+j])
				}
			}
		}
		for name, f := range map[string]func(dst, x, m []float32, k, ld int){"MulRows4": MulRows4, "mulRows4Go": mulRows4Go} {
			dst := randVec(r, 4*tc.ld) // overwritten, not accumulated
			f(dst, x, m, tc.k, tc.ld)
			for i, w := range want {
				if !near(float64(dst[i]), w, 1e-4) {
					t.Fatalf("%s k=%d ld=%d: dst[%d] = %g, want %g", name, tc.k, tc.ld, i, dst[i], w)
				}
			}
		}
	}
}

// BenchmarkMulRows4 against four MatVec calls with the same (symmetric)
// matrix: the IALS conjugate-gradient product at K 240.
func BenchmarkMulRows4(b *testing.B) {
	const k = 240
	r := rand.New(rand.NewPCG(1, 2))
	x, m, dst := randVec(r, 4*k), randVec(r, k*k), make([]float32, 4*k)
	b.Run("MulRows4", func(b *testing.B) {
		for b.Loop() {
			MulRows4(dst, x, m, k, k)
		}
	})
	b.Run("MatVec×4", func(b *testing.B) {
		for b.Loop() {
			for v := 0; v < 4; v++ {
				MatVec(dst[v*k:(v+1)*k], m, k, k, x[v*k:(v+1)*k])
			}
		}
	})
}
