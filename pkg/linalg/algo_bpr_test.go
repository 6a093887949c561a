package linalg

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBPRStep checks the dispatching BPRStep against the pure-Go loop (they
// must agree bit for bit) and the pure-Go loop against the formula in
// float64.
func TestBPRStep(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 8, 9, 16, 23, 64, 67} {
		vecs := make([][]float32, 6)
		for v := range vecs {
			vecs[v] = randVec(r, n)
			if v >= 3 { // accumulators are ≥ 1
				for c := range vecs[v] {
					vecs[v][c] = 1 + vecs[v][c]*vecs[v][c]
				}
			}
		}
		const g, lr, ia, ua = 0.7, 0.05, 1e-3, 2e-3
		a := cloneAll(vecs)
		BPRStep(a[0], a[1], a[2], a[3], a[4], a[5], g, lr, ia, ua)
		b := cloneAll(vecs)
		bprStepGo(b[0], b[1], b[2], b[3], b[4], b[5], g, lr, ia, ua)
		for v := range a {
			if !slices.Equal(a[v], b[v]) {
				t.Fatalf("n=%d: BPRStep and bprStepGo differ in slice %d:\n%v\n%v", n, v, a[v], b[v])
			}
		}
		for c := 0; c < n; c++ {
			p, vi, vj := float64(vecs[0][c]), float64(vecs[1][c]), float64(vecs[2][c])
			si := lr / sqrt64(float64(vecs[4][c]))
			sj := lr / sqrt64(float64(vecs[5][c]))
			sp := lr / sqrt64(float64(vecs[3][c]))
			want := []float64{
				(p - sp*g*(vj-vi)) * (1 - ua*sp),
				(vi + si*g*p) * (1 - ia*si),
				(vj - sj*g*p) * (1 - ia*sj),
				float64(vecs[3][c]) + g*g*(vj-vi)*(vj-vi),
				float64(vecs[4][c]) + g*g*p*p,
				float64(vecs[5][c]) + g*g*p*p,
			}
			for v, w := range want {
				if !near(float64(b[v][c]), w, 1e-5) {
					t.Errorf("n=%d slice %d [%d] = %g, want %g", n, v, c, b[v][c], w)
				}
			}
		}
	}
}

func cloneAll(v [][]float32) [][]float32 {
	out := make([][]float32, len(v))
	for i := range v {
		out[i] = slices.Clone(v[i])
	}
	return out
}

func sqrt64(x float64) float64 { return float64(sqrt32(float32(x))) }

func BenchmarkBPRStep64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	v := make([][]float32, 6)
	for i := range v {
		v[i] = randVec(r, 64)
		if i >= 3 {
			for c := range v[i] {
				v[i][c] = 1 + v[i][c]*v[i][c]
			}
		}
	}
	w := cloneAll(v)
	for b.Loop() {
		for i := range v { // fresh values: repeated steps drift into denormals
			copy(w[i], v[i])
		}
		BPRStep(w[0], w[1], w[2], w[3], w[4], w[5], 0.5, 0.05, 1e-9, 1e-9)
	}
}
