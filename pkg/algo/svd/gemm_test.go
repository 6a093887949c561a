package svd

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

// TestGemm compares gemm with a naive product for shapes that exercise the
// partial tiles, the triangular B, the transposed A and the upper-triangle
// C, at 1 and 3 threads.
func TestGemm(t *testing.T) {
	for _, s := range []struct{ m, n, k int }{
		{1, 1, 1}, {4, 8, 3}, {5, 9, 7}, {37, 70, 41}, {66, 66, 66}, {130, 23, 200},
	} {
		for _, opt := range []gemmOpt{0, triB, upperC, triB | upperC, transA, transA | upperC, inPlace, triB | inPlace} {
			k := s.k
			if opt&(triB|inPlace) != 0 {
				k = s.n // a square (triangular) B
			}
			n := s.n
			if opt&upperC != 0 {
				n = s.m
				if opt&triB != 0 {
					k = n
				}
			}
			t.Run(fmt.Sprintf("%dx%dx%d/%d", s.m, n, k, opt), func(t *testing.T) {
				a := randomDense(s.m, k, 1)
				b := randomDense(k, n, 2)
				if opt&triB != 0 {
					for p := 0; p < k; p++ {
						for j := 0; j < min(p, n); j++ {
							b[p*n+j] = 0
						}
					}
				}
				for _, threads := range []int{1, 3} {
					c := make([]float64, s.m*n)
					if opt&transA != 0 {
						at := make([]float64, k*s.m)
						transposeTo(at, a, s.m, k, 1)
						gemm(new(scratch), c, n, at, s.m, b, n, s.m, n, k, opt, threads)
					} else if opt&inPlace != 0 {
						copy(c, a)
						gemm(new(scratch), c, n, c, k, b, n, s.m, n, k, opt, threads)
					} else {
						gemm(new(scratch), c, n, a, k, b, n, s.m, n, k, opt, threads)
					}
					for i := 0; i < s.m; i++ {
						for j := 0; j < n; j++ {
							if opt&upperC != 0 && j < i {
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

// TestGramUpper: aᵀa on tall matrices, one summed over several row blocks.
func TestGramUpper(t *testing.T) {
	for _, s := range []struct{ m, l int }{{101, 19}, {2*gramRows + 7, 13}} {
		a := randomDense(s.m, s.l, 5)
		g := make([]float64, s.l*s.l)
		gramUpper(new(scratch), g, a, s.m, s.l, 2)
		for p := 0; p < s.l; p++ {
			for q := p; q < s.l; q++ {
				var want float64
				for i := 0; i < s.m; i++ {
					want += a[i*s.l+p] * a[i*s.l+q]
				}
				if math.Abs(g[p*s.l+q]-want) > 1e-9 {
					t.Fatalf("%d×%d: g[%d,%d] = %v, want %v", s.m, s.l, p, q, g[p*s.l+q], want)
				}
			}
		}
	}
}

// BenchmarkGemm: a 943×446 block times a 446×446 matrix (one Cholesky QR
// application at n_components 436 on ml-100k), and its Gram matrix.
func BenchmarkGemm(b *testing.B) {
	const m, l = 943, 446
	a := randomDense(m, l, 1)
	r := randomDense(l, l, 2)
	c := make([]float64, m*l)
	g := make([]float64, l*l)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("product/threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				gemm(new(scratch), c, l, a, l, r, l, m, l, l, 0, threads)
			}
			b.ReportMetric(2*m*l*l/b.Elapsed().Seconds()*float64(b.N)/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("gram/threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				gramUpper(new(scratch), g, a, m, l, threads)
			}
		})
	}
}

// TestAxpy: the dispatched four-vector axpy and dot kernels match the Go
// loops at every tail length.
func TestAxpy(t *testing.T) {
	for n := 0; n < 40; n++ {
		x := [4][]float64{randomDense(1, n, 1), randomDense(1, n, 2), randomDense(1, n, 3), randomDense(1, n, 4)}
		w := [4]float64{0.5, -2, 3, 1.25}
		y0 := randomDense(1, n, 5)
		got, want := append([]float64(nil), y0...), append([]float64(nil), y0...)
		axpy64x4(got, &w, x[0], x[1], x[2], x[3])
		if d, dg := dot64(x[0], x[1]), dot64Go(x[0], x[1]); math.Abs(d-dg) > 1e-12 {
			t.Fatalf("n %d: dot %v, want %v", n, d, dg)
		}
		axpy64x4Go(want, &w, x[0], x[1], x[2], x[3])
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("n %d: y[%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}

// TestRot: the dispatched rotation matches the Go loop at every tail
// length.
func TestRot(t *testing.T) {
	for n := 0; n < 20; n++ {
		x0, y0 := randomDense(1, n, 6), randomDense(1, n, 7)
		c, s := math.Cos(0.3), math.Sin(0.3)
		x1, y1 := append([]float64(nil), x0...), append([]float64(nil), y0...)
		x2, y2 := append([]float64(nil), x0...), append([]float64(nil), y0...)
		rot(x1, y1, c, s)
		rotGo(x2, y2, c, s)
		for i := range x0 {
			if math.Abs(x1[i]-x2[i]) > 1e-14 || math.Abs(y1[i]-y2[i]) > 1e-14 {
				t.Fatalf("n %d, i %d: (%v, %v), want (%v, %v)", n, i, x1[i], y1[i], x2[i], y2[i])
			}
		}
	}
}

// TestCholInv: RᵀR = G and R·R⁻¹ = I for SPD matrices around the blocking
// threshold; a singular G is reported.
func TestCholInv(t *testing.T) {
	for _, n := range []int{1, 5, 64, 65, 130, 203} {
		b := randomDense(n+3, n, uint64(n))
		g := make([]float64, n*n)
		gramUpper(new(scratch), g, b, n+3, n, 2)
		for i := 0; i < n; i++ {
			for j := 0; j < i; j++ {
				g[i*n+j] = g[j*n+i]
			}
		}
		r := append([]float64(nil), g...)
		x := make([]float64, n*n)
		if !cholInv(new(scratch), r, n, x, n, n, 0, 2) {
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
	if cholInv(new(scratch), g, 2, make([]float64, 4), 2, 2, 1e-12*4, 1) {
		t.Fatal("singular matrix accepted")
	}
}

// TestOrthonormalize: Cholesky QR on a full-rank block and the Householder
// fallback on a rank-deficient one both give QᵀQ = I and Q·R = A.
func TestOrthonormalize(t *testing.T) {
	const m, l = 57, 11
	for _, deficient := range []bool{false, true} {
		a := randomDense(m, l, 8)
		if deficient {
			for i := 0; i < m; i++ {
				a[i*l+3] = a[i*l+7] // equal columns
			}
		}
		if _, ok := choleskyQR(new(scratch), append([]float64(nil), a...), m, l, 1); ok == deficient {
			t.Fatalf("deficient %v: Cholesky QR ok = %v", deficient, ok)
		}
		q := append([]float64(nil), a...)
		r, err := orthonormalize(new(scratch), q, m, l, 2, true, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < l; i++ {
			for j := 0; j < l; j++ {
				var qtq float64
				for p := 0; p < m; p++ {
					qtq += q[p*l+i] * q[p*l+j]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(qtq-want) > 1e-12 {
					t.Fatalf("deficient %v: (QᵀQ)[%d,%d] = %v", deficient, i, j, qtq)
				}
			}
		}
		for p := 0; p < m; p++ {
			for j := 0; j < l; j++ {
				var qr float64
				for i := 0; i < l; i++ {
					qr += q[p*l+i] * r[i*l+j]
				}
				if math.Abs(qr-a[p*l+j]) > 1e-12 {
					t.Fatalf("deficient %v: (QR)[%d,%d] = %v, want %v", deficient, p, j, qr, a[p*l+j])
				}
			}
		}
	}
}
