package linalg

// asmKernels and blasKernels name the optional kernels in use; the
// build-tagged files set them in their init functions.
var asmKernels, blasKernels string

// Kernels describes the kernels this binary runs: "go" (the pure-Go
// kernels), plus "+avx2-asm" on amd64 CPUs with AVX2 and FMA (unless built
// with -tags purego), plus "+openblas" when built with -tags blas.
// recotem-train --version prints it.
func Kernels() string { return "go" + asmKernels + blasKernels }
