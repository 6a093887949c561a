package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randomDense(rows, cols int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 9))
	a := make([]float64, rows*cols)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	return a
}

// TestGemm64 compares Gemm64 with a naive product for shapes that exercise the
// partial tiles, the triangular B, the transposed A and the upper-triangle
// C, at 1 and 3 threads.
func TestGemm64(t *testing.T) {
	for _, s := range []struct{ m, n, k int }{
		{1, 1, 1}, {4, 8, 3}, {5, 9, 7}, {37, 70, 41}, {66, 66, 66}, {130, 23, 200},
	} {
		for _, opt := range []GemmOpt{0, TriB, UpperC, TriB | UpperC, TransA, TransA | UpperC, InPlace, TriB | InPlace, InPlace | UpperC} {
			n := s.n
			if opt&UpperC != 0 {
				n = s.m // a square C
			}
			k := s.k
			if opt&(TriB|InPlace) != 0 {
				k = n // a square (triangular) B
			}
			t.Run(fmt.Sprintf("%dx%dx%d/%d", s.m, n, k, opt), func(t *testing.T) {
				a := randomDense(s.m, k, 1)
				b := randomDense(k, n, 2)
				if opt&TriB != 0 {
					for p := 0; p < k; p++ {
						for j := 0; j < min(p, n); j++ {
							b[p*n+j] = 0
						}
					}
				}
				for _, threads := range []int{1, 3} {
					c := make([]float64, s.m*n)
					if opt&TransA != 0 {
						at := make([]float64, k*s.m)
						TransposeTo(at, a, s.m, k, 1)
						Gemm64(new(GemmScratch), c, n, at, s.m, b, n, s.m, n, k, opt, threads)
					} else if opt&InPlace != 0 {
						copy(c, a)
						Gemm64(new(GemmScratch), c, n, c, k, b, n, s.m, n, k, opt, threads)
					} else {
						Gemm64(new(GemmScratch), c, n, a, k, b, n, s.m, n, k, opt, threads)
					}
					for i := 0; i < s.m; i++ {
						for j := 0; j < n; j++ {
							if opt&UpperC != 0 && j < i {
								continue
							}
							var want float64
							for p := 0; p < k; p++ {
								want += a[i*k+p] * b[p*n+j]
							}
							if math.Abs(c[i*n+j]-want) > 1e-12*(1+math.Abs(want))*float64(k) {
								t.Fatalf("threads %d: c[%d,%d] = %v, want %v", threads, i, j, c[i*n+j], want)
							}
						}
					}
				}
			})
		}
	}
}

// TestKernel4x8: the dispatched kernels (assembly where available) match
// the Go kernels.
func TestKernel4x8(t *testing.T) {
	for _, k := range []int{0, 1, 2, 17, 300} {
		a := randomDense(4, k+3, 3)
		b := randomDense(k, 8, 4)
		got, want := make([]float64, 32), make([]float64, 32)
		for i := range got {
			got[i] = math.NaN()
		}
		kernel4x8(k, a, k+3, b, got)
		kernel4x8Go(k, a, k+3, b, want)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i]))*float64(k) {
				t.Fatalf("k %d: c[%d] = %v, want %v", k, i, got[i], want[i])
			}
		}
		at := randomDense(k, 6, 5) // Aᵀ with stride 6
		kernel4x8T(k, at, 6, b, got)
		kernel4x8TGo(k, at, 6, b, want)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i]))*float64(k) {
				t.Fatalf("transposed, k %d: c[%d] = %v, want %v", k, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkGemm64: a 943×446 block times a 446×446 matrix (one Cholesky QR
// application at n_components 436 on ml-100k), and its Gram matrix.
func BenchmarkGemm64(b *testing.B) {
	const m, l = 943, 446
	a := randomDense(m, l, 1)
	r := randomDense(l, l, 2)
	c := make([]float64, m*l)
	g := make([]float64, l*l)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("product/threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				Gemm64(new(GemmScratch), c, l, a, l, r, l, m, l, l, 0, threads)
			}
			b.ReportMetric(2*m*l*l/b.Elapsed().Seconds()*float64(b.N)/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("gram/threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				Gemm64(new(GemmScratch), g, l, a, l, a, l, l, l, m, TransA|UpperC, threads)
			}
		})
	}
}

// TestCholInv: RᵀR = G and R·R⁻¹ = I for SPD matrices around the blocking
// threshold; a singular G is reported.
func TestCholInv(t *testing.T) {
	for _, n := range []int{1, 5, 64, 65, 130, 203} {
		b := randomDense(n+3, n, uint64(n))
		g := make([]float64, n*n)
		Gemm64(new(GemmScratch), g, n, b, n, b, n, n, n, n+3, TransA|UpperC, 2)
		for i := 0; i < n; i++ {
			for j := 0; j < i; j++ {
				g[i*n+j] = g[j*n+i]
			}
		}
		r := append([]float64(nil), g...)
		x := make([]float64, n*n)
		if !CholInv(new(GemmScratch), r, n, x, n, n, 0, 2) {
			t.Fatalf("n %d: not positive definite", n)
		}
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				var rtr, rx float64
				for p := 0; p <= i; p++ {
					rtr += r[p*n+i] * r[p*n+j]
				}
				for p := i; p <= j; p++ {
					rx += r[i*n+p] * x[p*n+j]
				}
				if math.Abs(rtr-g[i*n+j]) > 1e-9*float64(n) {
					t.Fatalf("n %d: (RᵀR)[%d,%d] = %v, want %v", n, i, j, rtr, g[i*n+j])
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(rx-want) > 1e-9 {
					t.Fatalf("n %d: (RX)[%d,%d] = %v, want %v", n, i, j, rx, want)
				}
			}
		}
	}
	// Rank one: the second pivot vanishes.
	g := []float64{1, 2, 2, 4}
	if CholInv(new(GemmScratch), g, 2, make([]float64, 4), 2, 2, 1e-12*4, 1) {
		t.Fatal("singular matrix accepted")
	}
}
