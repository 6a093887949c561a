//go:build !(goexperiment.simd && amd64)

package ials

// Kernels names the float32 kernel set compiled into the solver: "go" (pure
// Go) or "avx2-simd" (a GOEXPERIMENT=simd build; it falls back to the Go
// kernels at run time on a CPU without AVX2 and FMA).
func Kernels() string { return "go" }

func dot(a, b []float32) float32 { return dotGo(a, b) }

func axpy(y []float32, s float32, x []float32) { axpyGo(y, s, x) }

func dot4(p, v0, v1, v2, v3 []float32) (float32, float32, float32, float32) {
	return dot4Go(p, v0, v1, v2, v3)
}

func axpy4(y []float32, s0, s1, s2, s3 float32, v0, v1, v2, v3 []float32) {
	axpy4Go(y, s0, s1, s2, s3, v0, v1, v2, v3)
}
