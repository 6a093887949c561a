package svd

import (
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
