package linalg

import (
	"math/rand/v2"
	"testing"
)

func TestInvertSPD(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 3, 70, 203} {
		b := randVec(r, n*n)
		a32 := make([]float32, n*n)
		Gram(a32, b, n, n, 1, 1)
		a := make([]float64, n*n)
		for i := range a {
			a[i] = float64(a32[i])
		}
		for i := 0; i < n; i++ {
			a[i*n+i] += 2
		}
		inv := append([]float64(nil), a...)
		if err := InvertSPD(inv, n, 2); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for q := 0; q < n; q++ {
					s += a[i*n+q] * inv[q*n+j]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if !near(s, want, 1e-9) {
					t.Fatalf("n=%d (A·A⁻¹)[%d,%d] = %g, want %g", n, i, j, s, want)
				}
			}
		}
	}
	if err := InvertSPD([]float64{1, 2, 2, 1}, 2, 1); err == nil {
		t.Error("indefinite matrix: want an error")
	}
	if err := InvertSPD([]float64{1}, 2, 1); err == nil {
		t.Error("short slice: want an error")
	}
}

func BenchmarkInvertSPD1000(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1000
	v := randVec(r, n*n)
	a32 := make([]float32, n*n)
	Gram(a32, v, n, n, 1, Threads())
	a := make([]float64, n*n)
	for b.Loop() {
		for i := range a {
			a[i] = float64(a32[i])
		}
		for i := 0; i < n; i++ {
			a[i*n+i] += 1
		}
		if err := InvertSPD(a, n, 2); err != nil {
			b.Fatal(err)
		}
	}
}
