//go:build goexperiment.simd && amd64

package linalg

import "simd/archsimd"

// useAVX2 selects the simd/archsimd kernels (AVX2 + FMA, 8 float32 lanes)
// when the CPU has them; otherwise the pure-Go kernels run.
//
// Two rules keep these kernels fast (measured: breaking either made them 5-10
// times slower than pure Go): every kernel runs archsimd.ClearAVXUpperBits
// before Go's scalar (SSE) float code, and no vector value crosses a
// function call (reductions are written inline).
var useAVX2 = archsimd.X86.AVX2() && archsimd.X86.FMA()

func init() {
	if useAVX2 {
		simdKernels = "+avx2-simd"
	} else {
		simdKernels = " (avx2-simd compiled, cpu lacks AVX2/FMA)"
	}
}

// Dot returns Σ x[i]·y[i] over the first len(x) elements. y must be at least
// as long as x.
func Dot(x, y []float32) float32 {
	if useAVX2 && len(x) >= 16 {
		return dotAVX2(x, y)
	}
	return dotGo(x, y)
}

// Axpy computes y[i] += a·x[i] over the first len(x) elements. y must be at
// least as long as x.
func Axpy(a float32, x, y []float32) {
	if useAVX2 && len(x) >= 8 {
		axpyAVX2(a, x, y)
		return
	}
	axpyGo(a, x, y)
}

// Dot4 returns the dot products of x with y0..y3, loading x once. Each y
// must be at least as long as x.
func Dot4(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) {
	if useAVX2 {
		return dot4AVX2(x, y0, y1, y2, y3)
	}
	return dot4Go(x, y0, y1, y2, y3)
}

func dot1(x, y []float32) float32 {
	if useAVX2 {
		return dot1AVX2(x, y)
	}
	return dot1Go(x, y)
}

// Axpy4 computes row[j] += a0·y0[j] + a1·y1[j] + a2·y2[j] + a3·y3[j]. Each y
// must be at least as long as row.
func Axpy4(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32) {
	if useAVX2 && len(row) >= 8 {
		axpy4AVX2(row, a0, a1, a2, a3, y0, y1, y2, y3)
		return
	}
	axpy4Go(row, a0, a1, a2, a3, y0, y1, y2, y3)
}

// ld loads 8 float32 from s[i:i+8].
func ld(s []float32, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(s[i : i+8]))
}

func dotAVX2(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	acc0 := archsimd.BroadcastFloat32x8(0)
	acc1 := acc0
	i := 0
	for ; i+16 <= n; i += 16 {
		acc0 = ld(x, i).MulAdd(ld(y, i), acc0)
		acc1 = ld(x, i+8).MulAdd(ld(y, i+8), acc1)
	}
	for ; i+8 <= n; i += 8 {
		acc0 = ld(x, i).MulAdd(ld(y, i), acc0)
	}
	v := acc0.Add(acc1)
	var b [4]float32
	v.GetLo().Add(v.GetHi()).Store(&b)
	archsimd.ClearAVXUpperBits()
	s := (b[0] + b[2]) + (b[1] + b[3])
	for ; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

func axpyAVX2(a float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	va := archsimd.BroadcastFloat32x8(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		ld(x, i).MulAdd(va, ld(y, i)).Store((*[8]float32)(y[i : i+8]))
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		y[i] += a * x[i]
	}
}

// dot4AVX2 and dot1AVX2 share one summation order, so a user's scores do not
// depend on how ScoreBlock groups users.
func dot4AVX2(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) {
	n := len(x)
	y0 = y0[:n]
	y1 = y1[:n]
	y2 = y2[:n]
	y3 = y3[:n]
	a0 := archsimd.BroadcastFloat32x8(0)
	a1, a2, a3 := a0, a0, a0
	i := 0
	for ; i+8 <= n; i += 8 {
		xv := ld(x, i)
		a0 = xv.MulAdd(ld(y0, i), a0)
		a1 = xv.MulAdd(ld(y1, i), a1)
		a2 = xv.MulAdd(ld(y2, i), a2)
		a3 = xv.MulAdd(ld(y3, i), a3)
	}
	var b0, b1, b2, b3 [4]float32
	a0.GetLo().Add(a0.GetHi()).Store(&b0)
	a1.GetLo().Add(a1.GetHi()).Store(&b1)
	a2.GetLo().Add(a2.GetHi()).Store(&b2)
	a3.GetLo().Add(a3.GetHi()).Store(&b3)
	archsimd.ClearAVXUpperBits()
	s0 = (b0[0] + b0[2]) + (b0[1] + b0[3])
	s1 = (b1[0] + b1[2]) + (b1[1] + b1[3])
	s2 = (b2[0] + b2[2]) + (b2[1] + b2[3])
	s3 = (b3[0] + b3[2]) + (b3[1] + b3[3])
	for ; i < n; i++ {
		s0 += x[i] * y0[i]
		s1 += x[i] * y1[i]
		s2 += x[i] * y2[i]
		s3 += x[i] * y3[i]
	}
	return s0, s1, s2, s3
}

func dot1AVX2(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	a0 := archsimd.BroadcastFloat32x8(0)
	i := 0
	for ; i+8 <= n; i += 8 {
		a0 = ld(x, i).MulAdd(ld(y, i), a0)
	}
	var b [4]float32
	a0.GetLo().Add(a0.GetHi()).Store(&b)
	archsimd.ClearAVXUpperBits()
	s := (b[0] + b[2]) + (b[1] + b[3])
	for ; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

func axpy4AVX2(row []float32, a0, a1, a2, a3 float32, y0, y1, y2, y3 []float32) {
	n := len(row)
	y0 = y0[:n]
	y1 = y1[:n]
	y2 = y2[:n]
	y3 = y3[:n]
	v0 := archsimd.BroadcastFloat32x8(a0)
	v1 := archsimd.BroadcastFloat32x8(a1)
	v2 := archsimd.BroadcastFloat32x8(a2)
	v3 := archsimd.BroadcastFloat32x8(a3)
	j := 0
	for ; j+8 <= n; j += 8 {
		r := ld(row, j)
		r = ld(y0, j).MulAdd(v0, r)
		r = ld(y1, j).MulAdd(v1, r)
		r = ld(y2, j).MulAdd(v2, r)
		r = ld(y3, j).MulAdd(v3, r)
		r.Store((*[8]float32)(row[j : j+8]))
	}
	archsimd.ClearAVXUpperBits()
	for ; j < n; j++ {
		row[j] += a0*y0[j] + a1*y1[j] + a2*y2[j] + a3*y3[j]
	}
}
