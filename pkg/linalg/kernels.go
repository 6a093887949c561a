package linalg

// simdKernels and blasKernels name the optional kernels compiled in; the
// build-tagged files set them in their init functions.
var simdKernels, blasKernels string

// Kernels describes the kernels this binary carries: "pure-go", plus
// "+avx2-simd" when built with GOEXPERIMENT=simd on a CPU with AVX2 and FMA,
// plus "+openblas" when built with -tags blas. recotem-train --version
// prints it.
func Kernels() string { return "pure-go" + simdKernels + blasKernels }
