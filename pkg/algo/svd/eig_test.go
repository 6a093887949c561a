package svd

import (
	"math"
	"testing"
)

// TestEigenSym checks A·v = λ·v, orthonormality and the decreasing order on
// symmetric matrices: random, with a repeated eigenvalue (I + u·uᵀ),
// diagonal (nothing to reduce), zero, and a rank-3 Gram matrix.
func TestEigenSym(t *testing.T) {
	kinds := []string{"random", "repeated", "diagonal", "zero", "rank3"}
	for _, l := range []int{1, 2, 3, 17, 120} {
		for _, kind := range kinds {
			b := randomDense(l, l, uint64(l))
			a := make([]float64, l*l)
			for i := 0; i < l; i++ {
				for j := 0; j < l; j++ {
					switch kind {
					case "random":
						a[i*l+j] = b[i*l+j] + b[j*l+i]
					case "repeated":
						a[i*l+j] = b[i] * b[j]
						if i == j {
							a[i*l+j]++
						}
					case "diagonal":
						if i == j {
							a[i*l+j] = b[i]
						}
					case "rank3":
						for p := 0; p < min(3, l); p++ {
							a[i*l+j] += b[p*l+i] * b[p*l+j]
						}
					}
				}
			}
			g := append([]float64(nil), a...)
			vals, vecs, ok := eigenSym(g, l)
			if !ok {
				t.Fatalf("%s, l %d: no convergence", kind, l)
			}
			norm := 0.0
			for _, x := range a {
				norm = math.Max(norm, math.Abs(x))
			}
			for c := 0; c < l; c++ {
				if c > 0 && vals[c] > vals[c-1] {
					t.Fatalf("%s, l %d: eigenvalues not decreasing at %d", kind, l, c)
				}
				for i := 0; i < l; i++ {
					var av float64
					for j := 0; j < l; j++ {
						av += a[i*l+j] * vecs[j*l+c]
					}
					if math.Abs(av-vals[c]*vecs[i*l+c]) > 1e-12*norm*float64(l) {
						t.Fatalf("%s, l %d: (Av - λv)[%d] for λ_%d = %g", kind, l, i, c, av-vals[c]*vecs[i*l+c])
					}
				}
				for c2 := 0; c2 <= c; c2++ {
					var dot float64
					for j := 0; j < l; j++ {
						dot += vecs[j*l+c] * vecs[j*l+c2]
					}
					want := 0.0
					if c == c2 {
						want = 1
					}
					if math.Abs(dot-want) > 1e-12*float64(l) {
						t.Fatalf("%s, l %d: v_%d·v_%d = %g, want %g", kind, l, c, c2, dot, want)
					}
				}
			}
		}
	}
}

// BenchmarkEigenSym: the 446×446 eigenproblem of n_components 436.
func BenchmarkEigenSym(b *testing.B) {
	const l = 446
	x := randomDense(l, l, 1)
	g0 := make([]float64, l*l)
	gramUpper(new(scratch), g0, x, l, l, 1)
	g := make([]float64, l*l)
	for b.Loop() {
		copy(g, g0)
		if _, _, ok := eigenSym(g, l); !ok {
			b.Fatal("no convergence")
		}
	}
}
