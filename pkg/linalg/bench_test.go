package linalg

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkDot64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(r, 64), randVec(r, 64)
	var s float32
	for b.Loop() {
		s += Dot(x, y)
	}
	_ = s
}

func BenchmarkAxpy64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(r, 64), randVec(r, 64)
	for b.Loop() {
		Axpy(0.5, x, y)
	}
}

func BenchmarkGram20000x64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, k = 20000, 64
	v := randVec(r, n*k)
	dst := make([]float32, k*k)
	b.SetBytes(int64(n * k * 4))
	for b.Loop() {
		Gram(dst, v, n, k, 1, Threads())
	}
	b.ReportMetric(float64(n*k*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkScoreBlock64x9724x64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const nu, ni, k = 64, 9724, 64
	u, v := randVec(r, nu*k), randVec(r, ni*k)
	dst := make([]float32, nu*ni)
	for b.Loop() {
		ScoreBlock(dst, u, nu, v, ni, k)
	}
	b.ReportMetric(float64(2*nu*ni*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkTopK10of9724(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	s := randVec(r, 9724)
	dst := make([]int32, 0, 10)
	for b.Loop() {
		dst = TopK(s, 10, dst)
	}
}

func BenchmarkCholesky64(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 64
	v := randVec(r, n*n)
	a := make([]float32, n*n)
	Gram(a, v, n, n, 1, 1)
	for i := 0; i < n; i++ {
		a[i*n+i] += 1
	}
	rhs := randVec(r, n)
	var work []float64
	for b.Loop() {
		x := append([]float32(nil), rhs...)
		work, _ = SolveSPD32(a, n, x, work)
	}
}
