//go:build goexperiment.simd && amd64

package ials

import "simd/archsimd"

// useAVX2 selects the AVX2+FMA kernels (8 float32 lanes) when the CPU has
// them. Each kernel clears the upper AVX bits before returning to Go's
// scalar SSE code, and no vector value crosses a call.
var useAVX2 = archsimd.X86.AVX2() && archsimd.X86.FMA()

// Kernels names the float32 kernel set compiled into the solver: "go" (pure
// Go) or "avx2-simd" (this GOEXPERIMENT=simd build; "avx2-simd (cpu lacks
// AVX2/FMA)" when it falls back to the Go kernels at run time).
func Kernels() string {
	if useAVX2 {
		return "avx2-simd"
	}
	return "avx2-simd (cpu lacks AVX2/FMA)"
}

func ld(s []float32, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(s[i : i+8]))
}

func dot(a, b []float32) float32 {
	n := len(a)
	if !useAVX2 || n < 8 {
		return dotGo(a, b)
	}
	b = b[:n]
	acc0 := archsimd.BroadcastFloat32x8(0)
	acc1 := acc0
	i := 0
	for ; i+16 <= n; i += 16 {
		acc0 = ld(a, i).MulAdd(ld(b, i), acc0)
		acc1 = ld(a, i+8).MulAdd(ld(b, i+8), acc1)
	}
	for ; i+8 <= n; i += 8 {
		acc0 = ld(a, i).MulAdd(ld(b, i), acc0)
	}
	v := acc0.Add(acc1)
	var r [4]float32
	v.GetLo().Add(v.GetHi()).Store(&r)
	archsimd.ClearAVXUpperBits()
	s := (r[0] + r[2]) + (r[1] + r[3])
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

func axpy(y []float32, s float32, x []float32) {
	n := len(y)
	if !useAVX2 || n < 8 {
		axpyGo(y, s, x)
		return
	}
	x = x[:n]
	vs := archsimd.BroadcastFloat32x8(s)
	i := 0
	for ; i+8 <= n; i += 8 {
		ld(x, i).MulAdd(vs, ld(y, i)).Store((*[8]float32)(y[i : i+8]))
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		y[i] += s * x[i]
	}
}

func dot4(p, v0, v1, v2, v3 []float32) (float32, float32, float32, float32) {
	n := len(p)
	if !useAVX2 || n < 8 {
		return dot4Go(p, v0, v1, v2, v3)
	}
	v0, v1, v2, v3 = v0[:n], v1[:n], v2[:n], v3[:n]
	a0 := archsimd.BroadcastFloat32x8(0)
	a1, a2, a3 := a0, a0, a0
	i := 0
	for ; i+8 <= n; i += 8 {
		pv := ld(p, i)
		a0 = ld(v0, i).MulAdd(pv, a0)
		a1 = ld(v1, i).MulAdd(pv, a1)
		a2 = ld(v2, i).MulAdd(pv, a2)
		a3 = ld(v3, i).MulAdd(pv, a3)
	}
	var r0, r1, r2, r3 [4]float32
	a0.GetLo().Add(a0.GetHi()).Store(&r0)
	a1.GetLo().Add(a1.GetHi()).Store(&r1)
	a2.GetLo().Add(a2.GetHi()).Store(&r2)
	a3.GetLo().Add(a3.GetHi()).Store(&r3)
	archsimd.ClearAVXUpperBits()
	s0 := (r0[0] + r0[2]) + (r0[1] + r0[3])
	s1 := (r1[0] + r1[2]) + (r1[1] + r1[3])
	s2 := (r2[0] + r2[2]) + (r2[1] + r2[3])
	s3 := (r3[0] + r3[2]) + (r3[1] + r3[3])
	for ; i < n; i++ {
		s0 += p[i] * v0[i]
		s1 += p[i] * v1[i]
		s2 += p[i] * v2[i]
		s3 += p[i] * v3[i]
	}
	return s0, s1, s2, s3
}

func axpy4(y []float32, s0, s1, s2, s3 float32, v0, v1, v2, v3 []float32) {
	n := len(y)
	if !useAVX2 || n < 8 {
		axpy4Go(y, s0, s1, s2, s3, v0, v1, v2, v3)
		return
	}
	v0, v1, v2, v3 = v0[:n], v1[:n], v2[:n], v3[:n]
	b0 := archsimd.BroadcastFloat32x8(s0)
	b1 := archsimd.BroadcastFloat32x8(s1)
	b2 := archsimd.BroadcastFloat32x8(s2)
	b3 := archsimd.BroadcastFloat32x8(s3)
	i := 0
	for ; i+8 <= n; i += 8 {
		acc := ld(v0, i).MulAdd(b0, ld(y, i))
		acc = ld(v1, i).MulAdd(b1, acc)
		acc = ld(v2, i).MulAdd(b2, acc)
		acc = ld(v3, i).MulAdd(b3, acc)
		acc.Store((*[8]float32)(y[i : i+8]))
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		y[i] += s0*v0[i] + s1*v1[i] + s2*v2[i] + s3*v3[i]
	}
}
